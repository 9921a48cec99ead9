/**
 * The parts of the reports that depend on the rows alone, and a file that keeps them between delta runs.
 *
 * A delta re-run in which nothing changed reuses the last result (gap/run.ts), so its reports differ from the last
 * run's only in the parts about this run (time, notes, inputs). Rendering the rows is most of a report's cost (for
 * 5,000 rows about 0.1 s of a 0.3 s re-run: docs/benchmarks.md), so the row parts are kept next to the delta state
 * (`<state>.reports`) under a key made of the rows' digest and the renderers' identity, and used again when both
 * match. The bytes written are the same as a fresh rendering's (test/gap/reports.test.ts); a missing, stale or
 * damaged file only means rendering again.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import type { GapRow } from "../types";
import { gapCsv } from "./csv";
import { htmlRowsData } from "./html";
import { jsonRowsBody } from "./json";

export const BODY_FORMATS = ["csv", "json", "html"] as const;
export type BodyFormat = (typeof BODY_FORMATS)[number];
export type RowBodies = Partial<Record<BodyFormat, string>>;
/** Kept row parts, as the UTF-8 bytes they are written as. */
export type KeptBodies = Partial<Record<BodyFormat, Buffer>>;

/** The row part of one format: the whole CSV, the JSON `rows` array, the HTML data block. */
export function renderBody(format: BodyFormat, rows: readonly GapRow[]): string {
  switch (format) {
    case "csv":
      return gapCsv(rows);
    case "json":
      return jsonRowsBody(rows as GapRow[]);
    case "html":
      return htmlRowsData(rows as GapRow[]);
  }
}

export interface BodyCache {
  file: string;
  /** Changes whenever the bodies would: the rows' digest and the renderers' identity. */
  key: string;
}

const MAGIC = "syncgap-report-bodies 1";

/** The bodies kept under `cache.key`; empty when the file is missing, made for another key, or damaged. */
export function loadBodies(cache: BodyCache): KeptBodies {
  let buf: Buffer;
  try {
    buf = readFileSync(cache.file);
  } catch {
    return {};
  }
  try {
    const nl1 = buf.indexOf(10);
    const nl2 = buf.indexOf(10, nl1 + 1);
    if (nl1 < 0 || nl2 < 0 || buf.toString("utf8", 0, nl1) !== MAGIC) return {};
    const header = JSON.parse(buf.toString("utf8", nl1 + 1, nl2)) as { key: string; parts: [BodyFormat, number][] };
    if (header.key !== cache.key) return {};
    const out: KeptBodies = {};
    let at = nl2 + 1;
    for (const [format, bytes] of header.parts) {
      if (!(BODY_FORMATS as readonly string[]).includes(format) || at + bytes > buf.length) return {};
      out[format] = buf.subarray(at, at + bytes);
      at += bytes;
    }
    return at === buf.length ? out : {};
  } catch {
    return {};
  }
}

/** Keeps `bodies` under `cache.key` (atomically: a reader sees the old file or the new one). */
export function saveBodies(cache: BodyCache, bodies: Partial<Record<BodyFormat, string | Buffer>>): void {
  const parts = BODY_FORMATS.filter((f) => bodies[f] !== undefined).map((f) => {
    const b = bodies[f] as string | Buffer;
    return [f, typeof b === "string" ? Buffer.from(b, "utf8") : b] as const;
  });
  const header = JSON.stringify({ key: cache.key, parts: parts.map(([f, b]) => [f, b.length]) });
  const tmp = `${cache.file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${MAGIC}\n${header}\n`);
    for (const [, b] of parts) writeSync(fd, b);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, cache.file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
