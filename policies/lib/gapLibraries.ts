/**
 * The gap and back-fill libraries as the mobile-gap-impact policy uses them, loaded at call time so that a library
 * that fails to load fails that policy with a violation, not the whole pack.
 */
import type { Coverage } from "../../gap/coverage";
import type { GapResult, GapRunSpec, ImpactSummary } from "../../gap/types";
import { violationText } from "./policyHelpers";

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
