/**
 * Coverage: did the run compare enough users to judge at all?
 *
 * A wrong base DN or OU, the wrong tenant or the wrong export file does not produce gaps: it produces users that match
 * nobody (NotInAD, NotInEntra) and a gate that counts zero gaps in the categories it gates on. So the verdict also
 * looks at how much was compared, and a run whose match rate is implausible is "compared too little to judge"
 * (exit 2), never a pass.
 *
 * The defaults (docs/gap-analysis.md, "Coverage"): in a tenant read with the same scope Entra Connect syncs, every
 * synced user has its AD user and nearly every AD user in scope its synced user; the exceptions are users created
 * since the last sync cycle (30 minutes by default), users in sync error, and Connect's own attribute filters.
 * A wrong scope or source gives close to 0 % instead. 80 % matched of the smaller side and at most 20 % unmatched on
 * either side leave room for the real exceptions (and small test directories) while catching every wrong-scope run.
 */
import type { GapResult } from "./types";
import { count, percent } from "./wording";

export interface CoverageThresholds {
  /** Matched users as a share of the smaller side (0–1). */
  minMatchedShare: number;
  /** NotInAD users as a share of the synced Entra ID users read (0–1). */
  maxNotInAdShare: number;
  /** NotInEntra users as a share of the AD users read (0–1). */
  maxNotInEntraShare: number;
}

export const DEFAULT_COVERAGE: CoverageThresholds = {
  minMatchedShare: 0.8,
  maxNotInAdShare: 0.2,
  maxNotInEntraShare: 0.2,
};

export interface Coverage {
  ok: boolean;
  matched: number;
  adUsers: number;
  entraUsers: number;
  /** matched / min(adUsers, entraUsers); 0 when a side is empty. */
  matchedShare: number;
  notInAdShare: number;
  notInEntraShare: number;
  thresholds: CoverageThresholds;
  /** One line: the figures. */
  summary: string;
  /** What is implausible, one line each (empty when ok). */
  problems: string[];
  /** Likely causes and what to check, when not ok. */
  fix?: string;
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export function coverageOf(result: GapResult, thresholds: CoverageThresholds = DEFAULT_COVERAGE): Coverage {
  const { adUsers, entraUsers, matched } = result.totals;
  const smaller = Math.min(adUsers, entraUsers);
  const matchedShare = share(matched, smaller);
  const notInAdShare = share(result.counts.NotInAD, entraUsers);
  const notInEntraShare = share(result.counts.NotInEntra, adUsers);
  const problems: string[] = [];
  if (adUsers === 0) problems.push("no AD user was read");
  if (entraUsers === 0) problems.push("no synced Entra ID user was read");
  if (smaller > 0 && matched === 0) problems.push("no user matched between AD and Entra ID");
  else if (smaller > 0 && matchedShare < thresholds.minMatchedShare) {
    problems.push(
      `only ${count(matched, "user")} matched, ${percent(matchedShare)} of the smaller side (${count(smaller, "user")}); at least ${percent(thresholds.minMatchedShare)} expected`,
    );
  }
  if (entraUsers > 0 && notInAdShare > thresholds.maxNotInAdShare) {
    problems.push(
      `${count(result.counts.NotInAD, "synced Entra ID user")} (${percent(notInAdShare)}) have no AD user in the scope read; at most ${percent(thresholds.maxNotInAdShare)} expected`,
    );
  }
  if (adUsers > 0 && notInEntraShare > thresholds.maxNotInEntraShare) {
    problems.push(
      `${count(result.counts.NotInEntra, "AD user")} (${percent(notInEntraShare)}) have no synced Entra ID user; at most ${percent(thresholds.maxNotInEntraShare)} expected`,
    );
  }
  const summary = `${count(matched, "user")} matched of ${count(adUsers, "AD user")} and ${count(entraUsers, "synced Entra ID user")} (${percent(matchedShare)} of the smaller side)`;
  const ok = problems.length === 0;
  return {
    ok,
    matched,
    adUsers,
    entraUsers,
    matchedShare,
    notInAdShare,
    notInEntraShare,
    thresholds,
    summary,
    problems,
    ...(ok
      ? {}
      : {
          fix:
            "check that the AD base DNs (or OUs) are the ones Entra Connect syncs, that the tenant is the one this AD " +
            "syncs to, that the export files are whole and current, and that the join keys are filled " +
            "(onPremisesImmutableId ↔ ms-DS-ConsistencyGuid/objectGUID); if the scope really differs, set " +
            "--min-matched / --max-not-in-ad / --max-not-in-entra",
        }),
  };
}

/**
 * Parses a share given as `80%`, `80` (percent) or `0.8`; `name` is the option, for the error.
 * Values above 1 without `%` are taken as percent (so `80` means 80 %, not 80×).
 */
export function parseShare(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
  if (!m) throw new RangeError(`${name} wants a share such as 80% or 0.8, got "${value}"`);
  const n = Number(m[1]);
  const v = m[2] === "%" || n > 1 ? n / 100 : n;
  if (v < 0 || v > 1) throw new RangeError(`${name} wants a share from 0% to 100%, got "${value}"`);
  return v;
}
