/**
 * CSV report. The first five columns are the seed article's (`UserPrincipalName, ADMobile, ADOtherMobile,
 * EntraIDMobile, SyncGap`), so its readers find what they know; syncgap's columns follow. Multi-valued otherMobile is
 * joined with `; ` (the seed's Export-Csv would have written the collection's type name instead). UTF-8 with a BOM
 * (Excel needs it to read non-ASCII names), CRLF line ends (RFC 4180), formula-injection-safe cells (csvSafe.ts).
 */
import type { GapRow, ImpactRow } from "../types";
import { neutralizeCell } from "./csvSafe";

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
] as const;

function cells(values: (string | null | undefined)[]): string[] {
  return values.map((v) => neutralizeCell(v ?? ""));
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
  let out = "\uFEFF";
  for (const record of records) {
    for (let i = 0; i < record.length; i++) {
      const v = record[i] as string;
      if (i) out += ",";
      out += NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    }
    out += "\r\n";
  }
  return out;
}

export function gapCsv(rows: readonly GapRow[]): string {
  const records = rows.map((r) =>
    cells([
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
    ]),
  );
  return toCsv([[...CSV_COLUMNS], ...records]);
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
