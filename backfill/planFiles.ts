import { isUtf8 } from "node:buffer";
/**
 * The plan on disk: `backfill-plan.json` (the plan itself, validated by schemas/backfill-plan.schema.json) and
 * `backfill-plan.csv` (the same rows for review in Excel, whose `Decision` column an admin edits and hands back).
 *
 * **Both files are needed to take decisions from the CSV**, and the values always come from the JSON. A CSV that went
 * through Excel cannot be trusted to carry values: Excel opens `+14255550100` as the number 14255550100, a 12-digit
 * number as `4.4777E+11`, drops leading zeros, and "CSV (Comma delimited)" saves in the ANSI code page. So the CSV
 * contributes only each row's decision, and every other cell is checked against the JSON row it names (ObjectGUID and
 * RowDigest): a row added, removed, repeated or changed in any other column is refused, naming the row and the column.
 * The one change tolerated is Excel's own number conversion of a phone cell to the same digits (or the same
 * scientific-notation rounding): those cells are information only, never written anywhere.
 *
 * The row digest (sha256 of the row without its decision) also guards the JSON: a row edited other than in its
 * decision is refused. It is a check against mistakes, not a signature; whoever may write the plan may write AD.
 *
 * CSV: UTF-8 with BOM, CRLF, RFC 4180 quoting, formula-injection-safe cells (gap/reports/csvSafe.ts), as the gap
 * report. Read back: UTF-8 with or without BOM, `,` `;` or tab (Excel writes `;` in many locales), CRLF or LF.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse as parseCsv } from "csv-parse/sync";
import { writeFileDurably } from "../gap/privateFiles";
import { toCsv } from "../gap/reports/csv";
import { isPlausiblePhoneList, neutralizeCell } from "../gap/reports/csvSafe";
import schema from "../schemas/backfill-plan.schema.json";
import { BackfillError } from "./errors";
import { rowDigest } from "./plan";
import { type BackfillPlan, DECISIONS, type Decision, PLAN_CSV, PLAN_JSON, type PlanRow } from "./types";
import { mobileProblem } from "./values";

export const PLAN_SCHEMA_ID = "https://syncgap.dev/schemas/backfill-plan.schema.json";

export const PLAN_CSV_COLUMNS = [
  "Decision",
  "Choices",
  "UserPrincipalName",
  "Category",
  "ADMobile",
  "EntraIDMobile",
  "E164",
  "Problem",
  "DistinguishedName",
  "ObjectGUID",
  "ReadAt",
  "RowDigest",
] as const;
type Column = (typeof PLAN_CSV_COLUMNS)[number];
const PHONE_COLUMNS: ReadonlySet<Column> = new Set(["ADMobile", "EntraIDMobile", "E164"]);

/** The decisions a row may take (normalise needs a lossless E.164 form; a row with a problem writes nothing). */
export function allowedDecisions(row: Pick<PlanRow, "e164" | "problem">): Decision[] {
  if (row.problem) return ["ad", "review"];
  return DECISIONS.filter((d) => d !== "normalise" || row.e164 !== null);
}

function csvCells(row: PlanRow): Record<Column, string> {
  return {
    Decision: row.decision,
    Choices: allowedDecisions(row).join(" | "),
    UserPrincipalName: row.userPrincipalName,
    Category: row.category,
    ADMobile: row.adMobile ?? "",
    EntraIDMobile: row.entraMobile,
    E164: row.e164 ?? "",
    Problem: row.problem ?? "",
    DistinguishedName: row.distinguishedName,
    ObjectGUID: row.objectGuid,
    ReadAt: row.readAt,
    RowDigest: row.rowDigest,
  };
}

export function planCsv(plan: BackfillPlan): string {
  const records = plan.rows.map((r) => {
    const c = csvCells(r);
    return PLAN_CSV_COLUMNS.map((k) => neutralizeCell(c[k]));
  });
  return toCsv([[...PLAN_CSV_COLUMNS], ...records]);
}

export function planJson(plan: BackfillPlan): string {
  return `${JSON.stringify({ $schema: PLAN_SCHEMA_ID, ...plan, rows: plan.rows }, null, 2)}\n`;
}

/** Writes backfill-plan.json and backfill-plan.csv into `dir` (owner-only, durably, renamed into place). */
export async function writePlanFiles(dir: string, plan: BackfillPlan): Promise<{ json: string; csv: string }> {
  const json = join(dir, PLAN_JSON);
  const csv = join(dir, PLAN_CSV);
  await writeFileDurably(json, planJson(plan));
  await writeFileDurably(csv, planCsv(plan));
  return { json, csv };
}

let validator: ReturnType<Ajv2020["compile"]> | undefined;
function validate(data: unknown): string | undefined {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  if (validator(data)) return undefined;
  return (validator.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`)
    .join("; ");
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Recomputes the counts from the rows' decisions (they change when someone decides). */
export function recount(plan: BackfillPlan): BackfillPlan {
  const counts = { rows: plan.rows.length, write: 0, review: 0, keepAd: 0, problems: 0 };
  for (const r of plan.rows) {
    if (r.decision === "cloud" || r.decision === "normalise") counts.write++;
    else if (r.decision === "review") counts.review++;
    else counts.keepAd++;
    if (r.problem) counts.problems++;
  }
  return { ...plan, counts };
}

/**
 * Checks a parsed plan beyond the schema: row digests, one row per user, decisions the row allows, values AD takes.
 * `where` names the file in errors.
 */
export function checkPlan(data: unknown, where: string): BackfillPlan {
  const invalid = validate(data);
  if (invalid) {
    throw new BackfillError(
      "BACKFILL_BAD_PLAN",
      `${where} is not a back-fill plan: ${invalid}`,
      "use the backfill-plan.json that `syncgap backfill plan` wrote; edit only the rows' decision",
    );
  }
  const plan = data as BackfillPlan & { $schema?: string };
  const guids = new Set<string>();
  const dns = new Set<string>();
  plan.rows.forEach((row, i) => {
    const at = `${where} row ${i + 1} (${row.userPrincipalName})`;
    const { rowDigest: digest, decision, ...rest } = row;
    if (rowDigest(rest) !== digest) {
      throw new BackfillError(
        "BACKFILL_BAD_PLAN",
        `${at} was changed other than in its decision (its rowDigest does not match its values)`,
        "make a new plan (`syncgap backfill plan`) instead of editing values: apply writes only what was read",
      );
    }
    const key = row.objectGuid;
    if (guids.has(key) || dns.has(row.distinguishedName.toLowerCase())) {
      throw new BackfillError("BACKFILL_BAD_PLAN", `${at}: the user is in the plan twice`, "make a new plan");
    }
    guids.add(key);
    dns.add(row.distinguishedName.toLowerCase());
    if (!allowedDecisions(row).includes(decision)) {
      throw new BackfillError(
        "BACKFILL_BAD_PLAN",
        `${at}: decision "${decision}" is not possible for this row${row.problem ? ` (${row.problem})` : decision === "normalise" ? " (no lossless E.164 form)" : ""}`,
        `choose one of ${allowedDecisions(row).join(", ")}`,
      );
    }
    for (const v of [
      row.adMobile,
      decision === "normalise" ? row.e164 : decision === "cloud" ? row.entraMobile : null,
    ]) {
      const p = v === null ? undefined : mobileProblem(v);
      if (p && (decision === "cloud" || decision === "normalise")) {
        throw new BackfillError("BACKFILL_BAD_PLAN", `${at}: ${p}`, "decide ad or review for this row");
      }
    }
  });
  const { $schema: _, ...rest } = plan;
  return recount(rest);
}

/** Reads and checks backfill-plan.json. */
export function readPlanJson(path: string): { plan: BackfillPlan; sha256: string } {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    throw new BackfillError("BACKFILL_FILE", `cannot read the plan ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new BackfillError("BACKFILL_BAD_PLAN", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return { plan: checkPlan(data, path), sha256: sha256(text) };
}

/** `+14255550100` as Excel saves it after opening the CSV: `14255550100`, or `1.42556E+10`. */
function excelNumberForm(expected: string, actual: string): boolean {
  if (!expected || !isPlausiblePhoneList(expected) || /[x;]/i.test(expected)) return false;
  const digits = expected.replace(/\D/g, "").replace(/^0+/, "");
  if (!digits) return false;
  if (/^\d+$/.test(actual)) return actual.replace(/^0+/, "") === digits;
  const sci = /^(\d)(?:[.,](\d+))?E\+?(\d+)$/i.exec(actual);
  if (!sci) return false;
  const sig = 1 + (sci[2]?.length ?? 0);
  return Number(`${sci[1]}.${sci[2] ?? ""}e${sci[3]}`).toPrecision(sig) === Number(digits).toPrecision(sig);
}

function detectDelimiter(headerLine: string): string {
  const counts = [",", ";", "\t"].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ",";
}

export interface CsvDecisions {
  plan: BackfillPlan;
  /** Cells Excel turned into numbers (tolerated: information only). */
  notes: string[];
  /** Rows whose decision differs from the JSON plan's. */
  changed: number;
}

/**
 * Takes the decisions of `csvPath` into `plan` (read from the JSON next to it). Refuses a CSV whose rows differ from
 * the plan's in anything but Decision (see the file comment).
 */
export function readDecisionsCsv(csvPath: string, plan: BackfillPlan): CsvDecisions {
  let bytes: Buffer;
  try {
    bytes = readFileSync(csvPath);
  } catch (e) {
    throw new BackfillError("BACKFILL_FILE", `cannot read ${csvPath}: ${(e as Error).message}`);
  }
  const bad = (problem: string, remedy?: string) =>
    new BackfillError("BACKFILL_BAD_CSV", `${csvPath}: ${problem}`, remedy);
  if (!isUtf8(bytes)) {
    throw bad(
      "not UTF-8 text (saved as “CSV (Comma delimited)”, which uses the ANSI code page and loses non-ASCII names?)",
      "in Excel save as “CSV UTF-8 (Comma delimited)”",
    );
  }
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const delimiter = detectDelimiter(text.slice(0, text.search(/\r?\n/) >>> 0));
  let records: string[][];
  try {
    records = parseCsv(text, { delimiter, relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw bad(`not a well-formed CSV: ${(e as Error).message}`);
  }
  const header = records[0];
  if (!header) throw bad("empty");
  const index = new Map<Column, number>();
  for (const col of PLAN_CSV_COLUMNS) {
    const i = header.findIndex((h) => h.trim() === col);
    if (i < 0) throw bad(`the column ${col} is missing`, "hand back the CSV with all its columns; edit only Decision");
    index.set(col, i);
  }
  if (header.length !== PLAN_CSV_COLUMNS.length) {
    throw bad(
      `it has ${header.length} columns, the plan ${PLAN_CSV_COLUMNS.length}`,
      "add no columns; edit only Decision",
    );
  }
  const byGuid = new Map(plan.rows.map((r, i) => [r.objectGuid, i]));
  const decided = new Map<number, Decision>();
  const notes: string[] = [];
  for (let n = 1; n < records.length; n++) {
    const rec = records[n]!;
    if (rec.every((c) => c.trim() === "")) continue; // Excel keeps rows of empty cells after the data
    const cell = (c: Column) => rec[index.get(c)!] ?? "";
    const line = `row ${n + 1}`;
    const guid = cell("ObjectGUID").trim();
    const i = byGuid.get(guid);
    if (i === undefined) throw bad(`${line}: ObjectGUID ${JSON.stringify(guid)} is not in the plan`, "add no rows");
    if (decided.has(i)) throw bad(`${line}: the user ${guid} is in the CSV twice`);
    const row = plan.rows[i]!;
    const expected = csvCells(row);
    for (const col of PLAN_CSV_COLUMNS) {
      if (col === "Decision") continue;
      const want = neutralizeCell(expected[col]);
      const got = cell(col);
      if (got === want) continue;
      if (PHONE_COLUMNS.has(col) && excelNumberForm(expected[col], got)) {
        notes.push(
          `${line} ${col}: Excel turned ${expected[col]} into ${got} (not used: values come from the JSON plan)`,
        );
        continue;
      }
      throw bad(
        `${line} (${row.userPrincipalName}): ${col} was changed from ${JSON.stringify(want)} to ${JSON.stringify(got)}; only Decision may be edited`,
        "values come from the JSON plan; to plan other values, change them in AD or Entra ID and make a new plan",
      );
    }
    const raw = cell("Decision").trim().toLowerCase();
    const decision = (raw === "normalize" ? "normalise" : raw) as Decision;
    if (!(DECISIONS as readonly string[]).includes(decision) || !allowedDecisions(row).includes(decision)) {
      throw bad(
        `${line} (${row.userPrincipalName}): Decision ${JSON.stringify(cell("Decision"))} is not one of ${allowedDecisions(row).join(", ")}`,
      );
    }
    decided.set(i, decision);
  }
  const missing = plan.rows.filter((_, i) => !decided.has(i));
  if (missing.length) {
    throw bad(
      `${missing.length} user(s) of the plan are not in the CSV (first: ${missing[0]!.userPrincipalName}, ${missing[0]!.objectGuid})`,
      "delete no rows: decide review or ad instead",
    );
  }
  let changed = 0;
  const rows = plan.rows.map((r, i) => {
    const decision = decided.get(i)!;
    if (decision !== r.decision) changed++;
    return { ...r, decision };
  });
  return { plan: recount({ ...plan, rows }), notes, changed };
}
