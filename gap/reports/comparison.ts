/**
 * This run against an earlier one, from that run's JSON report (gap-report.json): the counts per category then and now,
 * and the users that moved — newly out of sync, no longer out of sync, out of sync in another category.
 *
 * The earlier report is checked before it is used (loadPreviousReport): a file that is not a syncgap gap report, or
 * one whose counts or rows are damaged, is an error naming the file and what is wrong (the CLI exits 2), never a
 * comparison against half a report. A user is the same user in both runs when the key is the same: the immutableId,
 * else the Entra object id, else the UPN (case-insensitive). A report lists InSync users only with includeInSync; a
 * user missing from a report's rows is in sync there or not in that run's scope, and the comparison says so.
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import {
  ByteScanner,
  bufferChunks,
  fileChunks,
  forEachElement,
  forEachMember,
  nextByte,
  nextValue,
} from "../json/byteScanner";
import { CATEGORIES, type Category, type GapResult, isCategory } from "../types";
import { count, num } from "../wording";
import { GAP_REPORT_SCHEMA_ID, GAP_REPORT_VERSION } from "./json";

/** An earlier run's report, checked: what a comparison needs of it. */
export interface PreviousRun {
  file: string;
  generatedAt: string;
  includeInSync: boolean;
  counts: Record<Category, number>;
  rows: { key: string; userPrincipalName: string; category: Category }[];
}

/** The earlier report could not be used: `message` names the file, what is wrong and what to do. */
export class PreviousReportError extends Error {
  override name = "PreviousReportError";
}

function userKey(r: { immutableId?: string | null; entraId?: string | null; userPrincipalName: string }): string {
  if (r.immutableId) return `immutableId:${r.immutableId}`;
  if (r.entraId) return `entraId:${r.entraId}`;
  return `upn:${r.userPrincipalName.toLowerCase()}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || v === null || typeof v === "string";

/**
 * Checks an earlier gap-report.json (see the file comment); `file` is named in every error. The rows are read one at
 * a time from the bytes (../json/byteScanner.ts), keeping only what a comparison needs: a report of a million rows is
 * never one string.
 */
export function parsePreviousReport(text: string | Buffer, file: string): PreviousRun {
  const buf = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return scanPreviousReport(new ByteScanner(bufferChunks(buf)), file);
}

function scanPreviousReport(r: ByteScanner, file: string): PreviousRun {
  const fail = (what: string) =>
    new PreviousReportError(
      `${file}: ${what} — pass the gap-report.json that an earlier syncgap gap run wrote (unchanged), or leave the comparison out`,
    );
  const doc: Record<string, unknown> = {};
  const rows: PreviousRun["rows"] = [];
  const listed = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let sawRows = false;
  const parse = (bytes: Buffer): unknown => JSON.parse(bytes.toString("utf8"));
  try {
    forEachMember(r, (key) => {
      if (key !== "rows") {
        doc[key] = parse(nextValue(r));
        return;
      }
      if (nextByte(r) !== 0x5b) {
        nextValue(r); // a damaged document is "not JSON" before it is a report without rows
        throw fail("rows is not an array");
      }
      sawRows = true;
      forEachElement(r, (bytes, i) => {
        const row = parse(bytes);
        if (!isObject(row) || typeof row.userPrincipalName !== "string")
          throw fail(`rows[${i}] has no userPrincipalName`);
        if (typeof row.category !== "string" || !isCategory(row.category)) {
          throw fail(`rows[${i}] has an unknown category ${JSON.stringify(row.category)}`);
        }
        if (!optionalString(row.immutableId) || !optionalString(row.entraId))
          throw fail(`rows[${i}] has a malformed id`);
        listed[row.category]++;
        rows.push({
          key: userKey(row as { userPrincipalName: string }),
          userPrincipalName: row.userPrincipalName,
          category: row.category,
        });
      });
    });
  } catch (e) {
    if (e instanceof PreviousReportError) throw e;
    throw fail(`not JSON (${(e as Error).message})`);
  }
  if (doc.$schema !== GAP_REPORT_SCHEMA_ID) {
    throw fail(`not a syncgap gap report ($schema is not ${GAP_REPORT_SCHEMA_ID})`);
  }
  if (doc.schemaVersion !== GAP_REPORT_VERSION) {
    throw fail(`report schemaVersion ${JSON.stringify(doc.schemaVersion)}; this syncgap reads ${GAP_REPORT_VERSION}`);
  }
  if (typeof doc.generatedAt !== "string") throw fail("generatedAt is missing");
  const summary = doc.summary;
  if (!isObject(summary) || !isObject(summary.counts)) throw fail("summary.counts is missing");
  const counts = {} as Record<Category, number>;
  for (const c of CATEGORIES) {
    const n = summary.counts[c];
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw fail(`summary.counts.${c} is not a count`);
    counts[c] = n as number;
  }
  if (!sawRows) throw fail("rows is missing");
  // Every out-of-sync user is listed in a report: rows that do not add up to the counts are a cut or edited file.
  for (const c of CATEGORIES) {
    if (c !== "InSync" && listed[c] !== counts[c]) {
      throw fail(
        `rows list ${num(listed[c])} ${c} users but summary.counts says ${num(counts[c])} (a cut or edited file?)`,
      );
    }
  }
  return { file, generatedAt: doc.generatedAt, includeInSync: summary.includeInSync === true, counts, rows };
}

/** Reads and checks an earlier run's gap-report.json (see the file comment), streaming it from the file. */
export function loadPreviousReport(file: string): PreviousRun {
  let fd: number;
  let r: ByteScanner;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw unreadable(file, e);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
    r = new ByteScanner(fileChunks(fd));
    r.peek(); // the first read: a file that cannot be read fails here, as unreadable
  } catch (e) {
    closeSync(fd);
    throw unreadable(file, e);
  }
  try {
    return scanPreviousReport(r, file);
  } finally {
    closeSync(fd);
  }
}

function unreadable(file: string, e: unknown): PreviousReportError {
  return new PreviousReportError(
    `${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}) — check the path of the earlier gap-report.json`,
  );
}

/** A user whose standing changed: its category then and now (null: not listed in that run's rows). */
export interface UserMove {
  userPrincipalName: string;
  before: Category | null;
  after: Category | null;
}

export interface RunComparison {
  previousFile: string;
  previousGeneratedAt: string;
  categories: { category: Category; before: number; after: number; delta: number }[];
  outOfSync: { before: number; after: number; delta: number };
  /** Out of sync now, not before. */
  newlyOutOfSync: UserMove[];
  /** Out of sync before, not now. */
  fixed: UserMove[];
  /** Out of sync in both runs, in another category now. */
  changed: UserMove[];
}

const outOfSyncCount = (counts: Record<Category, number>) =>
  CATEGORIES.filter((c) => c !== "InSync").reduce((n, c) => n + counts[c], 0);

/** The comparison of `current` with an earlier run (a pure function of both). */
export function compareRuns(previous: PreviousRun, current: GapResult): RunComparison {
  const before = new Map(previous.rows.map((r) => [r.key, r]));
  const now = new Map(current.rows.map((r) => [userKey(r), r]));
  const newlyOutOfSync: UserMove[] = [];
  const changed: UserMove[] = [];
  const fixed: UserMove[] = [];
  for (const [key, r] of now) {
    if (r.category === "InSync") continue;
    const was = before.get(key);
    if (!was || was.category === "InSync") {
      newlyOutOfSync.push({ userPrincipalName: r.userPrincipalName, before: was?.category ?? null, after: r.category });
    } else if (was.category !== r.category) {
      changed.push({ userPrincipalName: r.userPrincipalName, before: was.category, after: r.category });
    }
  }
  for (const [key, was] of before) {
    if (was.category === "InSync") continue;
    const r = now.get(key);
    if (!r || r.category === "InSync") {
      fixed.push({
        userPrincipalName: r?.userPrincipalName ?? was.userPrincipalName,
        before: was.category,
        after: r?.category ?? null,
      });
    }
  }
  const o = { before: outOfSyncCount(previous.counts), after: outOfSyncCount(current.counts) };
  return {
    previousFile: previous.file,
    previousGeneratedAt: previous.generatedAt,
    categories: CATEGORIES.map((c) => ({
      category: c,
      before: previous.counts[c],
      after: current.counts[c],
      delta: current.counts[c] - previous.counts[c],
    })),
    outOfSync: { ...o, delta: o.after - o.before },
    newlyOutOfSync,
    fixed,
    changed,
  };
}

/** `+3`, `−2`, `0`: a change in a count, signed. */
export function signed(n: number): string {
  return n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : "0";
}

/** One line for the console summary. */
export function comparisonLine(c: RunComparison): string {
  const o = c.outOfSync;
  const trend = o.delta < 0 ? "better" : o.delta > 0 ? "worse" : "no change in the count";
  return (
    `Since ${c.previousGeneratedAt}: ${num(o.before)} → ${num(o.after)} out of sync (${signed(o.delta)}, ${trend}); ` +
    `${count(c.newlyOutOfSync.length, "user")} newly out of sync, ${num(c.fixed.length)} no longer, ` +
    `${num(c.changed.length)} in another category.`
  );
}
