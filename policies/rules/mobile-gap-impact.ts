/**
 * mobile-gap-impact (stack policy; advisory by default, mandatory through config): during a preview, runs syncgap's
 * gap analysis against the live directories and says how many cloud-entered mobile numbers the declared setting
 * would overwrite.
 *
 * Turning bypassDirSyncOverridesEnabled on makes AD's Mobile win at the next sync: Microsoft notes that differing
 * cloud values are overwritten with AD's (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides).
 * The gap library's impact summary counts them: `overwrites` (AD has another number) + `clears` (AD has none).
 * Format-only differences are reported, not counted.
 *
 * No-loss mode (`noLoss: { plan, decisions? }`, the back-fill's reviewed plan: docs/backfill.md): each number the
 * switch would lose must be settled by the plan — written into AD by it (the deploy stage applies the plan before
 * `pulumi up`; once applied the user is no longer lost) or decided `ad` (knowingly given up). A user still to review,
 * changed since the plan, or not in it is a violation naming what to do (backfill/losses.ts); maxOverwrites does not
 * apply. A plan that cannot be read or was edited other than in its decisions is a violation too, never a pass.
 *
 * Never a silent pass: when the directories cannot be read (no AD source configured, a connection refused, a 403,
 * a timeout) the policy reports that as a violation, which fails the preview when the policy is mandatory.
 *
 * Connection settings come from policy config; secrets only from the environment (the AD bind password from the
 * variable named by `ad.passwordEnv`, default SYNCGAP_AD_PASSWORD; Graph secrets as graph/credentials.ts reads
 * them). Without `entra` in the config, the DirectoryFeatureSettings resource's own `connection` is used, with the
 * environment's endpoint overrides on top (runtimeConnection), exactly as the provider does.
 *
 * The gap library is loaded lazily, inside the check, so the policy pack still loads (and the other policies still
 * run) if the library fails to import; that failure is then reported like any other unreadable directory.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { Coverage } from "../../gap/coverage";
import { printable } from "../../gap/printable";
import {
  AD_SOURCE_PROPERTIES,
  type AdSourceSettings,
  adSourceSpec,
  entraSourceChoice,
  type SourceNames,
  SourceSettingsError,
} from "../../gap/sources";
import type { GapResult, GapRunSpec, ImpactSummary } from "../../gap/types";
import { type GraphConnectionSettings, runtimeConnection, validateConnection } from "../../graph/connection";
import { CONNECTION_PROPERTIES } from "../../providers/inputsSchema";
import {
  DIRECTORY_FEATURE_SETTINGS_TYPE,
  type DirectoryFeatureSettingsProps,
  tenantOf,
} from "../lib/directoryFeatureSettings";
import { configWithDefaults, docLink, forStackType, known, violationText } from "../lib/policyHelpers";

export const name = "mobile-gap-impact";

export const HOWTO_URL = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides";

/**
 * AD source as policy config may give it (no in-memory source, no secrets): every AD setting the CLI has
 * (gap/sources.ts AD_SOURCE_PROPERTIES, the same keys as syncgap.yaml's `ad:`), with `kind` + `path` for exports.
 */
export interface AdSourceConfig extends Omit<AdSourceSettings, "ldif" | "csv"> {
  kind: "ldap" | "ldif" | "csv";
  path?: string;
}

/** What each AD setting is called in policy config, for gap/sources.ts's messages. */
const AD_CONFIG_NAMES: SourceNames = {
  url: "ad.url",
  bindDN: "ad.bindDN",
  baseDNs: "ad.baseDNs",
  caCertPath: "ad.caCertPath",
  startTls: "ad.startTls",
  filter: "ad.filter",
  readMode: "ad.readMode",
  timeoutSeconds: "ad.timeoutSeconds",
  passwordEnv: "ad.passwordEnv",
  ldif: 'ad.path (kind "ldif")',
  csv: 'ad.path (kind "csv")',
};

export interface EntraSourceConfig {
  kind: "graph" | "json";
  connection?: Partial<GraphConnectionSettings>;
  path?: string;
}

export interface NoLossConfig {
  /** backfill-plan.json (relative paths: from the policy pack's working directory). */
  plan: string;
  /** The reviewed backfill-plan.csv; default: the one next to the plan, when there is one. */
  decisions?: string;
}

export interface MobileGapImpactConfig {
  maxOverwrites: number;
  noLoss?: NoLossConfig;
  ad?: AdSourceConfig;
  entra?: EntraSourceConfig;
  defaultRegion: string;
  timeoutSeconds: number;
  listUsers: number;
}

const connectionSchema: PolicyConfigJSONSchema = {
  type: "object",
  additionalProperties: false,
  description: "Graph connection settings (graph/connection.ts). Never secrets: those come from the environment.",
  properties: CONNECTION_PROPERTIES as unknown as Record<string, PolicyConfigJSONSchema>,
};

export const configSchema: PolicyConfigSchema = {
  properties: {
    maxOverwrites: {
      type: "integer",
      minimum: 0,
      default: 0,
      description:
        "Most cloud-entered mobile numbers (overwritten + cleared) the change may overwrite before it is a violation.",
    },
    noLoss: {
      type: "object",
      additionalProperties: false,
      required: ["plan"],
      description:
        "No-loss mode: every cloud number the switch would lose must be settled by this reviewed back-fill plan (written into AD, or decided ad); maxOverwrites does not apply. See docs/backfill.md.",
      properties: {
        plan: { type: "string", description: "Path of backfill-plan.json." },
        decisions: {
          type: "string",
          description: "Path of the reviewed backfill-plan.csv (default: the one next to the plan, when present).",
        },
      },
    },
    ad: {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      description:
        "Where to read AD: ldap (url, bindDN, baseDNs, passwordEnv, caCertPath, startTls, filter, readMode, timeoutSeconds: " +
        "the same settings as syncgap.yaml's ad:) or an export file (ldif/csv with path). " +
        "The bind password is read from the environment variable named by passwordEnv (default SYNCGAP_AD_PASSWORD).",
      properties: {
        kind: { type: "string", enum: ["ldap", "ldif", "csv"] },
        ...(Object.fromEntries(
          Object.entries(AD_SOURCE_PROPERTIES).filter(([k]) => k !== "ldif" && k !== "csv"),
        ) as Record<string, PolicyConfigJSONSchema>),
        path: { type: "string", description: "kind ldif or csv: the export file" },
      },
    },
    entra: {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      description:
        "Where to read Entra ID: graph (connection settings) or json (an export file with path). " +
        "Default: the DirectoryFeatureSettings resource's own connection with the environment's endpoint overrides.",
      properties: {
        kind: { type: "string", enum: ["graph", "json"] },
        connection: connectionSchema,
        path: { type: "string" },
      },
    },
    defaultRegion: {
      type: "string",
      pattern: "^[A-Z]{2}$",
      default: "US",
      description: "Region for numbers written without a country code (ISO 3166-1 alpha-2).",
    },
    timeoutSeconds: {
      type: "integer",
      minimum: 1,
      default: 120,
      description: "How long the analysis may take before the directories count as unreadable.",
    },
    listUsers: {
      type: "integer",
      minimum: 0,
      default: 5,
      description: "How many affected user principal names a violation lists (phone numbers are never printed).",
    },
  },
};

/** What one analysis yields: the impact summary plus a little context for the report. */
export interface GapImpact {
  impact: ImpactSummary;
  totals?: { adUsers: number; entraUsers: number; matched: number };
  notes?: string[];
  /** Did the analysis compare enough users to count anything (gap/coverage.ts)? */
  coverage?: Pick<Coverage, "ok" | "summary" | "problems" | "fix">;
}

/** `env` is where secrets are read from (the AD bind password, Graph credentials): process.env in the pack. */
export type AnalyzeFn = (spec: GapRunSpec, env: NodeJS.ProcessEnv) => Promise<GapImpact>;

/** The part of gap/index.ts this policy uses. */
export interface GapLibrary {
  runGapAnalysis(spec: GapRunSpec, options?: { env?: NodeJS.ProcessEnv }): Promise<GapResult>;
  impactOf(result: GapResult): ImpactSummary;
  coverageOf?(result: GapResult): Coverage;
}

export class GapConfigError extends Error {
  override name = "GapConfigError";
}

/** The part of backfill/index.ts the no-loss mode uses. */
export interface BackfillLibrary {
  readPlanJson: typeof import("../../backfill").readPlanJson;
  readDecisionsCsv: typeof import("../../backfill").readDecisionsCsv;
  reviewLosses: typeof import("../../backfill").reviewLosses;
  LOSS_REMEDIES: typeof import("../../backfill").LOSS_REMEDIES;
}

/**
 * Loads backfill/index.ts at call time (only in no-loss mode). The pack runs from its bundle (dist/policies.cjs,
 * scripts/build.mjs), which holds the library: the import only runs its module code now, so a library that throws
 * while loading fails this policy with a violation, not the whole pack.
 */
export async function loadBackfillLibrary(): Promise<BackfillLibrary> {
  try {
    return (await import("../../backfill/index.js")) as BackfillLibrary;
  } catch (e) {
    throw new Error(`the back-fill library (backfill/index.ts) failed to load: ${violationText(e)}`);
  }
}

/** Loads gap/index.ts at call time, like loadBackfillLibrary. */
export async function loadGapLibrary(): Promise<GapLibrary> {
  let mod: Partial<GapLibrary>;
  try {
    mod = (await import("../../gap/index.js")) as Partial<GapLibrary>;
  } catch (e) {
    throw new Error(`the gap library (gap/index.ts) failed to load: ${violationText(e)}`);
  }
  if (typeof mod.runGapAnalysis !== "function" || typeof mod.impactOf !== "function") {
    throw new Error("the gap library (gap/index.ts) does not export runGapAnalysis() and impactOf()");
  }
  return mod as GapLibrary;
}

export function analyzeWith(load: () => GapLibrary | Promise<GapLibrary>): AnalyzeFn {
  return async (spec, env) => {
    const gap = await load();
    const result = await gap.runGapAnalysis(spec, { env });
    return {
      impact: gap.impactOf(result),
      totals: {
        adUsers: result.totals?.adUsers ?? 0,
        entraUsers: result.totals?.entraUsers ?? 0,
        matched: result.totals?.matched ?? 0,
      },
      notes: result.notes ?? [],
      ...(gap.coverageOf ? { coverage: gap.coverageOf(result) } : {}),
    };
  };
}

function resolvePath(p: string, baseDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
}

export function adSpecFrom(ad: AdSourceConfig | undefined, baseDir: string): GapRunSpec["ad"] {
  if (!ad) {
    throw new GapConfigError(
      'no AD source is configured: give the policy an "ad" object in --policy-pack-config (see policies/config/)',
    );
  }
  const { kind, path: file, ...settings } = ad;
  if (kind === "ldap" && !settings.url) throw new GapConfigError('ad.kind "ldap" needs ad.url');
  if (kind !== "ldap" && !file) throw new GapConfigError(`ad.kind "${kind}" needs a path`);
  try {
    return adSourceSpec(
      kind === "ldap" ? settings : { ...settings, url: undefined, [kind]: file },
      AD_CONFIG_NAMES,
      baseDir,
    );
  } catch (e) {
    if (e instanceof SourceSettingsError) throw new GapConfigError(e.message);
    throw e;
  }
}

export function entraSpecFrom(
  entra: EntraSourceConfig | undefined,
  props: DirectoryFeatureSettingsProps,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): GapRunSpec["entra"] {
  if (entra?.kind === "json") {
    if (!entra.path) throw new GapConfigError('entra.kind "json" needs a path');
    return entraSourceChoice(
      { json: entra.path },
      { graph: "entra.kind graph", json: "entra.path" },
      baseDir,
    ) as Extract<GapRunSpec["entra"], { kind: "json" }>;
  }
  if (entra?.connection) {
    return { kind: "graph", connection: validateConnection({ cloud: "global", ...entra.connection }) };
  }
  if (!props.connection) {
    throw new GapConfigError("the resource has no connection and the policy config gives no entra source");
  }
  return { kind: "graph", connection: runtimeConnection(props.connection as GraphConnectionSettings, env) };
}

function withTimeout<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the analysis took longer than ${seconds} s`)), seconds * 1000);
    timer.unref?.();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface MobileGapImpactDeps {
  /** The analysis (tests inject one; the default runs gap/index.ts). */
  analyze?: AnalyzeFn;
  /** Environment for secrets and endpoint overrides (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Informational lines; Pulumi shows the policy pack's stderr under the stack's diagnostics. */
  log?: (line: string) => void;
  /** Directory that relative paths in the config are resolved against (default: the policy pack's directory). */
  baseDir?: string;
  /** The back-fill library for no-loss mode (default: backfill/index.ts, loaded when first needed). */
  loadBackfill?: () => BackfillLibrary | Promise<BackfillLibrary>;
}

export function createMobileGapImpactPolicy(deps: MobileGapImpactDeps = {}): StackValidationPolicy {
  const analyze = deps.analyze ?? analyzeWith(loadGapLibrary);
  // Messages quote directory data (UPNs, error texts), and Pulumi prints them into the pipeline's log, where a line
  // holding `##vso[` is a command: every line goes through gap/printable.ts.
  const rawLog = deps.log ?? ((line: string) => console.error(line));
  const log = (line: string) => rawLog(printable(line));

  async function checkResource(
    r: PolicyResource,
    cfg: MobileGapImpactConfig,
    rawReport: (message: string, urn?: string) => void,
  ): Promise<void> {
    const report = (message: string, urn?: string) => rawReport(printable(message), urn);
    const props = r.props as DirectoryFeatureSettingsProps;
    const flag = known(() => props.bypassDirSyncOverridesEnabled);
    const tenant = known(() => tenantOf(props));
    const label = `"${r.name}" (tenant ${tenant.known && tenant.value ? tenant.value : "unknown"})`;
    if (!flag.known) {
      report(
        `${label}: bypassDirSyncOverridesEnabled is not known during this preview, so the impact on cloud-entered ` +
          `mobile numbers cannot be computed. See ${docLink(name)}.`,
        r.urn,
      );
      return;
    }
    if (flag.value !== true) {
      log(
        `[${name}] ${label}: bypassDirSyncOverridesEnabled = ${String(flag.value)}: DirSync overrides stay in force and ` +
          "cloud-entered mobile numbers keep winning, so this change overwrites 0 of them (directories not read).",
      );
      return;
    }

    const baseDir = deps.baseDir ?? process.cwd();
    const env = deps.env ?? process.env;
    let result: GapImpact;
    try {
      const spec: GapRunSpec = {
        ad: adSpecFrom(cfg.ad, baseDir),
        entra: entraSpecFrom(cfg.entra, props, env, baseDir),
        defaultRegion: cfg.defaultRegion,
      };
      result = await withTimeout(analyze(spec, env), cfg.timeoutSeconds);
    } catch (e) {
      const why = violationText(e);
      log(`[${name}] ${label}: cannot read the directories: ${why}`);
      report(
        `Cannot read the directories to count the cloud-entered mobile numbers that bypassDirSyncOverridesEnabled = true ` +
          `would overwrite for ${label}: ${why}. The impact is unknown, so this is reported rather than passed. ` +
          `Check the policy config (ad / entra) and the credentials in the environment. See ${docLink(name)}.`,
        r.urn,
      );
      return;
    }

    if (result.coverage && !result.coverage.ok) {
      // A run that matched nobody counts no overwrites: that is no count, and never a pass.
      log(`[${name}] ${label}: compared too little to judge: ${result.coverage.summary}`);
      report(
        `Compared too little to count the cloud-entered mobile numbers that bypassDirSyncOverridesEnabled = true would ` +
          `overwrite for ${label}: ${result.coverage.problems.join("; ")} (${result.coverage.summary}). The impact is ` +
          `unknown, so this is reported rather than passed: ${result.coverage.fix ?? "check the policy config (ad / entra)"}. ` +
          `See ${docLink(name)}.`,
        r.urn,
      );
      return;
    }

    if (cfg.noLoss) {
      await checkNoLoss(result, cfg.noLoss, cfg.listUsers, label, baseDir, r.urn, report);
      return;
    }

    const { overwrites, clears, formatRewrites } = result.impact;
    const lost = overwrites + clears;
    const read = result.totals
      ? ` Read ${plural(result.totals.adUsers, "AD user")} and ${plural(result.totals.entraUsers, "synced Entra ID user")} (${result.totals.matched} matched).`
      : "";
    const summary =
      `${label}: AD authority (bypassDirSyncOverridesEnabled = true) would overwrite ` +
      `${plural(lost, "cloud-entered mobile number")} at the next sync: ${overwrites} replaced by AD's number, ` +
      `${clears} cleared because AD has none; ${plural(formatRewrites, "more number")} would only change format.`;
    log(`[${name}] ${summary}${read} maxOverwrites = ${cfg.maxOverwrites}.`);
    for (const note of result.notes ?? []) log(`[${name}] note: ${note}`);
    if (lost <= cfg.maxOverwrites) return;

    const affected = result.impact.rows
      .filter((row) => row.change === "overwrite" || row.change === "clear")
      .map((row) => row.userPrincipalName);
    const shown = affected.slice(0, cfg.listUsers);
    const users = shown.length
      ? ` Users: ${shown.join(", ")}${affected.length > shown.length ? ` (+${affected.length - shown.length} more)` : ""}.`
      : "";
    report(
      `${summary} This stack allows ${cfg.maxOverwrites} (policy config maxOverwrites).${users} ` +
        "Before applying, put the numbers to keep into AD (or accept the loss by raising maxOverwrites); the gap " +
        `report lists every user. Microsoft: ${HOWTO_URL}. See ${docLink(name)}.`,
      r.urn,
    );
  }

  async function checkNoLoss(
    result: GapImpact,
    noLoss: NoLossConfig,
    listUsers: number,
    label: string,
    baseDir: string,
    urn: string,
    report: (message: string, urn?: string) => void,
  ): Promise<void> {
    const planPath = resolvePath(noLoss.plan, baseDir);
    const nextToPlan = path.join(path.dirname(planPath), "backfill-plan.csv");
    const decisionsPath = noLoss.decisions
      ? resolvePath(noLoss.decisions, baseDir)
      : existsSync(nextToPlan)
        ? nextToPlan
        : undefined;
    if (!existsSync(planPath)) {
      report(
        `${label}: no back-fill plan at ${planPath} (policy config noLoss), so nothing settles the cloud-entered ` +
          "mobile numbers bypassDirSyncOverridesEnabled = true would lose; this is reported rather than passed. Make one " +
          "with `syncgap backfill plan` (the pull request's preview artifact has one under backfill/), review its CSV, " +
          `and commit both files there. See ${docLink(name)}.`,
        urn,
      );
      return;
    }
    let review: ReturnType<BackfillLibrary["reviewLosses"]>;
    let lib: BackfillLibrary;
    try {
      lib = await (deps.loadBackfill ?? loadBackfillLibrary)();
      let { plan } = lib.readPlanJson(planPath);
      if (decisionsPath) plan = lib.readDecisionsCsv(decisionsPath, plan).plan;
      review = lib.reviewLosses(result.impact.rows, plan);
    } catch (e) {
      report(
        `Cannot hold ${label}'s lost cloud numbers against the back-fill plan (policy config noLoss): ${violationText(e)}. ` +
          `Unsettled numbers are unknown, so this is reported rather than passed. See ${docLink(name)}.`,
        urn,
      );
      return;
    }
    const c = review.counts;
    const lost = review.users.length;
    const summary =
      `${label}: AD authority (bypassDirSyncOverridesEnabled = true) would lose ${plural(lost, "cloud-entered mobile number")} ` +
      `as things stand; the back-fill plan ${path.basename(planPath)}${decisionsPath ? ` with ${path.basename(decisionsPath)}` : ""} ` +
      `writes ${c.keptByPlan} into AD first and gives up ${c.acceptedLoss} by decision (ad)`;
    log(`[${name}] ${summary}; ${review.unsettled} unsettled.`);
    if (review.unsettled === 0) return;
    const parts: string[] = [];
    for (const standing of ["review", "changedSincePlan", "notInPlan"] as const) {
      const users = review.users.filter((u) => u.standing === standing).map((u) => u.row.userPrincipalName);
      if (!users.length) continue;
      const shown = users.slice(0, listUsers);
      const who = shown.length
        ? ` (${shown.join(", ")}${users.length > shown.length ? `, +${users.length - shown.length} more` : ""})`
        : "";
      parts.push(`${users.length} ${lib.LOSS_REMEDIES[standing].what}${who}: ${lib.LOSS_REMEDIES[standing].fix}`);
    }
    report(
      `${summary}, but ${plural(review.unsettled, "number")} would be lost without a decision: ${parts.join("; ")}. ` +
        `Microsoft: ${HOWTO_URL}. See ${docLink(name)}.`,
      urn,
    );
  }
  return {
    name,
    description:
      "Reports how many cloud-entered mobile numbers turning AD authority on would overwrite (gap analysis against the live directories); above maxOverwrites, or when the directories cannot be read, it is a violation.",
    enforcementLevel: "advisory",
    severity: "high",
    tags: ["syncgap", "entra-connect", "mobile-phone", "impact"],
    url: HOWTO_URL,
    remediationSteps: `Fix the numbers in AD first, or raise maxOverwrites after review (${docLink(name)}).`,
    configSchema,
    validateStack: forStackType(DIRECTORY_FEATURE_SETTINGS_TYPE, async (args, reportViolation) => {
      const cfg = configWithDefaults<MobileGapImpactConfig>(args, configSchema);
      for (const r of args.resources) {
        if (r.type !== DIRECTORY_FEATURE_SETTINGS_TYPE) continue;
        await checkResource(r, cfg, reportViolation);
      }
    }),
  };
}

export const mobileGapImpact = createMobileGapImpactPolicy();
