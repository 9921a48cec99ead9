/**
 * Thresholds: which categories count as gaps (`--fail-on`) and how many are tolerated (`--max-gaps`).
 */
import { GapInputError } from "./errors";
import { CATEGORIES, type Category, DEFAULT_FAIL_ON, type GapResult, isCategory } from "./types";
import { count, num } from "./wording";

export interface Thresholds {
  failOn: readonly Category[];
  maxGaps: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { failOn: DEFAULT_FAIL_ON, maxGaps: 0 };

export interface GateOutcome {
  passed: boolean;
  /** Users in the fail-on categories. */
  gaps: number;
  thresholds: Thresholds;
  /** Per fail-on category. */
  byCategory: Partial<Record<Category, number>>;
  summary: string;
}

/** Parses `MissingInEntra,ValueMismatch` (case-insensitive); throws on unknown names. */
export function parseCategories(list: string): Category[] {
  const out: Category[] = [];
  for (const raw of list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const hit = CATEGORIES.find((c) => c.toLowerCase() === raw.toLowerCase());
    if (!hit || !isCategory(hit)) {
      throw new GapInputError("--fail-on", `unknown category "${raw}"`, `use some of ${CATEGORIES.join(", ")}`);
    }
    if (!out.includes(hit)) out.push(hit);
  }
  return out;
}

export function evaluateGate(result: GapResult, thresholds: Thresholds = DEFAULT_THRESHOLDS): GateOutcome {
  const byCategory: Partial<Record<Category, number>> = {};
  let gaps = 0;
  for (const c of thresholds.failOn) {
    byCategory[c] = result.counts[c];
    gaps += result.counts[c];
  }
  const passed = gaps <= thresholds.maxGaps;
  const parts = thresholds.failOn.map((c) => `${c} ${num(result.counts[c])}`).join(", ");
  const summary = passed
    ? `${count(gaps, "gap")} in ${thresholds.failOn.join(", ") || "no category"} (${parts || "none"}): within the limit of ${num(thresholds.maxGaps)}.`
    : `${count(gaps, "gap")} in ${thresholds.failOn.join(", ")} (${parts}): more than the ${num(thresholds.maxGaps)} allowed.`;
  return { passed, gaps, thresholds, byCategory, summary };
}
