/**
 * The result that stands in the reports of a run that could not read its data: no users, no rows, the inputs named as
 * far as they are known, and the problem as a note. Its verdict (verdict.ts `couldNotRead`) is exit 2, so a pipeline
 * that publishes the reports shows why it failed instead of an old report or none.
 */
import { CATEGORIES, type Category, type GapResult, MATCH_KEYS, type MatchedBy, OTHER_MOBILE_NOTE } from "./types";
import { TOOL } from "./version";

export function unreadResult(inputs: { ad: string; entra: string }, problem: string, defaultRegion = "US"): GapResult {
  const zero = <K extends string>(keys: readonly K[]) =>
    Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  return {
    tool: { ...TOOL },
    generatedAt: new Date().toISOString(),
    defaultRegion,
    includeInSync: false,
    inputs: {
      ad: { kind: "unread", description: inputs.ad, users: 0, mode: "unread" },
      entra: { kind: "unread", description: inputs.entra, users: 0, mode: "unread" },
    },
    counts: zero<Category>(CATEGORIES),
    totals: {
      adUsers: 0,
      entraUsers: 0,
      matched: 0,
      outOfSync: 0,
      rows: 0,
      matchedBy: zero<MatchedBy>(MATCH_KEYS),
    },
    timings: { adReadMs: 0, entraReadMs: 0, joinMs: 0, totalMs: 0 },
    otherMobileNote: OTHER_MOBILE_NOTE,
    notes: [problem],
    rows: [],
  };
}
