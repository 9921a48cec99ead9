/**
 * The `syncgap` command (bin/syncgap runs this file with tsx on Node 22).
 *
 *   syncgap gap     mobile-number gap analysis, on-prem AD vs Entra ID, with reports and a threshold gate
 *   syncgap impact  what turning AD authority on would overwrite (same inputs; reports only)
 *   syncgap check   post-deploy gate: live switch = declared value, wait for the next sync, then the gap gate
 *
 * Exit codes: 0 pass · 1 gaps above the threshold (or, for check, the switch differs from the declared value) ·
 * 2 could not run (bad options, unreadable or partial input: never reported as zero gaps) · 3 (check) no sync
 * happened before --sync-timeout. Secrets come only from the environment (SYNCGAP_AD_PASSWORD, AZURE_CLIENT_SECRET,
 * …), never from flags, and never appear in output or reports. See docs/gap-analysis.md.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { complete, isAzureDevOps, logIssue, uploadSummary } from "../gap/azdo";
import { declaredBypassFromStack, EXIT, readBypassFlag, waitForSync } from "../gap/check";
import { errorText, GapInputError } from "../gap/errors";
import { evaluateGate, type GateOutcome, parseCategories, type Thresholds } from "../gap/gate";
import { impactOf } from "../gap/impact";
import { type BodyCache, parseFormats, type ReportFormat, writeReports } from "../gap/reports";
import { runGapAnalysis } from "../gap/run";
import {
  type AdSourceSpec,
  CATEGORIES,
  DEFAULT_FAIL_ON,
  type EntraSourceSpec,
  type GapResult,
  type GapRunSpec,
} from "../gap/types";
import { TOOL } from "../gap/version";
import {
  AUTH_METHODS,
  type AuthMethod,
  connectionFromEnv,
  type GraphConnectionSettings,
} from "../providers/connection";
import type { CloudName } from "../providers/endpoints";
import { createGraphConnection, type GraphConnection } from "../providers/graphClient";
import { createProgress, isInteractive, type Progress } from "./progress";

interface CommonOptions {
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
}

interface CheckOptions extends CommonOptions {
  expectBypass?: boolean;
  stack?: string;
  cwd?: string;
  since?: string;
  syncTimeout: number;
  pollInterval: number;
  wait: boolean;
}

/** A usage problem: exit 2, like any other reason the analysis could not run. */
class UsageError extends Error {
  override name = "UsageError";
}

const collect = (value: string, previous: string[]) => [...previous, value];
const nonNegativeInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} wants a whole number ≥ 0, got "${v}"`);
  return Number(v);
};
const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} wants a number > 0, got "${v}"`);
  return n;
};
const bool = (name: string) => (v: string) => {
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  throw new UsageError(`${name} wants true or false, got "${v}"`);
};

function addCommonOptions(cmd: Command): Command {
  return (
    cmd
      // AD
      .addOption(
        new Option("--ad-url <url>", "live AD over LDAP(S), e.g. ldaps://dc1.corp.example:636").env("SYNCGAP_AD_URL"),
      )
      .addOption(
        new Option("--ad-bind-dn <dn>", "bind DN for --ad-url (password from the environment)").env(
          "SYNCGAP_AD_BIND_DN",
        ),
      )
      .option("--ad-base-dn <dn>", "search base (repeatable: one per OU in sync scope)", collect, [])
      .addOption(
        new Option("--ad-ca-cert <file>", "PEM CA certificate to trust for ldaps://").env("SYNCGAP_AD_CA_CERT"),
      )
      .option("--ad-start-tls", "ldap:// URLs: upgrade with StartTLS before binding (plain binds are refused)")
      .option("--ad-filter <filter>", "LDAP filter for users in scope (default: the AD reader's user filter)")
      .addOption(
        new Option(
          "--ad-read-mode <mode>",
          "auto: DirSync when the DC offers it, else paged · dirsync: one DirSync search of the domain, kept to the base DNs · paged: a paged search per base DN",
        )
          .choices(["auto", "dirsync", "paged"])
          .default("auto")
          .env("SYNCGAP_AD_READ_MODE"),
      )
      .option("--ad-password-env <name>", "environment variable holding the bind password", "SYNCGAP_AD_PASSWORD")
      .option("--ad-ldif <file>", "AD from an LDIF export (ldifde, ldapsearch)")
      .option("--ad-csv <file>", "AD from a PowerShell CSV export (Get-ADUser … | Export-Csv)")
      // Entra ID
      .option("--entra-graph", "Entra ID from Microsoft Graph (credentials from the environment, as for the provider)")
      .option("--entra-json <file>", "Entra ID from a Graph JSON export (array of users or array of pages)")
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
      .option("-q, --quiet", "no progress output")
  );
}

function adSpec(o: CommonOptions): AdSourceSpec {
  const chosen = [o.adUrl && "--ad-url", o.adLdif && "--ad-ldif", o.adCsv && "--ad-csv"].filter(Boolean);
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length
        ? `choose one AD source, not ${chosen.join(" and ")}`
        : "no AD source: give --ad-url (with --ad-bind-dn and --ad-base-dn), --ad-ldif or --ad-csv",
    );
  }
  if (o.adLdif) return { kind: "ldif", path: resolve(o.adLdif) };
  if (o.adCsv) return { kind: "csv", path: resolve(o.adCsv) };
  if (!o.adBindDn) throw new UsageError("--ad-url needs --ad-bind-dn (the password comes from the environment)");
  if (!o.adBaseDn.length) throw new UsageError("--ad-url needs at least one --ad-base-dn (the OUs in sync scope)");
  if (!/^ldaps?:\/\//i.test(o.adUrl as string))
    throw new UsageError(`--ad-url must start with ldap:// or ldaps://, got "${o.adUrl}"`);
  return {
    kind: "ldap",
    url: o.adUrl as string,
    bindDN: o.adBindDn,
    passwordEnv: o.adPasswordEnv,
    baseDNs: o.adBaseDn,
    ...(o.adCaCert ? { caCertPath: resolve(o.adCaCert) } : {}),
    ...(o.adFilter ? { filter: o.adFilter } : {}),
    ...(o.adStartTls ? { startTls: true } : {}),
    ...(o.adReadMode !== "auto" ? { readMode: o.adReadMode } : {}),
  };
}

function connection(o: CommonOptions): GraphConnectionSettings {
  try {
    return connectionFromEnv(process.env, {
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
    });
  } catch (e) {
    throw new UsageError(errorText(e));
  }
}

function entraSpec(o: CommonOptions, forceGraph = false): EntraSourceSpec {
  if (o.entraGraph && o.entraJson)
    throw new UsageError("choose one Entra ID source, not --entra-graph and --entra-json");
  if (o.entraJson && !forceGraph) {
    if (o.deltaState) throw new UsageError("--delta-state works with --entra-graph only");
    return { kind: "json", path: resolve(o.entraJson) };
  }
  if (o.entraJson && forceGraph)
    throw new UsageError("check reads the live tenant: use --entra-graph, not --entra-json");
  if (!o.entraGraph && !forceGraph) throw new UsageError("no Entra ID source: give --entra-graph or --entra-json");
  return {
    kind: "graph",
    connection: connection(o),
    ...(o.deltaState ? { deltaStatePath: resolve(o.deltaState) } : {}),
  };
}

function thresholds(o: CommonOptions): Thresholds {
  try {
    return { failOn: parseCategories(o.failOn), maxGaps: o.maxGaps };
  } catch (e) {
    throw new UsageError(errorText(e));
  }
}

function formats(o: CommonOptions, azdo: boolean): ReportFormat[] {
  let f: ReportFormat[];
  try {
    f = parseFormats(o.format);
  } catch (e) {
    throw new UsageError(errorText(e));
  }
  if (azdo && !f.includes("md")) f.push("md"); // the build summary needs it
  return f;
}

/** stdout lines: what a person (or a pipeline log) reads. */
function printSummary(result: GapResult, gate: GateOutcome | undefined, files: Record<string, string>): void {
  const t = result.totals;
  const out: string[] = [];
  out.push(
    `syncgap ${TOOL.version}: ${t.adUsers} AD users, ${t.entraUsers} synced Entra ID users, ${t.matched} matched, ${t.outOfSync} out of sync`,
  );
  for (const c of CATEGORIES) out.push(`  ${c.padEnd(15)} ${String(result.counts[c]).padStart(7)}`);
  const imp = impactOf(result);
  out.push(
    `  AD authority would overwrite ${imp.cloudNumbersLost} cloud-entered numbers (${imp.overwrites} replaced, ${imp.clears} cleared; ${imp.formatRewrites} format rewrites)`,
  );
  out.push(`  note: ${result.otherMobileNote}`);
  for (const n of result.notes) out.push(`  note: ${n}`);
  if (gate) out.push(`${gate.passed ? "PASS" : "FAIL"}: ${gate.summary}`);
  const paths = Object.values(files);
  if (paths.length) out.push(`reports: ${paths.join(", ")}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

/** Impact mode on stdout: the users whose cloud-entered number AD authority would overwrite (first 20). */
function printImpact(result: GapResult, max = 20): void {
  const imp = impactOf(result);
  const lines = [
    `impact of bypassDirSyncOverridesEnabled = true: ${imp.cloudNumbersLost} cloud-entered numbers overwritten`,
  ];
  for (const r of imp.rows.slice(0, max)) {
    const after = r.change === "clear" ? "(cleared)" : (r.adMobile ?? "");
    lines.push(`  ${r.change.padEnd(13)} ${r.userPrincipalName}: ${r.entraMobile ?? ""} → ${after}`);
  }
  if (imp.rows.length > max) lines.push(`  … ${imp.rows.length - max} more in impact-report.csv`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

interface Ctx {
  progress: Progress;
  azdo: boolean;
  /** Progress bars on a terminal (a known total is worth one extra request there, not in CI). */
  interactive: boolean;
}

/**
 * How many synced users Graph holds, for the progress bar: `$count=true` is an advanced query
 * (`ConsistencyLevel: eventual`, https://learn.microsoft.com/graph/aad-advanced-queries). Best effort: any failure
 * just means a counter instead of a bar.
 */
async function countSyncedUsers(conn: GraphConnection): Promise<number | undefined> {
  try {
    const body = (await conn.client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .query({ $filter: "onPremisesSyncEnabled eq true", $count: "true", $top: "1", $select: "id" })
      .get()) as { "@odata.count"?: unknown };
    const n = body["@odata.count"];
    return typeof n === "number" ? n : undefined;
  } catch {
    return undefined;
  }
}

function progressFor(o: CommonOptions): Progress {
  return createProgress({ interactive: isInteractive(), quiet: o.quiet });
}

async function analyse(
  o: CommonOptions,
  ctx: Ctx,
  entra: EntraSourceSpec,
  graphConnection?: GraphConnection,
): Promise<GapResult> {
  const spec: GapRunSpec = {
    ad: adSpec(o),
    entra,
    defaultRegion: o.defaultRegion,
    includeInSync: o.includeInSync ?? false,
  };
  const retry = { budgetMs: o.maxRetrySeconds * 1000 };
  let conn = graphConnection;
  // On a terminal the progress bar wants the total first; otherwise the analysis creates the connection when it
  // starts the Graph read (gap/run.ts: after the DC has its search).
  if (!conn && entra.kind === "graph" && !entra.deltaStatePath && ctx.interactive) {
    conn = createGraphConnection(entra.connection, { retry });
    const total = await countSyncedUsers(conn);
    if (total !== undefined) ctx.progress.setTotal("entra", total);
  }
  try {
    return await runGapAnalysis(spec, {
      graphConnection: conn,
      graph: { retry },
      onProgress: (p) => ctx.progress.update(p.side, p.users, p.pages, p.done),
    });
  } finally {
    ctx.progress.stop();
  }
}

/**
 * In delta mode, where the reports' row parts are kept for the next run (gap/reports/bodies.ts): under the rows'
 * digest and this build's identity (the bundle file: bin/syncgap rebuilds it whenever a source changes). Run from
 * source (tsx), nothing is kept.
 */
function bodyCache(entra: EntraSourceSpec, result: GapResult): BodyCache | undefined {
  if (entra.kind !== "graph" || !entra.deltaStatePath || !result.rowsDigest || !__filename.endsWith(".cjs")) {
    return undefined;
  }
  let build: string;
  try {
    const st = statSync(__filename, { bigint: true });
    build = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return undefined;
  }
  return { file: `${entra.deltaStatePath}.reports`, key: `${result.rowsDigest} ${TOOL.version} ${build}` };
}

async function gapCommand(o: CommonOptions, mode: "gap" | "impact"): Promise<number> {
  const azdo = isAzureDevOps();
  const ctx: Ctx = { progress: progressFor(o), azdo, interactive: isInteractive() && !o.quiet };
  const th = thresholds(o);
  const fmts = formats(o, azdo);
  adSpec(o);
  const entra = entraSpec(o);
  const result = await analyse(o, ctx, entra);
  const gate = mode === "gap" ? evaluateGate(result, th) : undefined;
  const files = await writeReports(result, {
    outDir: o.out,
    formats: fmts,
    gate,
    impact: mode === "impact" || o.impact,
    bodies: bodyCache(entra, result),
  });
  printSummary(result, gate, files);
  if (mode === "impact" || o.impact) printImpact(result);
  if (azdo) {
    if (files.md) process.stdout.write(`${uploadSummary(files.md)}\n`);
    if (gate && !gate.passed) {
      process.stdout.write(`${logIssue("error", `syncgap: ${gate.summary}`)}\n`);
      process.stdout.write(`${complete("Failed", "mobile-number gaps above the threshold")}\n`);
    }
  }
  return gate && !gate.passed ? EXIT.fail : EXIT.pass;
}

async function checkCommand(o: CheckOptions): Promise<number> {
  const azdo = isAzureDevOps();
  const started = new Date();
  const since = o.since ? new Date(o.since) : started;
  if (Number.isNaN(since.getTime())) throw new UsageError(`--since wants an ISO 8601 date-time, got "${o.since}"`);
  const th = thresholds(o);
  const fmts = formats(o, azdo);
  adSpec(o); // options first: fail on a bad command line before touching the tenant
  const entra = entraSpec(o, true) as Extract<EntraSourceSpec, { kind: "graph" }>;
  const progress = progressFor(o);
  const say = (m: string) => (o.quiet ? undefined : process.stderr.write(`[syncgap] ${m}\n`));

  let expected: boolean;
  if (o.expectBypass !== undefined) expected = o.expectBypass;
  else if (o.stack || o.cwd)
    expected = await declaredBypassFromStack({ stack: o.stack, cwd: o.cwd ? resolve(o.cwd) : undefined });
  else
    throw new UsageError(
      "check needs the declared value: --expect-bypass true|false, or --stack/--cwd to read the stack output",
    );

  const conn = createGraphConnection(entra.connection, { retry: { budgetMs: o.maxRetrySeconds * 1000 } });
  const live = await readBypassFlag(conn.client);
  const flagOk = live === expected;
  const failures: string[] = [];
  if (!flagOk) {
    failures.push(
      `bypassDirSyncOverridesEnabled is ${live} in the tenant but the stack declares ${expected}: run pulumi up (or look for a change made outside Pulumi)`,
    );
  }
  say(`bypassDirSyncOverridesEnabled: live ${live}, declared ${expected} — ${flagOk ? "ok" : "WRONG"}`);

  if (flagOk && o.wait) {
    say(
      `waiting for a directory sync after ${since.toISOString()} (timeout ${o.syncTimeout} s, polling every ${o.pollInterval} s)`,
    );
    const waited = await waitForSync(conn.client, {
      since,
      timeoutMs: o.syncTimeout * 1000,
      pollMs: o.pollInterval * 1000,
      onPoll: (p) =>
        say(
          `last sync ${p.lastSync ? p.lastSync.toISOString() : "never"} — waited ${Math.round(p.elapsedMs / 1000)}/${o.syncTimeout} s`,
        ),
    });
    if (!waited.synced) {
      const msg =
        `no directory sync after ${since.toISOString()} within ${o.syncTimeout} s (last sync: ${waited.lastSync?.toISOString() ?? "never"}). ` +
        "Is Entra Connect running? Start one with Start-ADSyncSyncCycle -PolicyType Initial (Microsoft advises a full sync after " +
        "changing the switch), or raise --sync-timeout.";
      process.stderr.write(`syncgap: ${msg}\n`);
      if (azdo) {
        process.stdout.write(`${logIssue("error", `syncgap check: ${msg}`)}\n`);
        process.stdout.write(`${complete("Failed", "no directory sync before the timeout")}\n`);
      }
      return EXIT.syncTimeout;
    }
    say(`sync seen at ${waited.lastSync?.toISOString()}`);
  } else if (!flagOk) {
    say("not waiting for a sync: the switch is wrong, so the numbers cannot converge");
  }

  const result = await analyse(o, { progress, azdo, interactive: isInteractive() && !o.quiet }, entra, conn);
  const gate = evaluateGate(result, th);
  if (!gate.passed) failures.push(gate.summary);
  const files = await writeReports(result, {
    outDir: o.out,
    formats: fmts,
    gate,
    impact: o.impact,
    bodies: bodyCache(entra, result),
  });
  printSummary(result, gate, files);
  if (!flagOk) process.stdout.write(`FAIL: ${failures[0]}\n`);
  if (azdo) {
    if (files.md) process.stdout.write(`${uploadSummary(files.md)}\n`);
    for (const f of failures) process.stdout.write(`${logIssue("error", `syncgap check: ${f}`)}\n`);
    if (failures.length) process.stdout.write(`${complete("Failed", failures.join(" / "))}\n`);
  }
  return failures.length ? EXIT.fail : EXIT.pass;
}

function couldNotRun(e: unknown): number {
  const msg =
    e instanceof GapInputError || e instanceof UsageError
      ? e.message
      : `${errorText(e)}${e instanceof Error && e.name && e.name !== "Error" ? ` (${e.name})` : ""}`;
  process.stderr.write(`syncgap: could not run: ${msg}\n`);
  if (e instanceof GapInputError || e instanceof UsageError) {
    // nothing more: the message names the source and the remedy
  } else if (process.env.SYNCGAP_DEBUG && e instanceof Error && e.stack) {
    process.stderr.write(`${e.stack}\n`);
  }
  if (isAzureDevOps()) {
    process.stdout.write(`${logIssue("error", `syncgap could not run: ${msg}`)}\n`);
    process.stdout.write(`${complete("Failed", "syncgap could not run")}\n`);
  }
  return EXIT.couldNotRun;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("syncgap")
    .description("Mobile numbers in hybrid Entra ID tenants: on-prem AD vs Entra ID gap analysis and post-deploy gate")
    .version(TOOL.version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const run = (fn: () => Promise<number>) => async () => {
    try {
      setExit(await fn());
    } catch (e) {
      setExit(couldNotRun(e));
    }
  };

  addCommonOptions(
    program
      .command("gap")
      .description("gap analysis with reports; exit 0 no gaps above the threshold, 1 gaps above it, 2 could not run"),
  )
    .option("--impact", "also write impact-report.* (what AD authority would overwrite)")
    .action(function (this: Command) {
      const o = this.opts<CommonOptions>();
      return run(() => gapCommand(o, "gap"))();
    });

  addCommonOptions(
    program
      .command("impact")
      .description("what turning AD authority on would overwrite: impact-report.* plus the gap reports; exit 0, or 2"),
  ).action(function (this: Command) {
    const o = this.opts<CommonOptions>();
    return run(() => gapCommand(o, "impact"))();
  });

  addCommonOptions(
    program
      .command("check")
      .description(
        "post-deploy gate: switch = declared value, wait for the next sync, gap gate; exit 0 pass, 1 fail, 2 could not run, 3 no sync before the timeout",
      ),
  )
    .option("--expect-bypass <bool>", "declared bypassDirSyncOverridesEnabled (true|false)", bool("--expect-bypass"))
    .option("--stack <name>", "read the declared value from this Pulumi stack's output")
    .option("--cwd <dir>", "Pulumi project folder for --stack")
    .option("--since <iso>", "wait for a sync later than this (default: when check starts)")
    .option("--sync-timeout <seconds>", "how long to wait for the sync", positiveNumber("--sync-timeout"), 2400)
    .option("--poll-interval <seconds>", "how often to ask Graph", positiveNumber("--poll-interval"), 30)
    .option("--no-wait", "do not wait for a sync")
    .option("--impact", "also write impact-report.*")
    .action(function (this: Command) {
      const o = this.opts<CheckOptions>();
      return run(() => checkCommand(o))();
    });

  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code = EXIT.pass as number;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version succeed; help shown because no command was given is a usage error.
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      return EXIT.couldNotRun; // commander already printed the problem
    }
    return couldNotRun(e);
  }
  return code;
}

/** Runs the command line and exits with its code (bin/syncgap → cli/start.cjs → the bundle calls this). */
export function run(argv: string[] = process.argv): void {
  // Exit explicitly: idle keep-alive sockets (Graph, LDAP) must not hold the gate open. stdout and stderr are
  // synchronous for files and pipes on Linux, so nothing written is lost.
  main(argv).then(
    (code) => process.exit(code),
    (e) => process.exit(couldNotRun(e)),
  );
}

if (require.main === module) run();
