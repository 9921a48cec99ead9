/**
 * CSV report. The first five columns are the seed article's (`UserPrincipalName, ADMobile, ADOtherMobile,
 * EntraIDMobile, SyncGap`), so its readers find what they know; syncgap's columns follow. Multi-valued otherMobile is
 * joined with `; ` (the seed's Export-Csv would have written the collection's type name instead). UTF-8 with a BOM
 * (Excel needs it to read non-ASCII names), CRLF line ends (RFC 4180), formula-injection-safe cells (csvSafe.ts).
 */
import { stringify } from "csv-stringify/sync";
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
  return stringify([[...CSV_COLUMNS], ...records], { bom: true, record_delimiter: "windows" });
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
  return stringify([[...IMPACT_CSV_COLUMNS], ...records], { bom: true, record_delimiter: "windows" });
}
