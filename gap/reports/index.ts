/**
 * Writes the reports of one run into a folder: gap-report.csv|json|xml|md|html (and impact-report.csv|json|md in
 * impact mode). Every report comes from the same GapResult, so they always agree.
 */
import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { GateOutcome } from "../gate";
import { impactOf } from "../impact";
import type { GapResult } from "../types";
import { gapCsv, impactCsv } from "./csv";
import { gapHtml } from "./html";
import { gapJson } from "./json";
import { gapJunit } from "./junit";
import { gapMarkdown, impactMarkdown } from "./markdown";

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

export interface WriteOptions {
  outDir: string;
  formats?: readonly ReportFormat[];
  gate?: GateOutcome;
  /** Also write impact-report.csv|json|md. */
  impact?: boolean;
}

/**
 * Writes the reports; resolves to absolute paths by format (and `impact-*` keys in impact mode). Each file is written
 * in the background while the next one is rendered (a report set for a few thousand rows is several MB).
 */
export async function writeReports(result: GapResult, opts: WriteOptions): Promise<Record<string, string>> {
  const dir = resolve(opts.outDir);
  mkdirSync(dir, { recursive: true });
  const writes: Promise<void>[] = [];
  const put = (path: string, text: string) => {
    writes.push(writeFile(path, text));
  };
  const formats = opts.formats ?? REPORT_FORMATS;
  const written: Record<string, string> = {};
  const files = formats.map((f) => REPORT_FILES[f]);
  for (const f of formats) {
    const path = join(dir, REPORT_FILES[f]);
    let text: string;
    switch (f) {
      case "csv":
        text = gapCsv(result.rows);
        break;
      case "json":
        text = gapJson(result, opts.gate);
        break;
      case "junit":
        text = gapJunit(result, opts.gate);
        break;
      case "md":
        text = gapMarkdown(result, opts.gate, { files });
        break;
      case "html":
        text = gapHtml(result, opts.gate);
        break;
    }
    put(path, text);
    written[f] = path;
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
    put(written["impact-md"], impactMarkdown(result));
  }
  await Promise.all(writes);
  return written;
}
