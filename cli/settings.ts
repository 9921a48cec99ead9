/**
 * Every setting of `syncgap gap|impact|check`, once: its flag, its key in syncgap.yaml, its environment variable(s),
 * and what it means. cli/options.ts resolves options from it (flag, then file, then environment, then the default),
 * cli/config.ts builds the config file's JSON Schema from it (schemas/syncgap-config.schema.json is that schema,
 * written by `syncgap settings --schema`), and docs/configuration.md's table is `syncgap settings --markdown`
 * (test/cli/settings.test.ts checks both match).
 *
 * Secrets have no flag and no key: only an environment variable (or a credential chain). A secret written into the
 * config file is an error that names the variable to use instead (SECRETS).
 */
import { AD_SOURCE_PROPERTIES } from "../gap/sources";
import { CATEGORIES, DEFAULT_FAIL_ON } from "../gap/types";
import { AUTH_METHODS, SECRET_ENV } from "../graph/connection";

export type SettingType = "string" | "path" | "number" | "integer" | "share" | "boolean" | "list" | "choice";

export interface Setting {
  /** The option's name as commander stores it (`--ad-bind-dn` → adBindDn). */
  option: string;
  flag: string;
  /** Dotted key in syncgap.yaml; none for flag-only settings. */
  key?: string;
  /**
   * Environment variables, first one set wins. `graph: true`: graph/connection.ts reads them (flags and the file
   * go to it as overrides), otherwise cli/options.ts does.
   */
  env?: readonly string[];
  graph?: boolean;
  type: SettingType;
  choices?: readonly string[];
  /** Commands that have it (default: gap, impact and check). */
  commands?: readonly ("gap" | "impact" | "check")[];
  description: string;
  /** The default as people read it. */
  default?: string;
}

const ad = AD_SOURCE_PROPERTIES;

/** The AD source kinds and the Entra ID ones: settings of another kind never make an error (see resolveOptions). */
export const AD_SOURCE_OPTIONS = ["adUrl", "adLdif", "adCsv"] as const;
export const ENTRA_SOURCE_OPTIONS = ["entraGraph", "entraJson"] as const;

export const SETTINGS: readonly Setting[] = [
  {
    option: "config",
    flag: "--config",
    env: ["SYNCGAP_CONFIG"],
    type: "path",
    description: "the config file (default: ./syncgap.yaml when it exists)",
  },
  // AD
  {
    option: "adUrl",
    flag: "--ad-url",
    key: "ad.url",
    env: ["SYNCGAP_AD_URL"],
    type: "string",
    description: ad.url.description,
  },
  {
    option: "adBindDn",
    flag: "--ad-bind-dn",
    key: "ad.bindDN",
    env: ["SYNCGAP_AD_BIND_DN"],
    type: "string",
    description: ad.bindDN.description,
  },
  {
    option: "adBaseDn",
    flag: "--ad-base-dn",
    key: "ad.baseDNs",
    env: ["SYNCGAP_AD_BASE_DN"],
    type: "list",
    description: `${ad.baseDNs.description}; the flag is repeatable, the variable separates DNs with ";"`,
  },
  {
    option: "adCaCert",
    flag: "--ad-ca-cert",
    key: "ad.caCertPath",
    env: ["SYNCGAP_AD_CA_CERT"],
    type: "path",
    description: ad.caCertPath.description,
  },
  {
    option: "adStartTls",
    flag: "--ad-start-tls",
    key: "ad.startTls",
    env: ["SYNCGAP_AD_START_TLS"],
    type: "boolean",
    description: ad.startTls.description,
  },
  {
    option: "adFilter",
    flag: "--ad-filter",
    key: "ad.filter",
    env: ["SYNCGAP_AD_FILTER"],
    type: "string",
    description: ad.filter.description,
  },
  {
    option: "adReadMode",
    flag: "--ad-read-mode",
    key: "ad.readMode",
    env: ["SYNCGAP_AD_READ_MODE"],
    type: "choice",
    choices: ad.readMode.enum,
    description:
      "auto: DirSync when the DC offers it, else paged · dirsync: one DirSync search of the domain, kept to the base DNs · paged: a paged search per base DN",
    default: "auto",
  },
  {
    option: "adTimeoutSeconds",
    flag: "--ad-timeout-seconds",
    key: "ad.timeoutSeconds",
    env: ["SYNCGAP_AD_TIMEOUT_SECONDS"],
    type: "number",
    description: "longest wait for the DC per LDAP request (bind, one page, one DirSync reply)",
    default: "30",
  },
  {
    option: "adPasswordEnv",
    flag: "--ad-password-env",
    key: "ad.passwordEnv",
    type: "string",
    description: "name of the environment variable holding the bind password",
    default: "SYNCGAP_AD_PASSWORD",
  },
  {
    option: "adLdif",
    flag: "--ad-ldif",
    key: "ad.ldif",
    env: ["SYNCGAP_AD_LDIF"],
    type: "path",
    description: ad.ldif.description,
  },
  {
    option: "adCsv",
    flag: "--ad-csv",
    key: "ad.csv",
    env: ["SYNCGAP_AD_CSV"],
    type: "path",
    description: ad.csv.description,
  },
  // Entra ID
  {
    option: "entraGraph",
    flag: "--entra-graph",
    key: "entra.graph",
    type: "boolean",
    description: "Entra ID from Microsoft Graph (check always reads Graph)",
  },
  {
    option: "entraJson",
    flag: "--entra-json",
    key: "entra.json",
    env: ["SYNCGAP_ENTRA_JSON"],
    type: "path",
    commands: ["gap", "impact"],
    description: "Entra ID from a Graph JSON export (array of users or array of pages)",
  },
  {
    option: "cloud",
    flag: "--cloud",
    key: "entra.cloud",
    env: ["SYNCGAP_CLOUD"],
    graph: true,
    type: "choice",
    choices: ["global", "usgov", "usgovDoD", "china"],
    description: "national cloud",
    default: "global",
  },
  {
    option: "tenantId",
    flag: "--tenant-id",
    key: "entra.tenantId",
    env: ["SYNCGAP_TENANT_ID", "AZURE_TENANT_ID"],
    graph: true,
    type: "string",
    description: "tenant id or verified domain (with azureCli: the one `az login` signed in to, when not given)",
  },
  {
    option: "clientId",
    flag: "--client-id",
    key: "entra.clientId",
    env: ["SYNCGAP_CLIENT_ID", "AZURE_CLIENT_ID"],
    graph: true,
    type: "string",
    description: "app (client) id",
  },
  {
    option: "authMethod",
    flag: "--auth-method",
    key: "entra.authMethod",
    env: ["SYNCGAP_AUTH_METHOD"],
    graph: true,
    type: "choice",
    choices: AUTH_METHODS,
    description: "credential type (default: inferred from the environment, else azureCli)",
  },
  {
    option: "graphEndpoint",
    flag: "--graph-endpoint",
    key: "entra.graphEndpoint",
    env: ["SYNCGAP_GRAPH_ENDPOINT"],
    graph: true,
    type: "string",
    description: "Graph origin override, e.g. the local tenant emulator",
  },
  {
    option: "authorityHost",
    flag: "--authority-host",
    key: "entra.authorityHost",
    env: ["SYNCGAP_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"],
    graph: true,
    type: "string",
    description: "identity platform origin override",
  },
  {
    option: "caCert",
    flag: "--ca-cert",
    key: "entra.caCertPath",
    env: ["SYNCGAP_CA_CERT"],
    graph: true,
    type: "path",
    description: "PEM CA certificate to trust for Graph and the authority (the emulator's CA)",
  },
  {
    option: "certificatePath",
    flag: "--certificate-path",
    key: "entra.certificatePath",
    env: ["SYNCGAP_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"],
    graph: true,
    type: "path",
    description: "clientCertificate: PEM with certificate and key",
  },
  {
    option: "serviceConnectionId",
    flag: "--service-connection-id",
    key: "entra.serviceConnectionId",
    env: ["SYNCGAP_SERVICE_CONNECTION_ID", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"],
    graph: true,
    type: "string",
    description: "azurePipelines: the service connection id",
  },
  {
    option: "username",
    flag: "--username",
    key: "entra.username",
    env: ["SYNCGAP_USERNAME", "AZURE_USERNAME"],
    graph: true,
    type: "string",
    description: "usernamePassword (emulator and test tenants only)",
  },
  {
    option: "maxRetrySeconds",
    flag: "--max-retry-seconds",
    key: "entra.maxRetrySeconds",
    type: "number",
    description: "longest time one Graph request may spend retrying",
    default: "120",
  },
  {
    option: "requestTimeoutSeconds",
    flag: "--request-timeout-seconds",
    key: "entra.requestTimeoutSeconds",
    type: "number",
    description: "longest wait for one Graph attempt; a timeout is retried within --max-retry-seconds",
    default: "60",
  },
  {
    option: "cloudManaged",
    flag: "--cloud-managed",
    key: "entra.cloudManaged",
    type: "boolean",
    description: "also find synced users moved to cloud management (beta onPremisesSyncBehavior) as CloudManaged",
  },
  {
    option: "deltaState",
    flag: "--delta-state",
    key: "entra.deltaState",
    type: "path",
    description: "delta mode: keep the Graph deltaLink and snapshots here; re-runs read only changes",
  },
  // gate
  {
    option: "failOn",
    flag: "--fail-on",
    key: "thresholds.failOn",
    type: "list",
    choices: CATEGORIES,
    description: "categories that count as gaps",
    default: DEFAULT_FAIL_ON.join(","),
  },
  {
    option: "maxGaps",
    flag: "--max-gaps",
    key: "thresholds.maxGaps",
    env: ["SYNCGAP_MAX_GAPS"],
    type: "integer",
    description: "gaps tolerated before exit 1",
    default: "0",
  },
  {
    option: "minMatched",
    flag: "--min-matched",
    key: "thresholds.minMatched",
    type: "share",
    description: "matched users needed, as a share of the smaller side (e.g. 80%)",
    default: "80%",
  },
  {
    option: "maxNotInAd",
    flag: "--max-not-in-ad",
    key: "thresholds.maxNotInAd",
    type: "share",
    description: "synced Entra ID users without an AD user tolerated, as a share of them",
    default: "20%",
  },
  {
    option: "maxNotInEntra",
    flag: "--max-not-in-entra",
    key: "thresholds.maxNotInEntra",
    type: "share",
    description: "AD users without a synced Entra ID user tolerated, as a share of them",
    default: "20%",
  },
  // phone numbers and reports
  {
    option: "defaultRegion",
    flag: "--default-region",
    key: "defaultRegion",
    env: ["SYNCGAP_DEFAULT_REGION"],
    type: "string",
    description: "region for numbers without a country code (ISO 3166 alpha-2)",
    default: "US",
  },
  {
    option: "format",
    flag: "--format",
    key: "reports.format",
    type: "list",
    choices: ["csv", "json", "junit", "md", "html"],
    description: "reports to write",
    default: "csv,json,junit,md,html",
  },
  {
    option: "out",
    flag: "--out",
    key: "reports.out",
    env: ["SYNCGAP_OUT"],
    type: "path",
    description: "folder for the reports",
    default: "syncgap-report",
  },
  {
    option: "includeInSync",
    flag: "--include-in-sync",
    key: "reports.includeInSync",
    type: "boolean",
    description: "list in-sync users in the reports too",
  },
  {
    option: "junitUsers",
    flag: "--junit-users",
    key: "reports.junitUsers",
    type: "integer",
    description: "JUnit: also one failing case per user in a gated category, for the first n",
    default: "0",
  },
  {
    option: "compareWith",
    flag: "--compare-with",
    key: "reports.compareWith",
    type: "path",
    description: "an earlier run's gap-report.json: what got better and worse, in the reports",
  },
  {
    option: "impact",
    flag: "--impact",
    key: "reports.impact",
    type: "boolean",
    commands: ["gap", "check"],
    description: "also write impact-report.* (what AD authority would overwrite)",
  },
  { option: "quiet", flag: "--quiet", type: "boolean", description: "no progress output" },
  // check
  {
    option: "expectBypass",
    flag: "--expect-bypass",
    key: "check.expectBypass",
    type: "boolean",
    commands: ["check"],
    description: "declared bypassDirSyncOverridesEnabled (true|false)",
  },
  {
    option: "stack",
    flag: "--stack",
    key: "check.stack",
    env: ["SYNCGAP_STACK"],
    type: "string",
    commands: ["check"],
    description: "read the declared value from this Pulumi stack's output",
  },
  {
    option: "cwd",
    flag: "--cwd",
    key: "check.cwd",
    type: "path",
    commands: ["check"],
    description: "Pulumi project folder for --stack",
  },
  {
    option: "since",
    flag: "--since",
    type: "string",
    commands: ["check"],
    description: "wait for a sync later than this ISO time",
    default: "when check starts",
  },
  {
    option: "syncTimeout",
    flag: "--sync-timeout",
    key: "check.syncTimeout",
    type: "number",
    commands: ["check"],
    description: "seconds to wait for the sync",
    default: "2400",
  },
  {
    option: "pollInterval",
    flag: "--poll-interval",
    key: "check.pollInterval",
    type: "number",
    commands: ["check"],
    description: "seconds between Graph polls",
    default: "30",
  },
  { option: "wait", flag: "--no-wait", type: "boolean", commands: ["check"], description: "do not wait for a sync" },
];

/** Secrets: environment only. A key here in syncgap.yaml is an error naming the variable. */
export const SECRETS: readonly { keys: readonly string[]; env: string; what: string }[] = [
  {
    keys: ["ad.password", "ad.bindPassword"],
    env: "SYNCGAP_AD_PASSWORD",
    what: "AD bind password (or the variable named by ad.passwordEnv)",
  },
  { keys: ["entra.clientSecret", "entra.secret"], env: SECRET_ENV.clientSecret, what: "client secret" },
  { keys: ["entra.certificatePassword"], env: SECRET_ENV.certificatePassword, what: "client certificate's password" },
  { keys: ["entra.password"], env: SECRET_ENV.password, what: "usernamePassword's password" },
  {
    keys: ["entra.federatedToken", "entra.federatedTokenFile"],
    env: SECRET_ENV.federatedTokenFile,
    what: "workload identity token file",
  },
  {
    keys: ["entra.accessToken", "entra.systemAccessToken"],
    env: SECRET_ENV.systemAccessToken,
    what: "pipeline access token (azurePipelines)",
  },
];

export const settingFor = (option: string): Setting | undefined => SETTINGS.find((s) => s.option === option);

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** docs/configuration.md's table, one row per setting, then the secrets. */
export function settingsMarkdown(): string {
  const rows = [
    "| setting | flag | syncgap.yaml key | environment | default |",
    "| --- | --- | --- | --- | --- |",
    ...SETTINGS.map((s) =>
      [
        cell(s.description),
        `\`${s.flag}\``,
        s.key ? `\`${s.key}\`` : "—",
        s.env?.length ? s.env.map((e) => `\`${e}\``).join(", ") : "—",
        s.default ? cell(s.default) : "—",
      ].join(" | "),
    ).map((r) => `| ${r} |`),
    ...SECRETS.map((s) => `| ${cell(s.what)} (secret) | — | — (an error) | \`${s.env}\` | — |`),
  ];
  return `${rows.join("\n")}\n`;
}
