/**
 * AD exports as input: LDIF (`ldifde`, `ldapsearch`, `ldbsearch`) and CSV (PowerShell's
 * `Get-ADUser … | Export-Csv`). Both stream: lines (LDIF) or rows (CSV) are read as they come and users are handed
 * out in pages, so a 100k-user file is never in memory whole.
 *
 * Encodings: UTF-8 with or without BOM, and UTF-16 LE/BE with BOM (`ldifde -u`, `Export-Csv -Encoding Unicode`).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Transform } from "node:stream";
import { parse } from "csv-parse";
import { AdReadError } from "./errors";
import { LdifSyntaxError, parseLdif } from "./ldif";
import type { AdSource, AdUser } from "./types";
import { AD_BINARY_ATTRIBUTES, adUserFromAttributes, type RawAttributes } from "./userMapping";

export interface ExportFileOptions {
  /** Users per page (default 1000). */
  pageSize?: number;
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

type Encoding = "utf8" | "utf16le" | "utf16be";

/** Reads the first bytes to tell the encoding (by BOM) and returns the first decoded line. */
async function sniff(path: string): Promise<{ encoding: Encoding; bomBytes: number; headLines: string[] }> {
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
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    let encoding: Encoding = "utf8";
    let bomBytes = 0;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) bomBytes = 3;
    else if (head[0] === 0xff && head[1] === 0xfe) {
      encoding = "utf16le";
      bomBytes = 2;
    } else if (head[0] === 0xfe && head[1] === 0xff) {
      encoding = "utf16be";
      bomBytes = 2;
    }
    const body = head.subarray(bomBytes);
    const text = encoding === "utf16be" ? swap16(body).toString("utf16le") : body.toString(encoding);
    return { encoding, bomBytes, headLines: text.split(/\r?\n/, 2) };
  } finally {
    await fh.close();
  }
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  out.swap16();
  return out;
}

/** A text stream of the file in its encoding, BOM removed. */
function textStream(path: string, encoding: Encoding, bomBytes: number): NodeJS.ReadableStream {
  if (encoding === "utf16be") {
    // Node has no utf16be decoder for streams: swap byte pairs (keeping an odd byte for the next chunk).
    const raw = createReadStream(path, { start: bomBytes });
    let carry: Buffer | undefined;
    const t = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        let b = carry ? Buffer.concat([carry, chunk]) : chunk;
        carry = b.length % 2 ? b.subarray(b.length - 1) : undefined;
        if (carry) b = b.subarray(0, b.length - 1);
        cb(null, swap16(b).toString("utf16le"));
      },
    });
    t.setEncoding("utf8");
    return raw.pipe(t);
  }
  return createReadStream(path, { start: bomBytes, encoding });
}

function checkPageSize(path: string, pageSize: number | undefined): number {
  const n = pageSize ?? 1000;
  if (!Number.isInteger(n) || n < 1)
    throw new AdReadError("AD_BAD_CONFIG", path, `page size ${n} is not a positive integer`, "Use 1 or more");
  return n;
}

const LDIF_BINARY = new Set(AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));

/** Is this LDIF record a user (objectClass user, not computer)? Records without objectClass count as users. */
function isUserRecord(attrs: RawAttributes): boolean {
  const oc = attrs.get("objectclass");
  if (!oc) return true;
  const classes = oc.map((v) => String(v).toLowerCase());
  return classes.includes("user") && !classes.includes("computer");
}

export class LdifFileSource implements AdSource {
  readonly description: string;
  /** Users read and records skipped (not users) by the last run. */
  readonly stats = { users: 0, skippedRecords: 0 };
  readonly #pageSize: number;

  constructor(
    readonly path: string,
    options: ExportFileOptions = {},
  ) {
    this.description = `LDIF export ${path}`;
    this.#pageSize = checkPageSize(path, options.pageSize);
  }

  async *pages(): AsyncGenerator<AdUser[]> {
    this.stats.users = 0;
    this.stats.skippedRecords = 0;
    const { encoding, bomBytes } = await sniff(this.path);
    const stream = textStream(this.path, encoding, bomBytes);
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    let page: AdUser[] = [];
    try {
      for await (const rec of parseLdif(rl, { binaryAttributes: LDIF_BINARY })) {
        if (!isUserRecord(rec.attrs)) {
          this.stats.skippedRecords++;
          continue;
        }
        this.stats.users++;
        page.push(adUserFromAttributes(rec.dn, rec.attrs, `${this.path}:${rec.line}`));
        if (page.length >= this.#pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length) yield page;
    } catch (e) {
      if (e instanceof LdifSyntaxError) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `not valid LDIF: ${e.message}`,
          "Export with ldifde -f FILE or ldapsearch -LLL",
          { cause: e },
        );
      }
      throw e;
    } finally {
      rl.close();
      (stream as unknown as { destroy?: () => void }).destroy?.();
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

export class CsvFileSource implements AdSource {
  readonly description: string;
  readonly warnings: string[] = [];
  readonly stats = { users: 0 };
  readonly #pageSize: number;
  readonly #options: CsvExportOptions;

  constructor(
    readonly path: string,
    options: CsvExportOptions = {},
  ) {
    this.description = `CSV export ${path}`;
    this.#pageSize = checkPageSize(path, options.pageSize);
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
    const stream = textStream(this.path, encoding, bomBytes);
    const parser = parse({
      // -UseCulture / -Delimiter ';' exports (e.g. German Windows) are common: detect from the header.
      delimiter: this.#options.delimiter ?? detectDelimiter(headerLine),
      from_line: hasTypeLine ? 2 : 1,
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      bom: true,
    });
    stream.pipe(parser);
    let columns: Map<string, string> | undefined; // csv column → attribute
    let rowNo = hasTypeLine ? 2 : 1;
    const where = () => `${this.path}:${rowNo}`;
    try {
      for await (const row of parser as AsyncIterable<Record<string, string>>) {
        rowNo++;
        if (!columns) {
          columns = new Map();
          for (const col of Object.keys(row)) {
            const attr = CSV_COLUMNS[col.toLowerCase()];
            if (attr) columns.set(col, attr);
          }
          const attrs = new Set(columns.values());
          if (!attrs.has("distinguishedname")) {
            throw new AdReadError(
              "AD_BAD_EXPORT",
              this.path,
              "the CSV has no DistinguishedName column, so it is not a Get-ADUser export",
              "Export with Get-ADUser … | Select-Object DistinguishedName,… | Export-Csv (see docs/active-directory.md)",
            );
          }
          if (!attrs.has("useraccountcontrol") && !attrs.has("enabled")) {
            throw new AdReadError(
              "AD_BAD_EXPORT",
              this.path,
              "the CSV has neither an Enabled nor a userAccountControl column: disabled accounts could not be told apart",
              "Include Enabled (Get-ADUser returns it by default) or userAccountControl",
            );
          }
        }
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
        this.stats.users++;
        page.push(adUserFromAttributes(dn, attrs, where()));
        if (page.length >= this.#pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length) yield page;
    } catch (e) {
      if (e instanceof AdReadError) throw e;
      const code = (e as { code?: string }).code;
      throw new AdReadError(
        "AD_BAD_EXPORT",
        where(),
        `not valid CSV: ${(e as Error).message}${code ? ` (${code})` : ""}`,
        "Export with Export-Csv",
        {
          cause: e,
        },
      );
    } finally {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      parser.destroy();
    }
  }
}

/** Users from an LDIF export (`ldifde -f users.ldf -r "(objectClass=user)" …`, `ldapsearch -LLL …`). */
export function readLdifFile(path: string, options?: ExportFileOptions): LdifFileSource {
  return new LdifFileSource(path, options);
}

/** Users from a `Get-ADUser … | Export-Csv` file (see docs/active-directory.md for the command). */
export function readAdCsvFile(path: string, options?: CsvExportOptions): CsvFileSource {
  return new CsvFileSource(path, options);
}
