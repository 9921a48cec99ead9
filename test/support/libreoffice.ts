/**
 * Opens a CSV the way a person's spreadsheet does: Debian's LibreOffice Calc, headless, converts it to a flat
 * OpenDocument spreadsheet (.fods), whose cells are read back with their types (office:value-type: string, float,
 * date, …) and formulas. Nothing is installed here: without soffice the caller fails, naming the Debian package.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { XMLParser } from "fast-xml-parser";

export const SOFFICE = "/usr/bin/soffice";

/** Throws when LibreOffice is missing, saying what to install. */
export function requireSoffice(): void {
  if (!existsSync(SOFFICE)) {
    throw new Error(
      `${SOFFICE} is missing: install Debian's libreoffice-calc package (apt-get install libreoffice-calc)`,
    );
  }
}

export interface SheetCell {
  /** office:value-type: "string", "float", "percentage", "currency", "date", "time", "boolean"; "" for an empty cell. */
  type: string;
  /** The text the cell shows (tabs, runs of spaces and line breaks put back). */
  text: string;
  /** table:formula, when the cell holds one. */
  formula?: string;
}

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

function children(node: Node, tag: string): Node[] {
  return (node[tag] as Node[] | undefined) ?? [];
}

function tagOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ":@") ?? "";
}

/** The text of a text:p, with the elements ODF writes for tabs, spaces and line breaks turned back into characters. */
function textOf(nodes: Node[]): string {
  let out = "";
  for (const n of nodes) {
    const tag = tagOf(n);
    if (tag === "#text") out += String(n["#text"]);
    else if (tag === "text:tab") out += "\t";
    else if (tag === "text:line-break") out += "\n";
    else if (tag === "text:s") out += " ".repeat(Number(n[":@"]?.["@_text:c"] ?? 1));
    else out += textOf(children(n, tag));
  }
  return out;
}

function find(nodes: Node[], tag: string): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === tag) out.push(n);
    else if (t && t !== "#text") out.push(...find(children(n, t), tag));
  }
  return out;
}

/** The first sheet's rows, as LibreOffice typed them. */
export function fodsCells(fods: string): SheetCell[][] {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    trimValues: false,
    parseTagValue: false,
    processEntities: true,
  });
  const doc = parser.parse(fods) as Node[];
  const table = find(doc, "table:table")[0];
  if (!table) throw new Error("no table:table in the converted file");
  const rows: SheetCell[][] = [];
  for (const row of children(table, "table:table").filter((n) => tagOf(n) === "table:table-row")) {
    const cells: SheetCell[] = [];
    for (const c of children(row, "table:table-row")) {
      const tag = tagOf(c);
      if (tag !== "table:table-cell" && tag !== "table:covered-table-cell") continue;
      const attrs = c[":@"] ?? {};
      const paragraphs = children(c, tag).filter((n) => tagOf(n) === "text:p");
      const cell: SheetCell = {
        type: attrs["@_office:value-type"] ?? "",
        text: paragraphs.map((p) => textOf(children(p, "text:p"))).join("\n"),
        ...(attrs["@_table:formula"] ? { formula: attrs["@_table:formula"] } : {}),
      };
      const repeat = Number(attrs["@_table:number-columns-repeated"] ?? 1);
      // An empty run at the end of a row only pads the sheet to its width.
      for (let i = 0; i < Math.min(repeat, 1024); i++) cells.push(cell);
    }
    while (cells.length && cells[cells.length - 1]?.type === "" && cells[cells.length - 1]?.text === "") cells.pop();
    rows.push(cells);
  }
  while (rows.length && rows[rows.length - 1]?.length === 0) rows.pop();
  return rows;
}

/**
 * Opens `csv` (UTF-8, comma-separated, as syncgap writes it) in LibreOffice Calc and returns the cells of its first
 * sheet. The import options are those Calc's dialog starts with for such a file: comma, double quote, UTF-8, from line
 * 1 (https://wiki.openoffice.org/wiki/Documentation/DevGuide/Spreadsheets/Filter_Options); a fresh profile per call, so
 * runs do not share state or lock each other out.
 */
export async function openCsvInCalc(csv: string | Buffer, timeoutMs = 120_000): Promise<SheetCell[][]> {
  requireSoffice();
  const dir = mkdtempSync(join(tmpdir(), "syncgap-calc-"));
  try {
    const input = join(dir, "report.csv");
    writeFileSync(input, csv);
    await promisify(execFile)(
      SOFFICE,
      [
        "--headless",
        "--norestore",
        `-env:UserInstallation=${pathToFileURL(join(dir, "profile")).href}`,
        "--infilter=CSV:44,34,76,1",
        "--convert-to",
        "fods",
        "--outdir",
        dir,
        input,
      ],
      { timeout: timeoutMs, env: { ...process.env, HOME: dir } },
    );
    const out = join(dir, "report.fods");
    if (!existsSync(out)) throw new Error(`LibreOffice wrote no ${out}`);
    return fodsCells(readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
