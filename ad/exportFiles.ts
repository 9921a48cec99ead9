/**
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
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { AdReadError } from "./errors";
import { DuplicateCheck } from "./exportChecks";
import {
  emptyTrailer,
  firstInvalidUtf8,
  LDIF_MAX_VALUE_LENGTH,
  LdifEncodingError,
  LdifSyntaxError,
  type LdifTrailer,
  LineTooLongError,
  parseLdif,
  parseLdifBytes,
} from "./ldif";
import type { AdSource, AdUser } from "./types";
import { AD_BINARY_ATTRIBUTES, adUserFromAttributes, type RawAttributes } from "./userMapping";

export interface ExportFileOptions {
  /** Users per page (default 1000). */
  pageSize?: number;
  /**
   * Longest line (LDIF physical line, CSV row) read, in characters (default 1 MiB). A longer line is refused before
   * it is ever held whole: V8 cannot build a string over ~512 MiB at all, and no attribute syncgap reads comes near.
   */
  maxLineLength?: number;
}

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

/** Default cap on one line (LDIF) or one row (CSV): 1 MiB of text. */
export const MAX_EXPORT_LINE_LENGTH = 1024 * 1024;

/** Why a file is not UTF-8, most of the time. */
const NOT_UTF8_CAUSE =
  "the file was written in another encoding (Windows PowerShell 5.1's -Encoding Default/OEM writes the ANSI/OEM code page)";

/** Bytes read at a time from an LDIF export. */
const LDIF_CHUNK = 64 * 1024;

type Encoding = "utf8" | "utf16le" | "utf16be";

const REEXPORT_UTF8 =
  "Export again as UTF-8: Export-Csv -Encoding UTF8 (PowerShell 7: utf8BOM or utf8), ldifde writes ASCII/base64 by default, ldapsearch writes UTF-8";

/** Reads the first bytes to tell the encoding (by BOM) and returns the first decoded lines. */
async function sniff(
  path: string,
): Promise<{ encoding: Encoding; bomBytes: number; headLines: string[]; size: number }> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AdReadError(
      "AD_BAD_EXPORT",
      path,
      `cannot open the export file (${code})`,
      "Check the path and permissions",
      {
        cause: e,
      },
    );
  }
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    let encoding: Encoding = "utf8";
    let bomBytes = 0;
    const b = (i: number) => head[i] ?? -1;
    // UTF-32 first: its little-endian BOM starts like UTF-16's (FF FE).
    if (
      (b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) ||
      (b(0) === 0 && b(1) === 0 && b(2) === 0xfe && b(3) === 0xff)
    ) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file is UTF-32 (Export-Csv -Encoding UTF32), which syncgap does not read",
        REEXPORT_UTF8,
      );
    }
    // UTF-7's BOM (+/v8, +/v9, +/v+, +/v/): Windows PowerShell 5.1's -Encoding UTF7.
    if (b(0) === 0x2b && b(1) === 0x2f && b(2) === 0x76 && [0x38, 0x39, 0x2b, 0x2f].includes(b(3))) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file is UTF-7 (Export-Csv -Encoding UTF7), which syncgap does not read",
        REEXPORT_UTF8,
      );
    }
    if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf) bomBytes = 3;
    else if (b(0) === 0xff && b(1) === 0xfe) {
      encoding = "utf16le";
      bomBytes = 2;
    } else if (b(0) === 0xfe && b(1) === 0xff) {
      encoding = "utf16be";
      bomBytes = 2;
    } else if (head.subarray(0, 512).includes(0)) {
      // No export of text holds NUL; in the first bytes it means UTF-16 without its BOM, or not a text file at all.
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file holds NUL bytes: it is UTF-16 without a byte order mark, or not a text export",
        `${REEXPORT_UTF8} (or as UTF-16 with its BOM: -Encoding Unicode, ldifde -u)`,
      );
    }
    const body = head.subarray(bomBytes);
    const text = encoding === "utf16be" ? swap16(body).toString("utf16le") : body.toString(encoding);
    return { encoding, bomBytes, headLines: text.split(/\r?\n/, 2), size };
  } finally {
    await fh.close();
  }
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  out.swap16();
  return out;
}

/** Line (1-based) of a byte offset: counts line feeds before it. Only on the error path. */
async function lineAtOffset(path: string, encoding: Encoding, offset: number): Promise<number> {
  let line = 1;
  let pos = 0;
  const step = encoding === "utf8" ? 1 : 2;
  const lf = encoding === "utf16be" ? 1 : 0; // index of 0x0A within a UTF-16 code unit
  for await (const chunk of createReadStream(path, { end: Math.max(0, offset - 1) }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      if (step === 1 || (pos + i) % 2 === lf) line++;
    }
    pos += chunk.length;
  }
  return line;
}

/** What the decoder saw: whether the text ended with a line break, how many characters came. */
interface DecodeState {
  endsWithNewline: boolean;
  chars: number;
}

/**
 * The file's text in its encoding, BOM removed, in chunks. Bytes that do not decode are an error naming the line,
 * never U+FFFD (which would turn a number or a name into something else without a word).
 */
async function* decodedText(
  path: string,
  encoding: Encoding,
  bomBytes: number,
  state: DecodeState,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding === "utf8" ? "utf-8" : encoding === "utf16le" ? "utf-16le" : "utf-16be", {
    fatal: true,
    ignoreBOM: true,
  });
  let offset = bomBytes;
  const emit = (s: string) => {
    if (s.length) {
      state.chars += s.length;
      state.endsWithNewline = s.charCodeAt(s.length - 1) === 0x0a;
    }
    return s;
  };
  for await (const chunk of createReadStream(path, {
    start: bomBytes,
    highWaterMark: 65536,
  }) as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (e) {
      const at = offset + (encoding === "utf8" ? firstInvalidUtf8(chunk) : 0);
      const line = await lineAtOffset(path, encoding, at);
      throw new AdReadError(
        "AD_BAD_EXPORT",
        `${path}:${line}`,
        encoding === "utf8"
          ? `bytes at line ${line} (offset ${at}) are not UTF-8: ${NOT_UTF8_CAUSE}`
          : `the file is not valid ${encoding === "utf16le" ? "UTF-16LE" : "UTF-16BE"} near line ${line} (a lone surrogate or a cut code unit)`,
        REEXPORT_UTF8,
        { cause: e },
      );
    }
    offset += chunk.length;
    if (text) yield emit(text);
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (e) {
    throw new AdReadError(
      "AD_BAD_EXPORT",
      path,
      "the file ends in the middle of a character: it was cut",
      "Export again and copy the whole file",
      { cause: e },
    );
  }
  if (rest) yield emit(rest);
}

/**
 * Splits text chunks into lines (without the LF; a CR stays for the parser to drop), a chunk's lines at a time, and
 * refuses a line longer than
 * `max` as soon as it passes the cap: at most `max` characters of one line are ever held, whatever the file holds.
 * Exported for the tests.
 */
export async function* boundedLines(chunks: AsyncIterable<string>, max: number): AsyncGenerator<string[]> {
  let carry = "";
  let line = 0;
  for await (const chunk of chunks) {
    const out: string[] = [];
    let pos = 0;
    for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", pos)) {
      line++;
      if (carry.length + nl - pos > max + 1) throw new LineTooLongError(line, max);
      out.push(carry ? carry + chunk.slice(pos, nl) : chunk.slice(pos, nl));
      carry = "";
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      if (carry.length + chunk.length - pos > max + 1) throw new LineTooLongError(line + 1, max);
      carry += chunk.slice(pos);
    }
    if (out.length) yield out;
  }
  if (carry) yield [carry];
}

function checkPageSize(path: string, pageSize: number | undefined): number {
  const n = pageSize ?? 1000;
  if (!Number.isInteger(n) || n < 1)
    throw new AdReadError("AD_BAD_CONFIG", path, `page size ${n} is not a positive integer`, "Use 1 or more");
  return n;
}

function checkLineCap(path: string, max: number | undefined): number {
  const n = max ?? MAX_EXPORT_LINE_LENGTH;
  if (!Number.isInteger(n) || n < 1024)
    throw new AdReadError("AD_BAD_CONFIG", path, `line cap ${n} is not an integer of 1024 or more`, "Use the default");
  return n;
}

const LDIF_BINARY = new Set(AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));
/** The attributes the mapping reads (see userMapping.ts) and objectClass; everything else in a record is skipped. */
const LDIF_KEEP = new Set([
  "objectclass",
  "userprincipalname",
  "samaccountname",
  "displayname",
  "department",
  "mobile",
  "othermobile",
  "objectguid",
  "objectsid",
  "ms-ds-consistencyguid",
  "useraccountcontrol",
  "whenchanged",
  "usnchanged",
]);

/** Is this LDIF record a user (objectClass user, not computer)? Records without objectClass count as users. */
function isUserRecord(attrs: RawAttributes): boolean {
  const oc = attrs.get("objectclass");
  if (!oc) return true;
  let user = false;
  for (const v of oc) {
    const c = typeof v === "string" ? v : String(v);
    // As written (the reader shares the usual spellings), else in lower case.
    const lc = c === "user" || c === "computer" ? c : c.toLowerCase();
    if (lc === "computer") return false;
    if (lc === "user") user = true;
  }
  return user;
}

export { LineTooLongError };

/** Records one at a time as batches of one, to read both LDIF parsers alike. */
async function* oneByOne<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

export class LdifFileSource implements AdSource {
  readonly description: string;
  /** Users read and records skipped (not users) by the last run. */
  readonly stats = { users: 0, skippedRecords: 0 };
  readonly #pageSize: number;
  readonly #maxLine: number;

  constructor(
    readonly path: string,
    options: ExportFileOptions = {},
  ) {
    this.description = `LDIF export ${path}`;
    this.#pageSize = checkPageSize(path, options.pageSize);
    this.#maxLine = checkLineCap(path, options.maxLineLength);
  }

  async *pages(): AsyncGenerator<AdUser[]> {
    this.stats.users = 0;
    this.stats.skippedRecords = 0;
    const { encoding, bomBytes } = await sniff(this.path);
    const state: DecodeState = { endsWithNewline: false, chars: 0 };
    const trailer = emptyTrailer();
    const dupes = new DuplicateCheck(this.path);
    let page: AdUser[] = [];
    try {
      const parse = {
        binaryAttributes: LDIF_BINARY,
        keepAttributes: LDIF_KEEP,
        maxValueLength: Math.min(LDIF_MAX_VALUE_LENGTH, this.#maxLine),
        trailer,
      };
      // UTF-8 (what ldapsearch, ldbsearch and ldifde without -u write) is read from its bytes, lines are not decoded
      // whole (docs/benchmarks.md, "A million users"); UTF-16 (ldifde -u) is decoded first.
      const stats = { bytes: 0, endsWithNewline: false };
      const records =
        encoding === "utf8"
          ? parseLdifBytes(createReadStream(this.path, { start: bomBytes, highWaterMark: LDIF_CHUNK }), {
              ...parse,
              maxLineLength: this.#maxLine,
              stats,
            })
          : oneByOne(parseLdif(boundedLines(decodedText(this.path, encoding, bomBytes, state), this.#maxLine), parse));
      for await (const batch of records) {
        for (const rec of batch) {
          if (!isUserRecord(rec.attrs)) {
            this.stats.skippedRecords++;
            continue;
          }
          const where = `${this.path}:${rec.line}`;
          const user = adUserFromAttributes(rec.dn, rec.attrs, where);
          dupes.check(user, rec.line);
          this.stats.users++;
          page.push(user);
          if (page.length >= this.#pageSize) {
            yield page;
            page = [];
          }
        }
      }
      if (encoding === "utf8") {
        state.chars = stats.bytes;
        state.endsWithNewline = stats.endsWithNewline;
      }
      this.#checkComplete(trailer, state);
      if (page.length) yield page;
    } catch (e) {
      if (e instanceof LdifSyntaxError) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `not valid LDIF: ${e.message}`,
          e.remedy ?? "Export with ldifde -f FILE or ldapsearch (see docs/active-directory.md)",
          { cause: e },
        );
      }
      if (e instanceof LdifEncodingError) {
        if (e.cut) {
          throw new AdReadError(
            "AD_BAD_EXPORT",
            this.path,
            "the file ends in the middle of a character: it was cut",
            "Export again and copy the whole file",
            { cause: e },
          );
        }
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `bytes at line ${e.line} (offset ${bomBytes + e.offset}) are not UTF-8: ${NOT_UTF8_CAUSE}`,
          REEXPORT_UTF8,
          { cause: e },
        );
      }
      if (e instanceof LineTooLongError) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `line ${e.line} is longer than ${e.max.toLocaleString("en-US")} characters (syncgap's line cap; AD's longest value syncgap reads, userPrincipalName, is 1,024 characters)`,
          "Check that the file is an LDIF export and not damaged; export only the attributes syncgap reads (see docs/active-directory.md)",
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** The completeness rule for LDIF (see the module comment); throws AD_BAD_EXPORT when the file breaks it. */
  #checkComplete(t: LdifTrailer, state: DecodeState): void {
    const fail = (where: string, problem: string, remedy: string) => {
      throw new AdReadError("AD_BAD_EXPORT", where, problem, remedy);
    };
    const failed = t.results.find((r) => r.code !== 0);
    if (failed) {
      fail(
        `${this.path}:${failed.line}`,
        `the search that wrote this export ended with "result: ${failed.code}${failed.text ? ` ${failed.text}` : ""}": the server did not return every entry`,
        failed.code === 4
          ? "Page the search (ldapsearch -E pr=1000/noprompt …; AD returns at most MaxPageSize = 1,000 entries to an unpaged search) and export again"
          : "Fix what the server reported (base DN, bind account, filter) and export again",
      );
    }
    if (t.searchResultComments.length && !t.results.length) {
      fail(
        `${this.path}:${t.searchResultComments[0]}`,
        "this is ldapsearch -L output: ldapsearch wrote the search's result code to stderr, not into the file, so the file cannot show that the search succeeded",
        "Run ldapsearch without -L (its default extended LDIF records `result: 0 Success` in the file)",
      );
    }
    if ((t.extendedLdif || t.results.length) && t.last !== "result") {
      fail(
        this.path,
        t.results.length
          ? "entries follow ldapsearch's last search result: the file holds more than one export, or was appended to"
          : "the file starts like ldapsearch's extended LDIF (# extended LDIF) but ends without its search result (result: 0 Success): the search did not finish or the file was cut",
        "Export again with ldapsearch into a new file and copy it whole",
      );
    }
    if (t.numEntries !== undefined && t.numEntries !== t.entries) {
      fail(
        this.path,
        `ldapsearch's trailer says # numEntries: ${t.numEntries}, but the file holds ${t.entries} entries: entries are missing or were added`,
        "Export again into a new file and copy it whole",
      );
    }
    if (t.ldbsearch) {
      const r = t.ldbReturned;
      if (!r) {
        fail(
          this.path,
          "the file is ldbsearch output (# record N) but ends without ldbsearch's # returned N records: the search did not finish or the file was cut",
          "Run ldbsearch again into a new file",
        );
      } else if ((r.entries ?? r.records - t.references) !== t.entries) {
        fail(
          `${this.path}:${r.line}`,
          `ldbsearch says it returned ${r.entries ?? r.records} entries, but the file holds ${t.entries}`,
          "Run ldbsearch again into a new file",
        );
      }
    }
    if (state.chars > 0 && !state.endsWithNewline) {
      fail(
        this.path,
        "the file ends in the middle of a line: it was cut (every LDIF writer ends each line with a line break)",
        "Export again and copy the whole file",
      );
    }
    if (this.stats.users === 0) {
      fail(
        this.path,
        state.chars === 0
          ? "the file is empty"
          : `the file holds no user entries (${t.entries} records, ${this.stats.skippedRecords} of them not users)`,
        'Export the users: ldifde -r "(&(objectCategory=person)(objectClass=user))" -d "OU=…" (see docs/active-directory.md)',
      );
    }
  }
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

/** Users from an LDIF export (`ldifde -f users.ldf -r "(objectClass=user)" …`, `ldapsearch …`). */
export function readLdifFile(path: string, options?: ExportFileOptions): LdifFileSource {
  return new LdifFileSource(path, options);
}

/** Users from a `Get-ADUser … | Export-Csv` file (see docs/active-directory.md for the command). */
export function readAdCsvFile(path: string, options?: CsvExportOptions): CsvFileSource {
  return new CsvFileSource(path, options);
}
