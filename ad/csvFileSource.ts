/**
 * Users from a CSV export (PowerShell's `Get-ADUser … | Export-Csv`), with the CSV half of the completeness rules
 * (exportFileOptions.ts has the rules of both readers). The text is decoded by exportEncoding.ts and parsed by
 * csv-parse.
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { AdReadError } from "./errors";
import { DuplicateCheck } from "./exportChecks";
import { type DecodeState, decodedText, sniff } from "./exportEncoding";
import { checkLineCap, checkPageSize, type ExportFileOptions } from "./exportFileOptions";
import type { AdSource, AdUser } from "./types";
import { adUserFromAttributes, type RawAttributes } from "./userMapping";

export interface CsvExportOptions extends ExportFileOptions {
  /**
   * What to do when a multi-valued column (otherMobile) holds PowerShell's type name
   * `Microsoft.ActiveDirectory.Management.ADPropertyValueCollection` instead of values:
   * `"error"` (default) fails with AD_BAD_EXPORT and says how to export it; `"empty"` reads it as no values and
   * records a warning in `warnings`.
   */
  unexportedMultiValue?: "error" | "empty";
  /** Field delimiter; detected from the header line (`,` `;` or tab) when not given. */
  delimiter?: string;
}

/** The type name PowerShell writes for a multi-valued AD property that was not joined. */
export const PS_MULTI_VALUE_TYPE = "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection";

/** CSV column (lower case) → the AD attribute it holds (lower case), for Get-ADUser's property names. */
const CSV_COLUMNS: Record<string, string> = {
  distinguishedname: "distinguishedname",
  userprincipalname: "userprincipalname",
  samaccountname: "samaccountname",
  displayname: "displayname",
  department: "department",
  mobile: "mobile",
  mobilephone: "mobile", // Get-ADUser's extended property for `mobile`
  othermobile: "othermobile",
  objectguid: "objectguid",
  objectsid: "objectsid",
  sid: "sid",
  "ms-ds-consistencyguid": "ms-ds-consistencyguid",
  useraccountcontrol: "useraccountcontrol",
  enabled: "enabled",
  whenchanged: "whenchanged",
  modified: "whenchanged", // Get-ADUser's extended property for whenChanged
  usnchanged: "usnchanged",
};

/** Columns that can join an AD user to its Entra ID user (gap/join.ts); a CSV needs at least one. */
const JOIN_KEYS = ["objectguid", "ms-ds-consistencyguid", "objectsid", "sid", "samaccountname", "userprincipalname"];

/** Splits a joined multi-valued cell: `a;b`, `{a, b}` or one value a line. */
export function splitMultiValue(cell: string): string[] {
  let s = cell.trim();
  if (s === "") return [];
  if (s.startsWith("{") && s.endsWith("}")) {
    s = s.slice(1, -1);
    return s
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  }
  return s
    .split(/;|\r?\n/)
    .map((v) => v.trim())
    .filter(Boolean);
}

function detectDelimiter(header: string): string {
  const count = (d: string) => header.split(d).length - 1;
  const candidates = [",", ";", "\t"].map((d) => [d, count(d)] as const).sort((a, b) => b[1] - a[1]);
  return candidates[0]![1] > 0 ? candidates[0]![0] : ",";
}

function countLf(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

export class CsvFileSource implements AdSource {
  readonly description: string;
  readonly warnings: string[] = [];
  readonly stats = { users: 0 };
  readonly #pageSize: number;
  readonly #maxLine: number;
  readonly #options: CsvExportOptions;

  constructor(
    readonly path: string,
    options: CsvExportOptions = {},
  ) {
    this.description = `CSV export ${path}`;
    this.#pageSize = checkPageSize(path, options.pageSize);
    this.#maxLine = checkLineCap(path, options.maxLineLength);
    this.#options = options;
  }

  async *pages(): AsyncGenerator<AdUser[]> {
    this.stats.users = 0;
    this.warnings.length = 0;
    let page: AdUser[] = [];
    const { encoding, bomBytes, headLines } = await sniff(this.path);
    // Windows PowerShell (and PowerShell 7 with -IncludeTypeInformation) writes "#TYPE <type name>" first.
    const hasTypeLine = (headLines[0] ?? "").startsWith("#TYPE");
    const headerLine = (hasTypeLine ? headLines[1] : headLines[0]) ?? "";
    const state: DecodeState = { endsWithNewline: false, chars: 0 };
    let headerSeen = false;
    const source = Readable.from(decodedText(this.path, encoding, bomBytes, state), { objectMode: false });
    const parser = parse({
      // -UseCulture / -Delimiter ';' exports (e.g. German Windows) are common: detect from the header.
      delimiter: this.#options.delimiter ?? detectDelimiter(headerLine),
      from_line: hasTypeLine ? 2 : 1,
      columns: (header: string[]) => {
        headerSeen = true;
        return header.map((h) => h.trim());
      },
      skip_empty_lines: true,
      bom: true,
      info: true,
      // csv-parse's own cap on a field/record buffer: a row can never grow a string past it.
      max_record_size: this.#maxLine,
    });
    // pipe() does not pass a source error on: hand a decoding error to the parser, whose iterator then throws it.
    source.on("error", (e) => parser.destroy(e));
    source.pipe(parser);
    let columns: Map<string, string> | undefined; // csv column → attribute
    let lastLine = hasTypeLine ? 2 : 1; // line where the previous record (or the header) ended
    let rowLine = lastLine;
    const where = () => `${this.path}:${rowLine}`;
    const dupes = new DuplicateCheck(this.path);
    try {
      for await (const { record: row, info } of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>) {
        if (!columns) columns = this.#columns(Object.keys(row));
        // The record ended on info.lines; quoted fields may hold line breaks (otherMobile one value a line).
        let lfs = 0;
        for (const k in row) {
          const c = row[k];
          if (c && c.indexOf("\n") >= 0) lfs += countLf(c);
        }
        rowLine = info.lines - lfs;
        lastLine = info.lines;
        const attrs: RawAttributes = new Map();
        for (const [col, attr] of columns) {
          const cell = row[col];
          if (cell === undefined || cell === "") continue;
          if (attr === "othermobile") {
            if (cell.trim() === PS_MULTI_VALUE_TYPE) {
              if ((this.#options.unexportedMultiValue ?? "error") === "error") {
                throw new AdReadError(
                  "AD_BAD_EXPORT",
                  where(),
                  `column ${col} holds PowerShell's type name ${PS_MULTI_VALUE_TYPE} instead of the values`,
                  `Join it when exporting: Select-Object …,@{n='otherMobile';e={$_.otherMobile -join ';'}} (or read with unexportedMultiValue: "empty" to ignore otherMobile)`,
                );
              }
              if (!this.warnings.length)
                this.warnings.push(`${col} was not exported (type name instead of values); read as empty`);
              continue;
            }
            attrs.set(attr, splitMultiValue(cell));
            continue;
          }
          attrs.set(attr, [cell]);
        }
        const dn = String(attrs.get("distinguishedname")?.[0] ?? "");
        if (!dn) throw new AdReadError("AD_BAD_EXPORT", where(), "row without DistinguishedName", "Check the export");
        const sam = attrs.get("samaccountname")?.[0];
        if (typeof sam === "string" && sam.includes("?")) {
          // sAMAccountName may not hold "?" (https://learn.microsoft.com/windows/win32/adschema/a-samaccountname):
          // here it stands for a character the export's encoding could not write. Windows PowerShell 5.1's Export-Csv
          // writes ASCII by default, and sAMAccountName is a join key.
          throw new AdReadError(
            "AD_BAD_EXPORT",
            where(),
            `sAMAccountName ${JSON.stringify(sam)} of ${dn} holds "?", which AD does not allow: the export replaced characters its encoding could not write (Windows PowerShell 5.1 writes ASCII by default)`,
            "Export again with Export-Csv -Encoding UTF8",
          );
        }
        const user = adUserFromAttributes(dn, attrs, where());
        dupes.check(user, rowLine);
        this.stats.users++;
        page.push(user);
        if (page.length >= this.#pageSize) {
          yield page;
          page = [];
        }
      }
      if (!columns && headerSeen) {
        // A header and no rows: the columns are still checked, so a wrong file says so rather than "no users".
        throw new AdReadError(
          "AD_BAD_EXPORT",
          this.path,
          "the CSV has a header but no user rows",
          "Check the -SearchBase and -Filter of Get-ADUser, and export again",
        );
      }
      if (!columns) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          this.path,
          state.chars === 0
            ? "the file is empty"
            : "the file holds no header and no users (only a #TYPE line or blank lines)",
          "Export with Get-ADUser … | Export-Csv (see docs/active-directory.md)",
        );
      }
      if (!state.endsWithNewline) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${lastLine}`,
          "the file ends in the middle of a row: it was cut (Export-Csv ends every row with a line break)",
          "Export again and copy the whole file",
        );
      }
      if (page.length) yield page;
    } catch (e) {
      if (e instanceof AdReadError) throw e;
      throw this.#csvError(e, lastLine);
    } finally {
      source.destroy();
      parser.destroy();
    }
  }

  /** Maps the header to attributes and checks that the analysis has what it needs. */
  #columns(header: string[]): Map<string, string> {
    const columns = new Map<string, string>();
    for (const col of header) {
      const attr = CSV_COLUMNS[col.toLowerCase()];
      if (attr) columns.set(col, attr);
    }
    const attrs = new Set(columns.values());
    const fail = (problem: string, remedy: string) => {
      throw new AdReadError("AD_BAD_EXPORT", this.path, problem, remedy);
    };
    if (!attrs.has("distinguishedname")) {
      fail(
        "the CSV has no DistinguishedName column, so it is not a Get-ADUser export",
        "Export with Get-ADUser … | Select-Object DistinguishedName,… | Export-Csv (see docs/active-directory.md)",
      );
    }
    if (!attrs.has("useraccountcontrol") && !attrs.has("enabled")) {
      fail(
        "the CSV has neither an Enabled nor a userAccountControl column: disabled accounts could not be told apart",
        "Include Enabled (Get-ADUser returns it by default) or userAccountControl",
      );
    }
    if (!attrs.has("mobile")) {
      fail(
        "the CSV has no mobile (or MobilePhone) column: every user would read as having no number",
        "Export with Get-ADUser -Properties mobile,… and select mobile (see docs/active-directory.md)",
      );
    }
    if (!JOIN_KEYS.some((k) => attrs.has(k))) {
      fail(
        "the CSV has no column to join users to Entra ID by (ObjectGUID, mS-DS-ConsistencyGuid, objectSid/SID, SamAccountName or UserPrincipalName)",
        "Include ObjectGUID and mS-DS-ConsistencyGuid at least (see docs/active-directory.md)",
      );
    }
    return columns;
  }

  #csvError(e: unknown, lastLine: number): AdReadError {
    const err = e as { code?: string; lines?: number; message?: string };
    const line = err.lines ?? lastLine + 1;
    const at = `${this.path}:${line}`;
    const mk = (problem: string, remedy: string) => new AdReadError("AD_BAD_EXPORT", at, problem, remedy, { cause: e });
    switch (err.code) {
      case "CSV_QUOTE_NOT_CLOSED":
        return mk(
          `a quoted field is not closed by the end of the file (line ${line}): the file was cut, or a value holds a stray quote`,
          "Export again with Export-Csv and copy the whole file",
        );
      case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
      case "CSV_RECORD_INCONSISTENT_COLUMNS":
        return mk(
          `the row at line ${line} has a different number of fields than the header: the file was cut or edited (${err.message})`,
          "Export again with Export-Csv, without editing the file",
        );
      case "CSV_MAX_RECORD_SIZE":
        return mk(
          `the row at line ${line} is longer than ${this.#maxLine.toLocaleString("en-US")} characters (syncgap's cap on one row; AD's longest value syncgap reads, userPrincipalName, is 1,024 characters)`,
          "Check the file is a Get-ADUser export and not damaged; select only the properties syncgap reads",
        );
      default:
        return mk(
          `not valid CSV: ${err.message ?? String(e)}${err.code ? ` (${err.code})` : ""}`,
          "Export with Export-Csv",
        );
    }
  }
}

/** Users from a `Get-ADUser … | Export-Csv` file (see docs/active-directory.md for the command). */
export function readAdCsvFile(path: string, options?: CsvExportOptions): CsvFileSource {
  return new CsvFileSource(path, options);
}
