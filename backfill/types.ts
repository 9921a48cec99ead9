/**
 * The back-fill: before AD authority is turned on (bypassDirSyncOverridesEnabled = true, which makes the next sync
 * clear every cloud-entered mobile that AD lacks and overwrite every one that differs:
 * https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides), the numbers worth keeping
 * are written into AD `mobile`, reviewed first, reversibly. Microsoft's own path is the same, by hand:
 * `Compare-ADSyncToolsDirSyncOverrides`, then `Set-ADSyncToolsDirSyncOverridesUser -MobileInAD …` per user, then the
 * switch, then `Start-ADSyncSyncCycle -PolicyType Initial` (same page).
 *
 * The plan is the reviewed artifact: one row per user whose cloud number the switch would lose or rewrite, with what
 * was seen on both sides and when, and a decision. apply writes only rows decided `cloud` or `normalise`, each as a
 * modify the DC itself refuses when AD's value is no longer the one the plan saw.
 */
import type { Category } from "../gap/types";

export const PLAN_FORMAT = "syncgap-backfill-plan";
export const PLAN_VERSION = 1;
export const PLAN_JSON = "backfill-plan.json";
export const PLAN_CSV = "backfill-plan.csv";
export const UNDO_LDIF = "backfill-undo.ldif";
export const APPLY_REPORT = "backfill-apply-report.json";
export const UNDO_REPORT = "backfill-undo-report.json";

/**
 * - `cloud`: write Entra ID's number into AD `mobile` (the number is kept);
 * - `normalise`: write the number's E.164 form (same number; only for FormatOnly and CloudOnly rows whose E.164 form
 *   loses nothing, e.g. no extension);
 * - `ad`: keep AD's value, write nothing — for CloudOnly and ValueMismatch the cloud number is knowingly lost when the
 *   switch is turned on;
 * - `review`: nothing is written until someone decides; apply exits 1 while any row says review.
 */
export const DECISIONS = ["cloud", "normalise", "ad", "review"] as const;
export type Decision = (typeof DECISIONS)[number];

/** The categories a plan holds: the ones whose cloud number the switch would clear, overwrite or respell. */
export const PLAN_CATEGORIES = ["CloudOnly", "ValueMismatch", "FormatOnly"] as const satisfies readonly Category[];
export type PlanCategory = (typeof PLAN_CATEGORIES)[number];

export interface PlanRow {
  userPrincipalName: string;
  category: PlanCategory;
  /** The AD user's DN when it was read. */
  distinguishedName: string;
  /** The AD user's objectGUID (canonical string, Microsoft byte order): the identity apply and the scripts use. */
  objectGuid: string;
  entraId: string | null;
  /** AD `mobile` as the plan saw it (null: none). apply's guard: the DC refuses the write when it differs now. */
  adMobile: string | null;
  /** Entra ID `mobilePhone` as the plan saw it. */
  entraMobile: string;
  /** The E.164 form to write for `normalise`, when it is the same number with nothing dropped; else null. */
  e164: string | null;
  decision: Decision;
  /** When the AD side of this row was read (ISO 8601). */
  readAt: string;
  /** Why this row cannot be written as planned (a value AD would not take): its decision stays `review`/`ad`. */
  problem?: string;
  /** sha256 (hex, first 32) of the row without `decision`: a row edited other than in its decision is refused. */
  rowDigest: string;
}

export interface BackfillPlan {
  $schema?: string;
  format: typeof PLAN_FORMAT;
  version: typeof PLAN_VERSION;
  tool: { name: string; version: string };
  /** When the reads started: AD values older than this are not in the plan. */
  readAt: string;
  generatedAt: string;
  inputs: { ad: string; entra: string };
  options: { prefer: "review" | "cloud" | "ad"; normalise: boolean; defaultRegion: string };
  /** The gap run's coverage line: what was compared. */
  coverage: string;
  counts: { rows: number; write: number; review: number; keepAd: number; problems: number };
  rows: PlanRow[];
}

/** The value a row writes, or undefined when its decision writes nothing. */
export function targetValue(row: Pick<PlanRow, "decision" | "entraMobile" | "e164">): string | undefined {
  if (row.decision === "cloud") return row.entraMobile;
  if (row.decision === "normalise") return row.e164 ?? undefined;
  return undefined;
}

/** Where an admin delegates the right apply needs (Learn). */
export const DELEGATION_LINK =
  "https://learn.microsoft.com/windows/win32/ad/setting-rights-to-specific-properties-of-specific-types-of-objects";
/** AD's `mobile`: single-valued Unicode string, rangeUpper 64, schemaIDGUID below (Learn, Phone-Mobile-Primary). */
export const MOBILE_ATTRIBUTE_LINK = "https://learn.microsoft.com/windows/win32/adschema/a-mobile";
export const MOBILE_SCHEMA_GUID = "f0f8ffa3-1191-11d0-a060-00aa006c33ed";
export const USER_CLASS_GUID = "bf967aba-0de6-11d0-a285-00aa003049e2";

/** What happened to one user in apply or undo. */
export type OutcomeStatus = "applied" | "alreadyApplied" | "skipped" | "failed" | "notAttempted";

export interface UserOutcome {
  userPrincipalName: string;
  objectGuid: string;
  distinguishedName: string;
  status: OutcomeStatus;
  /** AD's value before (what the plan saw), the value written (or to be written). */
  from: string | null;
  to: string | null;
  /** AD's value when apply looked (skipped: why it was not written). */
  found?: string | null;
  reason?: string;
}

export interface RunReport {
  kind: "apply" | "undo";
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  /** The plan (apply) or undo file it ran from, and its sha256. */
  source: { path: string; sha256: string };
  dryRun: boolean;
  /** The undo file written before the first write (apply). */
  undoFile?: string;
  exitCode: 0 | 1 | 2;
  /** Why the run stopped early (exit 2). */
  error?: string;
  counts: Record<OutcomeStatus, number> & { review: number; keepAd: number };
  users: UserOutcome[];
}
