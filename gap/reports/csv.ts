/**
 * CSV report. The first five columns are the seed article's (`UserPrincipalName, ADMobile, ADOtherMobile,
 * EntraIDMobile, SyncGap`), so its readers find what they know; syncgap's columns follow, and columns added later are
 * appended (DisplayName, Department, OU), so a reader that goes by position keeps working. Multi-valued otherMobile is
 * joined with `; ` (the seed's Export-Csv would have written the collection's type name instead). UTF-8 with a BOM
 * (Excel needs it to read non-ASCII names), CRLF line ends (RFC 4180), every cell opening as text, never as a formula
 * or a number (csvSafe.ts). Rendered in chunks (gapCsvChunks), so a million rows stream to disk instead of becoming
 * one string.
 */
import type { GapRow, ImpactRow } from "../types";
import { csvCell } from "./csvSafe";

export const CSV_COLUMNS = [
  "UserPrincipalName",
  "ADMobile",
  "ADOtherMobile",
  "EntraIDMobile",
  "SyncGap",
  "Category",
  "MatchedBy",
  "ImmutableId",
  "ADMobileE164",
  "EntraMobileE164",
  "DisplayName",
  "Department",
  "OU",
] as const;

function cells(values: (string | null | undefined)[]): string[] {
  return values.map((v) => csvCell(v ?? ""));
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * RFC 4180 text: a field with a comma, quote, CR or LF is quoted (quotes doubled), CRLF after every record, UTF-8
 * byte-order mark first. The same bytes as csv-stringify with `{ bom: true, record_delimiter: "windows" }` (checked in
 * test/gap/reports.test.ts), except that a lone CR or LF is quoted too (csv-stringify leaves it bare, which some
 * readers take for a new record). Written directly because a report of a few thousand rows took csv-stringify
 * ~35 ms, a tenth of a no-change delta re-run.
 */
export function toCsv(records: readonly (readonly string[])[]): string {
  return `\uFEFF${records.map(csvRecord).join("")}`;
}

/** One record with its CRLF. */
function csvRecord(record: readonly string[]): string {
  let out = "";
  for (let i = 0; i < record.length; i++) {
    const v = record[i] as string;
    if (i) out += ",";
    out += NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }
  return `${out}\r\n`;
}

function gapRecord(r: GapRow): string[] {
  return cells([
    r.userPrincipalName,
    r.adMobile,
    r.adOtherMobile.join("; "),
    r.entraMobile,
    r.syncGap,
    r.category,
    r.matchedBy,
    r.immutableId,
    r.adMobileE164,
    r.entraMobileE164,
    r.displayName,
    r.department,
    r.ou,
  ]);
}

/** Records per chunk of the streamed CSV: big enough to keep writes few, small enough to keep memory flat. */
export const CSV_CHUNK_ROWS = 2000;

/** The CSV in chunks (BOM and header first): the same text as gapCsv, joined. */
export function* gapCsvChunks(rows: readonly GapRow[]): Generator<string> {
  yield `\uFEFF${csvRecord(CSV_COLUMNS)}`;
  for (let i = 0; i < rows.length; i += CSV_CHUNK_ROWS) {
    let chunk = "";
    for (const r of rows.slice(i, i + CSV_CHUNK_ROWS)) chunk += csvRecord(gapRecord(r));
    yield chunk;
  }
}

export function gapCsv(rows: readonly GapRow[]): string {
  return [...gapCsvChunks(rows)].join("");
}

export const IMPACT_CSV_COLUMNS = [
  "UserPrincipalName",
  "Change",
  "Category",
  "EntraIDMobileNow",
  "EntraIDMobileAfter",
  "EntraObjectId",
] as const;

export function impactCsv(rows: readonly ImpactRow[]): string {
  const records = rows.map((r) =>
    cells([
      r.userPrincipalName,
      r.change,
      r.category,
      r.entraMobile,
      r.change === "clear" ? "" : r.adMobile,
      r.entraId,
    ]),
  );
  return toCsv([[...IMPACT_CSV_COLUMNS], ...records]);
}
