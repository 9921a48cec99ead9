/**
 * Errors that stop a back-fill command: exit 2, "could not read or write". Per-user refusals (a value that changed,
 * a row still to review) are outcomes in the report, never errors.
 */
export type BackfillErrorCode =
  | "BACKFILL_BAD_PLAN"
  | "BACKFILL_BAD_CSV"
  | "BACKFILL_BAD_UNDO"
  | "BACKFILL_BAD_CONFIG"
  | "BACKFILL_COVERAGE"
  | "BACKFILL_CONNECT"
  | "BACKFILL_ACCESS_DENIED"
  | "BACKFILL_WRITE"
  | "BACKFILL_FILE";

export class BackfillError extends Error {
  override name = "BackfillError";
  constructor(
    readonly code: BackfillErrorCode,
    /** What went wrong, naming the file (and line) or the server. */
    readonly problem: string,
    /** What to do about it. */
    readonly remedy?: string,
    options?: ErrorOptions,
  ) {
    super(`${problem}${remedy ? ` — ${remedy}` : ""}`, options);
  }
}
