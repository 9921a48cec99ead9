/**
 * Writes the reports of one run into a folder: gap-report.csv|json|xml|md|html (and impact-report.csv|json|md in
 * impact mode). Every report comes from the same GapResult and Verdict, so they agree with each other and with the
 * exit code.
 *
 * The reports hold directory data (names, phone numbers), so each file is created readable by its owner only (mode
 * 0600, narrowed further by the umask) and the folder, when syncgap creates it, 0700. Each is written to a temporary
 * file and renamed into place: a reader sees the old report or the new one, and an existing file's looser mode is not
 * kept (../privateFiles.ts). Report files of an earlier run that this run does not write are removed, so the folder
 * holds only this run's.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { impactOf } from "../impact";
import { writePrivateFile } from "../privateFiles";
import type { GapResult } from "../types";
import type { Verdict } from "../verdict";
import { impactCsv } from "./csv";
import { gapHtml } from "./html";
import { gapJson } from "./json";
import { gapJunit } from "./junit";
import { type BodyCache, type BodyFormat, loadBodies, type RowBodies, renderBody, saveBodies } from "./keptRowParts";
import { gapMarkdown, impactMarkdown } from "./markdown";

export type { BodyCache } from "./keptRowParts";

export const REPORT_FORMATS = ["csv", "json", "junit", "md", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = {
  csv: "gap-report.csv",
  json: "gap-report.json",
  junit: "gap-report.xml",
  md: "gap-report.md",
  html: "gap-report.html",
};

export function parseFormats(list: string): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const f of list
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const name = f === "xml" ? "junit" : f === "markdown" ? "md" : f;
    if (!(REPORT_FORMATS as readonly string[]).includes(name)) {
      throw new RangeError(`unknown report format "${f}" (use ${REPORT_FORMATS.join(", ")})`);
    }
    if (!out.includes(name as ReportFormat)) out.push(name as ReportFormat);
  }
  return out;
}

/** Every file name syncgap writes into a report folder (for removing an earlier run's). */
export const IMPACT_FILES = ["impact-report.csv", "impact-report.json", "impact-report.md"] as const;

export interface WriteOptions {
  outDir: string;
  formats?: readonly ReportFormat[];
  verdict?: Verdict;
  /** JUnit: per-user cases for the first N users in gated categories (./junit.ts). */
  junitUsers?: number;
  /** Also write impact-report.csv|json|md. */
  impact?: boolean;
  /** Where the row parts are kept between delta runs (./keptRowParts.ts). */
  bodies?: BodyCache;
}

/**
 * Marks where the row part goes when it is spliced in as bytes. Should the rest of the document hold the mark too
 * (it starts with NUL, which no report writes unescaped), the document is rendered as text instead.
 */
const ROWS_MARK = "\u0000syncgap-rows\u0000";

/** A document around its row part: rendered with the text, or around the kept bytes without decoding them. */
function withBody(b: string | Buffer, render: (rowsText: string) => string): string | Buffer {
  if (typeof b === "string") return render(b);
  const text = render(ROWS_MARK);
  const at = text.indexOf(ROWS_MARK);
  if (at < 0 || text.indexOf(ROWS_MARK, at + 1) >= 0) return render(b.toString("utf8"));
  if (text.length === ROWS_MARK.length) return b; // the document is its row part (the CSV)
  return Buffer.concat([Buffer.from(text.slice(0, at)), b, Buffer.from(text.slice(at + ROWS_MARK.length))]);
}

/**
 * Writes the reports; resolves to absolute paths by format (and `impact-*` keys in impact mode). Each file is written
 * in the background while the next one is rendered (a report set for a few thousand rows is several MB).
 */
export async function writeReports(result: GapResult, opts: WriteOptions): Promise<Record<string, string>> {
  const dir = resolve(opts.outDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const writes: Promise<void>[] = [];
  const put = (path: string, data: string | Buffer) => {
    writes.push(writePrivateFile(path, data));
  };
  const verdict = opts.verdict;
  const formats = opts.formats ?? REPORT_FORMATS;
  // Row parts: kept from an earlier run (bytes, written as they are) or rendered now.
  const kept = opts.bodies ? loadBodies(opts.bodies) : {};
  const fresh: RowBodies = {};
  const body = (f: BodyFormat): string | Buffer => {
    const k = kept[f];
    if (k) return k;
    const text = renderBody(f, result.rows);
    fresh[f] = text;
    return text;
  };
  const written: Record<string, string> = {};
  const files = formats.map((f) => REPORT_FILES[f]);
  // Each document around its row part (the CSV is its row part).
  const documents: Record<BodyFormat, (rowsText: string) => string> = {
    csv: (rows) => rows,
    json: (rows) => gapJson(result, verdict, rows),
    html: (rows) => gapHtml(result, verdict, rows),
  };
  // named relative to the report folder: the pipeline publishes the folder as one artifact
  const csvPath = formats.includes("csv") ? REPORT_FILES.csv : undefined;
  for (const f of formats) {
    const path = join(dir, REPORT_FILES[f]);
    put(
      path,
      f === "md"
        ? gapMarkdown(result, verdict, { files })
        : f === "junit"
          ? gapJunit(result, verdict, { junitUsers: opts.junitUsers, csvPath })
          : withBody(body(f), documents[f]),
    );
    written[f] = path;
  }
  if (opts.bodies && Object.keys(fresh).length) {
    try {
      saveBodies(opts.bodies, { ...kept, ...fresh });
    } catch {
      // only a cache: the next run renders again
    }
  }
  if (opts.impact) {
    const impact = impactOf(result);
    written["impact-csv"] = join(dir, "impact-report.csv");
    put(written["impact-csv"], impactCsv(impact.rows));
    written["impact-json"] = join(dir, "impact-report.json");
    put(
      written["impact-json"],
      `${JSON.stringify({ tool: result.tool, generatedAt: result.generatedAt, ...impact }, null, 2)}\n`,
    );
    written["impact-md"] = join(dir, "impact-report.md");
    put(written["impact-md"], impactMarkdown(result, verdict));
  }
  const ours = new Set(Object.values(written));
  for (const name of [...Object.values(REPORT_FILES), ...IMPACT_FILES]) {
    const path = join(dir, name);
    if (!ours.has(path)) rmSync(path, { force: true });
  }
  await Promise.all(writes);
  return written;
}
