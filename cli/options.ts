/**
 * The command line of `syncgap gap|impact|check`: the options every command shares, their parsers, and what they
 * become (the AD and Entra ID source specs, the thresholds, the report formats). A bad option is a UsageError: exit 2,
 * like any other reason the analysis could not run.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { DEFAULT_LDAP_TIMEOUT_MS } from "../ad/ldapConnection";
import { DEFAULT_AD_PASSWORD_ENV } from "../gap/adSources";
import { type CoverageThresholds, DEFAULT_COVERAGE, parseShare } from "../gap/coverage";
import { errorText, GapInputError } from "../gap/errors";
import {
  loadPreviousReport,
  PreviousReportError,
  type PreviousRun,
  parseFormats,
  type ReportFormat,
} from "../gap/reports";
import { JUNIT_USERS_MAX } from "../gap/reports/junit";
import { adSourceSpec, entraSourceChoice, type SourceNames, SourceSettingsError } from "../gap/sources";
import { parseCategories, type Thresholds } from "../gap/thresholds";
import { type AdSourceSpec, CATEGORIES, DEFAULT_FAIL_ON, type EntraSourceSpec } from "../gap/types";
import { AzureCliTenantError } from "../graph/azureCliTenant";
import { DEFAULT_REQUEST_TIMEOUT_MS, type GraphClientOptions } from "../graph/client";
import type { CloudName } from "../graph/clouds";
import {
  AUTH_METHODS,
  type AuthMethod,
  ConnectionSettingsError,
  connectionFromEnv,
  type GraphConnectionSettings,
} from "../graph/connection";

/** The Graph client's retry budget and per-attempt timeout, from the command line. */
export function graphClientOptions(o: CommonOptions): GraphClientOptions {
  return { retry: { budgetMs: o.maxRetrySeconds * 1000 }, requestTimeoutMs: o.requestTimeoutSeconds * 1000 };
}

export const ENTRA_FLAG_NAMES = { graph: "--entra-graph", json: "--entra-json" };

export interface CommonOptions {
  config?: string;
  adUrl?: string;
  adBindDn?: string;
  adBaseDn: string[];
  adCaCert?: string;
  adStartTls?: boolean;
  adFilter?: string;
  adReadMode: "auto" | "dirsync" | "paged";
  adPasswordEnv: string;
  adLdif?: string;
  adCsv?: string;
  entraGraph?: boolean;
  entraJson?: string;
  cloud?: string;
  tenantId?: string;
  clientId?: string;
  authMethod?: string;
  graphEndpoint?: string;
  authorityHost?: string;
  caCert?: string;
  certificatePath?: string;
  serviceConnectionId?: string;
  username?: string;
  maxRetrySeconds: number;
  deltaState?: string;
  format: string;
  out: string;
  defaultRegion: string;
  includeInSync?: boolean;
  failOn: string;
  maxGaps: number;
  quiet?: boolean;
  impact?: boolean;
  adTimeoutSeconds: number;
  cloudManaged?: boolean;
  requestTimeoutSeconds: number;
  minMatched: number;
  maxNotInAd: number;
  maxNotInEntra: number;
  junitUsers: number;
  compareWith?: string;
}

export interface CheckOptions extends CommonOptions {
  expectBypass?: boolean;
  stack?: string;
  cwd?: string;
  since?: string;
  syncTimeout: number;
  pollInterval: number;
  wait: boolean;
}

/** How to reach Microsoft Graph: cloud, tenant, client, credential type, endpoints, trust, retries, timeouts. */
export function addGraphConnectionOptions(cmd: Command): Command {
  return cmd
    .option("--cloud <name>", "national cloud: global, usgov, usgovDoD, china")
    .option("--tenant-id <id>", "tenant id or verified domain")
    .option("--client-id <id>", "app (client) id")
    .addOption(new Option("--auth-method <method>", "credential type").choices([...AUTH_METHODS]))
    .option("--graph-endpoint <url>", "Graph origin override (e.g. the local tenant emulator)")
    .option("--authority-host <url>", "identity platform origin override")
    .option("--ca-cert <file>", "PEM CA certificate to trust for Graph and the authority")
    .option("--certificate-path <file>", "clientCertificate: PEM with certificate and key")
    .option("--service-connection-id <id>", "azurePipelines: the service connection id")
    .option("--username <upn>", "usernamePassword (emulator and test tenants only)")
    .option(
      "--max-retry-seconds <n>",
      "longest time one Graph request may spend retrying",
      positiveNumber("--max-retry-seconds"),
      120,
    )
    .option(
      "--request-timeout-seconds <n>",
      "longest wait for one Graph attempt (headers and body); a timeout is retried within --max-retry-seconds",
      positiveNumber("--request-timeout-seconds"),
      DEFAULT_REQUEST_TIMEOUT_MS / 1000,
    );
}

/** A usage problem: exit 2, like any other reason the analysis could not run. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const collect = (value: string, previous: string[]) => [...previous, value];
export const nonNegativeInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} wants a whole number ≥ 0, got "${v}"`);
  return Number(v);
};
export const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} wants a number > 0, got "${v}"`);
  return n;
};
export const bool = (name: string) => (v: string) => {
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  throw new UsageError(`${name} wants true or false, got "${v}"`);
};

export function addCommonOptions(cmd: Command): Command {
  cmd
    .option("--config <file>", "settings file (default: ./syncgap.yaml when it exists; docs/configuration.md)")
    // AD (environment variables: cli/settings.ts, read by resolveOptions; flags override the file, the file the
    // environment)
    .option("--ad-url <url>", "live AD over LDAP(S), e.g. ldaps://dc1.corp.example:636")
    .option("--ad-bind-dn <dn>", "bind DN for --ad-url (password from the environment)")
    .option("--ad-base-dn <dn>", "search base (repeatable: one per OU in sync scope)", collect, [])
    .option("--ad-ca-cert <file>", "PEM CA certificate to trust for ldaps://")
    .option("--ad-start-tls", "ldap:// URLs: upgrade with StartTLS before binding (plain binds are refused)")
    .option("--ad-filter <filter>", "LDAP filter for users in scope (default: the AD reader's user filter)")
    .addOption(
      new Option(
        "--ad-read-mode <mode>",
        "auto: DirSync when the DC offers it, else paged · dirsync: one DirSync search of the domain, kept to the base DNs · paged: a paged search per base DN",
      )
        .choices(["auto", "dirsync", "paged"])
        .default("auto"),
    )
    .option(
      "--ad-timeout-seconds <n>",
      "longest wait for the DC per LDAP request (bind, one page, one DirSync reply)",
      positiveNumber("--ad-timeout-seconds"),
      DEFAULT_LDAP_TIMEOUT_MS / 1000,
    )
    .option("--ad-password-env <name>", "environment variable holding the bind password", DEFAULT_AD_PASSWORD_ENV)
    .option("--ad-ldif <file>", "AD from an LDIF export (ldifde, ldapsearch)")
    .option("--ad-csv <file>", "AD from a PowerShell CSV export (Get-ADUser … | Export-Csv)")
    // Entra ID
    .option("--entra-graph", "Entra ID from Microsoft Graph (credentials from the environment, as for the provider)")
    .option("--entra-json <file>", "Entra ID from a Graph JSON export (array of users or array of pages)");
  addGraphConnectionOptions(cmd);
  return (
    cmd
      .option(
        "--cloud-managed",
        "also find synced users moved to cloud management (beta onPremisesSyncBehavior; needs User-OnPremisesSyncBehavior.ReadWrite.All) and report them as CloudManaged",
      )
      .option(
        "--delta-state <file>",
        "delta mode: keep the Graph deltaLink and snapshots here; re-runs read only changes",
      )
      // output and gate
      .option("--format <list>", "reports to write: csv,json,junit,md,html", "csv,json,junit,md,html")
      .option("--out <dir>", "folder for the reports", "syncgap-report")
      .option("--default-region <cc>", "region for numbers without a country code (ISO 3166 alpha-2)", "US")
      .option("--include-in-sync", "list in-sync users in the reports too")
      .option("--fail-on <list>", `categories that count as gaps (${CATEGORIES.join(",")})`, DEFAULT_FAIL_ON.join(","))
      .option("--max-gaps <n>", "gaps tolerated before exit 1", nonNegativeInt("--max-gaps"), 0)
      // coverage: a run that compared too little is exit 2, never a pass (gap/coverage.ts)
      .option(
        "--min-matched <share>",
        "matched users needed, as a share of the smaller side (e.g. 80%)",
        share("--min-matched"),
        DEFAULT_COVERAGE.minMatchedShare,
      )
      .option(
        "--max-not-in-ad <share>",
        "synced Entra ID users without an AD user tolerated, as a share of them (e.g. 20%)",
        share("--max-not-in-ad"),
        DEFAULT_COVERAGE.maxNotInAdShare,
      )
      .option(
        "--max-not-in-entra <share>",
        "AD users without a synced Entra ID user tolerated, as a share of them (e.g. 20%)",
        share("--max-not-in-entra"),
        DEFAULT_COVERAGE.maxNotInEntraShare,
      )
      .option(
        "--junit-users <n>",
        `JUnit: also one failing case per user in a gated category, for the first n (at most ${JUNIT_USERS_MAX})`,
        nonNegativeInt("--junit-users"),
        0,
      )
      .option("--compare-with <file>", "an earlier run's gap-report.json: what got better and worse, in the reports")
      .option("-q, --quiet", "no progress output")
  );
}

/** What each AD setting is called on the command line (gap/sources.ts words its messages with these). */
export const AD_FLAG_NAMES: SourceNames = {
  url: "--ad-url",
  bindDN: "--ad-bind-dn",
  baseDNs: "--ad-base-dn",
  caCertPath: "--ad-ca-cert",
  startTls: "--ad-start-tls",
  filter: "--ad-filter",
  readMode: "--ad-read-mode",
  timeoutSeconds: "--ad-timeout-seconds",
  passwordEnv: "--ad-password-env",
  ldif: "--ad-ldif",
  csv: "--ad-csv",
};

export function adSpec(o: CommonOptions): AdSourceSpec {
  try {
    return adSourceSpec(
      {
        url: o.adUrl,
        bindDN: o.adBindDn,
        baseDNs: o.adBaseDn,
        caCertPath: o.adCaCert,
        startTls: o.adStartTls,
        filter: o.adFilter,
        readMode: o.adReadMode,
        timeoutSeconds: o.adTimeoutSeconds,
        passwordEnv: o.adPasswordEnv,
        ldif: o.adLdif,
        csv: o.adCsv,
      },
      AD_FLAG_NAMES,
      process.cwd(),
    );
  } catch (e) {
    if (e instanceof SourceSettingsError) throw new UsageError(e.message);
    throw e;
  }
}

function connection(o: CommonOptions, env: NodeJS.ProcessEnv = process.env): GraphConnectionSettings {
  const overrides: Partial<GraphConnectionSettings> = {
    cloud: o.cloud as CloudName | undefined,
    tenantId: o.tenantId,
    clientId: o.clientId,
    authMethod: o.authMethod as AuthMethod | undefined,
    graphEndpoint: o.graphEndpoint,
    authorityHost: o.authorityHost,
    caCertPath: o.caCert ? resolve(o.caCert) : undefined,
    certificatePath: o.certificatePath ? resolve(o.certificatePath) : undefined,
    serviceConnectionId: o.serviceConnectionId,
    username: o.username,
  };
  try {
    // With the Azure CLI credential and no tenant id, this takes the tenant of `az login` (graph/azureCliTenant.ts).
    return connectionFromEnv(env, overrides);
  } catch (e) {
    if (e instanceof ConnectionSettingsError && e.cause instanceof AzureCliTenantError) {
      throw new UsageError(
        `${errorText(e)}\n  (with the Azure CLI credential syncgap takes the tenant of \`az login\`: run \`az login\`, or give --tenant-id / entra.tenantId)`,
      );
    }
    throw new UsageError(errorText(e));
  }
}

export function entraSpec(o: CommonOptions, forceGraph = false): EntraSourceSpec {
  if (!forceGraph) {
    try {
      entraSourceChoice({ graph: o.entraGraph, json: o.entraJson }, ENTRA_FLAG_NAMES, process.cwd());
    } catch (e) {
      if (e instanceof SourceSettingsError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (o.entraJson && !forceGraph) {
    if (o.deltaState) throw new UsageError("--delta-state works with --entra-graph only");
    if (o.cloudManaged) {
      throw new UsageError(
        "--cloud-managed reads Graph: an export says it itself when it carries onPremisesSyncBehavior.isCloudManaged",
      );
    }
    return { kind: "json", path: resolve(o.entraJson) };
  }
  if (o.entraJson && forceGraph)
    throw new UsageError("check reads the live tenant: use --entra-graph, not --entra-json");
  if (o.cloudManaged && o.deltaState) {
    throw new UsageError("--cloud-managed does not work with --delta-state yet: run without --delta-state");
  }
  return {
    kind: "graph",
    connection: connection(o),
    ...(o.deltaState ? { deltaStatePath: resolve(o.deltaState) } : {}),
  };
}

export function thresholds(o: CommonOptions): Thresholds {
  let failOn: Thresholds["failOn"];
  try {
    failOn = parseCategories(o.failOn);
  } catch (e) {
    throw new UsageError(errorText(e));
  }
  // An empty list would gate on nothing and pass every run: say so rather than switch the gate off in silence.
  if (!failOn.length) {
    throw new UsageError(
      `--fail-on "${o.failOn}" names no category: give at least one of ${CATEGORIES.join(", ")} (default ${DEFAULT_FAIL_ON.join(",")})`,
    );
  }
  return { failOn, maxGaps: o.maxGaps };
}

export function coverageThresholds(o: CommonOptions): CoverageThresholds {
  return { minMatchedShare: o.minMatched, maxNotInAdShare: o.maxNotInAd, maxNotInEntraShare: o.maxNotInEntra };
}

const share = (name: string) => (v: string) => {
  try {
    return parseShare(name, v);
  } catch (e) {
    throw new UsageError(errorText(e));
  }
};

/**
 * The earlier run's JSON report (--compare-with), read and checked before anything else is: an unreadable one is a
 * run that cannot give what was asked (exit 2), not a report without the comparison.
 */
export function previousRun(o: CommonOptions): PreviousRun | undefined {
  if (!o.compareWith) return undefined;
  try {
    return loadPreviousReport(o.compareWith);
  } catch (e) {
    if (e instanceof PreviousReportError) throw new GapInputError("--compare-with", e.message);
    throw e;
  }
}

export function formats(o: CommonOptions, azdo: boolean): ReportFormat[] {
  let f: ReportFormat[];
  try {
    f = parseFormats(o.format);
  } catch (e) {
    throw new UsageError(errorText(e));
  }
  if (azdo && !f.includes("md")) f.push("md"); // the build summary needs it
  return f;
}
