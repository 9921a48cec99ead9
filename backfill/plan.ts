/**
 * The plan: from a gap run, the AD writes that keep every cloud-entered number once AD becomes the authority.
 *
 * - CloudOnly (Entra has a number, AD none: the switch would clear it) → `cloud`: write Entra's number into AD.
 * - ValueMismatch (both have a number, different numbers: the switch would overwrite Entra's) → `review` by default
 *   (nothing is written until someone chooses), or `prefer` for all: `cloud` writes Entra's number, `ad` keeps AD's
 *   and the cloud number is knowingly lost.
 * - FormatOnly (same number, spelt differently) → `ad` (nothing is lost), or with `normalise` the E.164 form.
 * Every other category loses no cloud number (MissingInEntra: Entra has none; CloudManaged: the switch does not touch
 * it, see gap/join.ts) and is not in the plan.
 *
 * The objectGUID of each AD user is carried from the AD read itself: the gap run's AD source is wrapped so that each
 * user's DN, objectGUID and read time are kept as the users pass through. GapRow.immutableId cannot stand in for it:
 * it is Entra's onPremisesImmutableId first, and the sourceAnchor is mS-DS-ConsistencyGuid when that is set
 * (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts#sourceanchor), which need
 * not be the objectGUID.
 */
import { createHash } from "node:crypto";
import type { AdSource, AdUser } from "../ad/types";
import { adSourceName, openAdSource } from "../gap/adSources";
import { type CoverageThresholds, coverageOf, DEFAULT_COVERAGE } from "../gap/coverage";
import { PhoneNormalizer } from "../gap/phone";
import { type GapRunOptions, runGapAnalysis } from "../gap/run";
import type { GapResult, GapRow, GapRunSpec } from "../gap/types";
import { TOOL } from "../gap/version";
import { BackfillError } from "./errors";
import {
  type BackfillPlan,
  type Decision,
  PLAN_CATEGORIES,
  PLAN_FORMAT,
  PLAN_VERSION,
  type PlanCategory,
  type PlanRow,
} from "./types";
import { mobileProblem } from "./values";

/** What the plan keeps of each AD user as the gap run reads it. */
export interface AdSeen {
  objectGuid: string;
  readAt: string;
}

export interface PlanOptions {
  /** ValueMismatch rows: `review` (default: nothing written until someone decides), or one choice for all. */
  prefer?: "review" | "cloud" | "ad";
  /** FormatOnly rows: write the E.164 form instead of keeping AD's spelling. */
  normalise?: boolean;
  /** Region for numbers without a country code; default the gap result's. */
  defaultRegion?: string;
  /** Plan-level read time; default the gap result's generatedAt. */
  readAt?: string;
}

/** The fields of a row its digest covers: everything but the decision, in a fixed order. */
export function rowDigest(row: Omit<PlanRow, "rowDigest" | "decision">): string {
  const fields = [
    row.userPrincipalName,
    row.category,
    row.distinguishedName,
    row.objectGuid,
    row.entraId,
    row.adMobile,
    row.entraMobile,
    row.e164,
    row.readAt,
    row.problem ?? null,
  ];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 32);
}

/** Entra's number in E.164 when that form loses nothing (an extension would be dropped: then null). */
function losslessE164(value: string, phones: PhoneNormalizer): string | null {
  const n = phones.normalize(value);
  if (!n.e164 || n.key !== n.e164) return null;
  return mobileProblem(n.e164) ? null : n.e164;
}

function isPlanCategory(c: string): c is PlanCategory {
  return (PLAN_CATEGORIES as readonly string[]).includes(c);
}

/** The plan for one gap result; `seen` gives each AD user's objectGUID and read time by DN. */
export function planFromGapResult(
  result: GapResult,
  seen: ReadonlyMap<string, AdSeen>,
  options: PlanOptions = {},
): BackfillPlan {
  const prefer = options.prefer ?? "review";
  const normalise = options.normalise ?? false;
  const phones = new PhoneNormalizer(options.defaultRegion ?? result.defaultRegion);
  const rows: PlanRow[] = [];
  for (const r of result.rows) {
    if (!isPlanCategory(r.category)) continue;
    rows.push(planRow(r, r.category, seen, phones, prefer, normalise));
  }
  const counts = { rows: rows.length, write: 0, review: 0, keepAd: 0, problems: 0 };
  for (const row of rows) {
    if (row.decision === "cloud" || row.decision === "normalise") counts.write++;
    else if (row.decision === "review") counts.review++;
    else counts.keepAd++;
    if (row.problem) counts.problems++;
  }
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    tool: { ...TOOL },
    readAt: options.readAt ?? result.generatedAt,
    generatedAt: new Date().toISOString(),
    inputs: { ad: result.inputs.ad.description, entra: result.inputs.entra.description },
    options: { prefer, normalise, defaultRegion: phones.region },
    coverage: coverageOf(result).summary,
    counts,
    rows,
  };
}

function planRow(
  r: GapRow,
  category: PlanCategory,
  seen: ReadonlyMap<string, AdSeen>,
  phones: PhoneNormalizer,
  prefer: "review" | "cloud" | "ad",
  normalise: boolean,
): PlanRow {
  const dn = r.adDistinguishedName;
  const ad = dn ? seen.get(dn) : undefined;
  if (!dn || !ad) {
    // Every matched row has its AD user, and every AD user passed through the tap: a row without one means the gap
    // result and the AD read are not the same run. Refuse rather than plan a write to a user nobody identified.
    throw new BackfillError(
      "BACKFILL_BAD_PLAN",
      `the AD user of ${r.userPrincipalName} (${dn ?? "no DN"}) was not in the AD read this plan was made from`,
      "make the plan from one run (runBackfillPlan), not from a gap result of another read",
    );
  }
  const entraMobile = r.entraMobile as string;
  const e164 = losslessE164(entraMobile, phones);
  const problems: string[] = [];
  const entraProblem = mobileProblem(entraMobile);
  if (entraProblem) problems.push(`Entra ID's number cannot be written into AD: ${entraProblem}`);
  if (r.adMobile !== null) {
    const adProblem = mobileProblem(r.adMobile);
    // AD's own value goes into the guard and the undo file: one no file can carry exactly is not touched.
    if (adProblem) problems.push(`AD's current number cannot be carried into the undo file: ${adProblem}`);
  }
  const problem = problems.length ? problems.join("; ") : undefined;
  let decision: Decision;
  if (category === "CloudOnly") decision = "cloud";
  else if (category === "ValueMismatch") decision = prefer;
  else decision = normalise && e164 && e164 !== r.adMobile ? "normalise" : "ad";
  if (problem && (decision === "cloud" || decision === "normalise")) decision = "review";
  const base: Omit<PlanRow, "rowDigest" | "decision"> = {
    userPrincipalName: r.userPrincipalName,
    category,
    distinguishedName: dn,
    objectGuid: ad.objectGuid,
    entraId: r.entraId,
    adMobile: r.adMobile,
    entraMobile,
    e164,
    readAt: ad.readAt,
    ...(problem ? { problem } : {}),
  };
  return { ...base, decision, rowDigest: rowDigest(base) };
}

/**
 * An AdSource that hands its users on unchanged and keeps each one's objectGUID and read time by DN (the time its
 * page arrived).
 */
export function tapAdSource(source: AdSource, description: string): { source: AdSource; seen: Map<string, AdSeen> } {
  const seen = new Map<string, AdSeen>();
  return {
    seen,
    source: {
      description,
      async *pages() {
        for await (const page of source.pages()) {
          const at = new Date().toISOString();
          for (const u of page as AdUser[]) {
            if (u.objectGuid) seen.set(u.distinguishedName, { objectGuid: u.objectGuid, readAt: at });
          }
          yield page;
        }
      },
    },
  };
}

export interface BackfillPlanRun {
  plan: BackfillPlan;
  result: GapResult;
}

/**
 * Runs the gap analysis on `spec` (the same AD and Entra ID inputs as `syncgap gap`) and makes the plan. A run that
 * compared too little (a wrong base DN, tenant or export: gap/coverage.ts) makes no plan: an empty plan from the
 * wrong scope would look like "nothing to keep".
 */
export async function runBackfillPlan(
  spec: GapRunSpec,
  options: PlanOptions & { env?: NodeJS.ProcessEnv; coverage?: CoverageThresholds; gap?: GapRunOptions } = {},
): Promise<BackfillPlanRun> {
  if (spec.entra.kind === "graph" && spec.entra.deltaStatePath) {
    // A delta run may reuse the last AD read: the plan's guard values must come from a read made now.
    throw new BackfillError(
      "BACKFILL_BAD_CONFIG",
      "a back-fill plan reads everything afresh: --delta-state does not apply",
      "drop --delta-state",
    );
  }
  const env = options.env ?? process.env;
  const readAt = new Date().toISOString();
  const name = adSourceName(spec.ad);
  const inner = await openAdSource(spec.ad, env);
  const tap = tapAdSource(inner, name.replace(/^AD /, ""));
  const result = await runGapAnalysis(
    { ...spec, ad: { kind: "source", source: tap.source }, includeInSync: false },
    { ...options.gap, env },
  );
  const coverage = coverageOf(result, options.coverage ?? DEFAULT_COVERAGE);
  if (!coverage.ok) {
    throw new BackfillError(
      "BACKFILL_COVERAGE",
      `compared too little to plan: ${coverage.problems.join("; ")} (${coverage.summary})`,
      coverage.fix,
    );
  }
  const plan = planFromGapResult(result, tap.seen, { ...options, readAt });
  plan.inputs.ad = name;
  return { plan, result };
}
