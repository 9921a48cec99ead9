/**
 * JSON report: the whole result in one document, described by schemas/gap-report.schema.json.
 */

import type { Coverage } from "../coverage";
import { impactFigures } from "../impact";
import type { GapResult, ImpactFigures } from "../types";
import type { Verdict } from "../verdict";

export const GAP_REPORT_SCHEMA_ID = "https://syncgap.dev/schemas/gap-report.schema.json";
export const GAP_REPORT_VERSION = 1;

export interface GapReportDocument {
  $schema: string;
  schemaVersion: number;
  tool: GapResult["tool"];
  generatedAt: string;
  summary: {
    counts: GapResult["counts"];
    totals: GapResult["totals"];
    inputs: GapResult["inputs"];
    timings: GapResult["timings"];
    defaultRegion: string;
    includeInSync: boolean;
    otherMobileNote: string;
    notes: string[];
    impact: ImpactFigures;
    gate?: { passed: boolean; gaps: number; failOn: string[]; maxGaps: number; summary: string };
    verdict?: Pick<Verdict, "status" | "exitCode" | "label" | "reason" | "authority" | "checks" | "audit"> & {
      coverage?: Omit<Coverage, "summary" | "problems" | "fix">;
    };
  };
  rows: GapResult["rows"];
}

export function gapReportDocument(result: GapResult, verdict?: Verdict): GapReportDocument {
  const impact = impactFigures(result);
  const gate = verdict?.gate;
  return {
    $schema: GAP_REPORT_SCHEMA_ID,
    schemaVersion: GAP_REPORT_VERSION,
    tool: result.tool,
    generatedAt: result.generatedAt,
    summary: {
      counts: result.counts,
      totals: result.totals,
      inputs: result.inputs,
      timings: result.timings,
      defaultRegion: result.defaultRegion,
      includeInSync: result.includeInSync,
      otherMobileNote: result.otherMobileNote,
      notes: result.notes,
      impact,
      ...(gate
        ? {
            gate: {
              passed: gate.passed,
              gaps: gate.gaps,
              failOn: [...gate.thresholds.failOn],
              maxGaps: gate.thresholds.maxGaps,
              summary: gate.summary,
            },
          }
        : {}),
      ...(verdict
        ? {
            verdict: {
              status: verdict.status,
              exitCode: verdict.exitCode,
              label: verdict.label,
              reason: verdict.reason,
              authority: verdict.authority,
              checks: verdict.checks,
              ...(verdict.audit ? { audit: verdict.audit } : {}),
              ...(verdict.coverage ? { coverage: coverageFigures(verdict.coverage) } : {}),
            },
          }
        : {}),
    },
    rows: result.rows,
  };
}

function coverageFigures(c: Coverage): Omit<Coverage, "summary" | "problems" | "fix"> {
  const { summary: _s, problems: _p, fix: _f, ...figures } = c;
  return figures;
}

/** Rows per chunk of the streamed document. */
const JSON_CHUNK_ROWS = 1000;

/**
 * The document, pretty-printed, in chunks: the same text as JSON.stringify(gapReportDocument(…), null, 2), but the
 * rows are rendered a chunk at a time, so a million of them stream to disk instead of becoming one string.
 */
export function* gapJsonChunks(result: GapResult, verdict?: Verdict): Generator<string> {
  const head = JSON.stringify({ ...gapReportDocument(result, verdict), rows: [] }, null, 2);
  // `rows` is the document's last key: the text ends with `"rows": []\n}`
  yield head.slice(0, -"[]\n}".length);
  const rows = result.rows;
  if (!rows.length) {
    yield "[]\n}\n";
    return;
  }
  // A block of rows printed where the document has them, one stringify per block: `{"rows": block}` pretty-printed
  // is `{\n  "rows": [\n` + the rows at the document's depth + `\n  ]\n}`.
  const open = '{\n  "rows": [\n'.length;
  const close = "\n  ]\n}".length;
  for (let i = 0; i < rows.length; i += JSON_CHUNK_ROWS) {
    const block = JSON.stringify({ rows: rows.slice(i, i + JSON_CHUNK_ROWS) }, null, 2);
    yield (i ? ",\n" : "[\n") + block.slice(open, block.length - close);
  }
  yield "\n  ]\n}\n";
}

/** The document, pretty-printed (gapJsonChunks joined). */
export function gapJson(result: GapResult, verdict?: Verdict): string {
  return [...gapJsonChunks(result, verdict)].join("");
}
