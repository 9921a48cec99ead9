/**
 * Writes the reports of one run into a folder: gap-report.csv|json|xml|md|html (and impact-report.csv|json|md in
 * impact mode). Every report comes from the same GapResult and Verdict, so they agree with each other and with the
 * exit code.
 *
 * The reports hold directory data (names, phone numbers), so each file is created readable by its owner only (mode
 * 0600, narrowed further by the umask) and the folder, when syncgap creates it, 0700. Each is written to a temporary
 * file and renamed into place: a reader sees the old report or the new one, and an existing file's looser mode is not
 * kept. The CSV, JSON and HTML reports are rendered in chunks and written through a file stream with backpressure, so
 * a million rows never become one string. The folder holds only this run's reports: syncgap's own report files of an
 * earlier run that this run does not write are removed, and so are temporary files an interrupted run left (only the
 * names syncgap writes: nothing else in the folder is touched).
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { impactOf } from "../impact";
import { writePrivateFile } from "../privateFiles";
import type { GapResult } from "../types";
import type { Verdict } from "../verdict";
import type { RunComparison } from "./comparison";
import { gapCsvChunks, impactCsv } from "./csv";
import { gapHtmlChunks } from "./html";
import { gapJsonChunks } from "./json";
import { gapJunit } from "./junit";
import { gapMarkdown, impactMarkdown } from "./markdown";

export type { PreviousRun, RunComparison } from "./comparison";
export { compareRuns, comparisonLine, loadPreviousReport, PreviousReportError } from "./comparison";

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

/** Every report file name syncgap writes: the only names it removes from a report folder. */
const OUR_FILES: readonly string[] = [...Object.values(REPORT_FILES), ...IMPACT_FILES];

/** `<one of OUR_FILES>.tmp-<pid>`: the temporary file of a write (../privateFiles.ts). */
const TEMP_FILE = /^(.+)\.tmp-\d+$/;

export interface WriteOptions {
  outDir: string;
  formats?: readonly ReportFormat[];
  verdict?: Verdict;
  /** JUnit: per-user cases for the first N users in gated categories (./junit.ts). */
  junitUsers?: number;
  /** Also write impact-report.csv|json|md. */
  impact?: boolean;
  /** This run against an earlier one (compareRuns(loadPreviousReport(file), result)): in the Markdown and HTML. */
  previous?: RunComparison;
  /** OUs listed in the per-OU breakdown of the Markdown and HTML (./ouBreakdown.ts). */
  ouLimit?: number;
}

/** Resolves to absolute paths by format (and `impact-*` keys in impact mode). */
export async function writeReports(result: GapResult, opts: WriteOptions): Promise<Record<string, string>> {
  const dir = resolve(opts.outDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const verdict = opts.verdict;
  const formats = opts.formats ?? REPORT_FORMATS;
  const files = formats.map((f) => REPORT_FILES[f]);
  // named relative to the report folder: the pipeline publishes the folder as one artifact
  const csvPath = formats.includes("csv") ? REPORT_FILES.csv : undefined;
  const extra = { comparison: opts.previous, ouLimit: opts.ouLimit };
  const documents: Record<ReportFormat, () => Iterable<string>> = {
    csv: () => gapCsvChunks(result.rows),
    json: () => gapJsonChunks(result, verdict),
    html: () => gapHtmlChunks(result, verdict, extra),
    md: () => [gapMarkdown(result, verdict, { files, ...extra })],
    junit: () => [gapJunit(result, verdict, { junitUsers: opts.junitUsers, csvPath })],
  };
  const written: Record<string, string> = {};
  // All at once: each streams its chunks (memory stays at a chunk per file whatever the row count), and one renders
  // while another's chunk is on its way to the disk. Every write has ended before this returns, failed or not (the
  // caller may write an exit-2 report set next).
  const writes = await Promise.allSettled(
    formats.map((f) => {
      written[f] = join(dir, REPORT_FILES[f]);
      return writePrivateFile(written[f], documents[f]());
    }),
  );
  for (const w of writes) if (w.status === "rejected") throw w.reason;
  if (opts.impact) {
    const impact = impactOf(result);
    written["impact-csv"] = join(dir, "impact-report.csv");
    await writePrivateFile(written["impact-csv"], [impactCsv(impact.rows)]);
    written["impact-json"] = join(dir, "impact-report.json");
    await writePrivateFile(written["impact-json"], [
      `${JSON.stringify({ tool: result.tool, generatedAt: result.generatedAt, ...impact }, null, 2)}\n`,
    ]);
    written["impact-md"] = join(dir, "impact-report.md");
    await writePrivateFile(written["impact-md"], [impactMarkdown(result, verdict)]);
  }
  removeStale(dir, new Set(Object.values(written)));
  return written;
}

/** Removes syncgap's own report files (and temporary files) in `dir` that are not this run's (see the file comment). */
function removeStale(dir: string, ours: ReadonlySet<string>): void {
  for (const name of readdirSync(dir)) {
    const temp = TEMP_FILE.exec(name);
    const stale = temp ? OUR_FILES.includes(temp[1] as string) : OUR_FILES.includes(name) && !ours.has(join(dir, name));
    if (stale) rmSync(join(dir, name), { force: true });
  }
}
