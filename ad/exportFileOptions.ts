/**
 * What both AD export readers share: their options, the default line cap and the checks of both.
 * The readers are ldifFileSource.ts and csvFileSource.ts; the encoding sniffing and decoding they share is
 * exportEncoding.ts.
 *
 * AD exports as input: LDIF (`ldifde`, `ldapsearch`, `ldbsearch`) and CSV (PowerShell's
 * `Get-ADUser … | Export-Csv`). Both stream: lines (LDIF) or rows (CSV) are read as they come and users are handed
 * out in pages, so a 100k-user file is never in memory whole, and no line is ever built longer than a fixed cap.
 *
 * Each reader proves it read the whole export, or fails with AD_BAD_EXPORT naming the file, the line and the fix
 * (docs/active-directory.md, "Export files: what counts as complete"):
 *   - every byte decodes (UTF-8 with or without BOM, UTF-16 LE/BE with BOM; anything else is refused, never read
 *     with U+FFFD in place of what it could not decode);
 *   - the file ends with a line break (a file cut in the middle of a line does not);
 *   - what the producer wrote about its search says it finished: ldapsearch's `result: 0 Success` after the last
 *     entry and its `# numEntries` count, ldbsearch's `# returned N records`;
 *   - every record reads whole (base64 that decodes, a closed quote, as many CSV fields as the header);
 *   - the columns the analysis needs are there (CSV), at least one user is in the file, and no entry comes twice
 *     (same DN or objectGUID).
 */
import { AdReadError } from "./errors";

export interface ExportFileOptions {
  /** Users per page (default 1000). */
  pageSize?: number;
  /**
   * Longest line (LDIF physical line, CSV row) read, in characters (default 1 MiB). A longer line is refused before
   * it is ever held whole: V8 cannot build a string over ~512 MiB at all, and no attribute syncgap reads comes near.
   */
  maxLineLength?: number;
}

/** Default cap on one line (LDIF) or one row (CSV): 1 MiB of text. */
export const MAX_EXPORT_LINE_LENGTH = 1024 * 1024;

export function checkPageSize(path: string, pageSize: number | undefined): number {
  const n = pageSize ?? 1000;
  if (!Number.isInteger(n) || n < 1)
    throw new AdReadError("AD_BAD_CONFIG", path, `page size ${n} is not a positive integer`, "Use 1 or more");
  return n;
}

export function checkLineCap(path: string, max: number | undefined): number {
  const n = max ?? MAX_EXPORT_LINE_LENGTH;
  if (!Number.isInteger(n) || n < 1024)
    throw new AdReadError("AD_BAD_CONFIG", path, `line cap ${n} is not an integer of 1024 or more`, "Use the default");
  return n;
}
