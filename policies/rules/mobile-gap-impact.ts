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
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { printable } from "../../gap/printable";
import type { GapRunSpec } from "../../gap/types";
import {
  DIRECTORY_FEATURE_SETTINGS_TYPE,
  type DirectoryFeatureSettingsProps,
  tenantOf,
} from "../lib/directoryFeatureSettings";
import {
  adSpecFrom,
  configSchema,
  entraSpecFrom,
  type MobileGapImpactConfig,
  type NoLossConfig,
} from "../lib/gapImpactConfig";
import {
  type AnalyzeFn,
  analyzeWith,
  type BackfillLibrary,
  type GapImpact,
  loadBackfillLibrary,
  loadGapLibrary,
} from "../lib/gapLibraries";
import { configWithDefaults, docLink, forStackType, known, violationText } from "../lib/policyHelpers";

export const name = "mobile-gap-impact";

export const HOWTO_URL = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides";

function resolvePath(p: string, baseDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
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
