import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareRuns,
  comparisonLine,
  loadPreviousReport,
  PreviousReportError,
  parsePreviousReport,
} from "../../../gap/reports/comparison";
import { gapJson } from "../../../gap/reports/json";
import { comparisonMarkdown } from "../../../gap/reports/markdown";
import { CATEGORIES, type Category, type GapResult, type GapRow } from "../../../gap/types";

function row(upn: string, category: Category, immutableId: string | null = upn): GapRow {
  return {
    userPrincipalName: upn,
    category,
    syncGap: category,
    matchedBy: "immutableId",
    adMobile: null,
    adOtherMobile: [],
    entraMobile: null,
    adMobileE164: null,
    entraMobileE164: null,
    immutableId,
    entraId: null,
    adDistinguishedName: null,
    adSamAccountName: null,
    displayName: null,
    department: null,
    ou: null,
    accountEnabled: true,
  };
}

function result(rows: GapRow[], generatedAt = "2026-12-01T00:00:00.000Z"): GapResult {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const r of rows) counts[r.category]++;
  const none = { kind: "memory", description: "test", users: rows.length, mode: "memory" as const };
  return {
    tool: { name: "syncgap", version: "0.0.0" },
    generatedAt,
    defaultRegion: "US",
    includeInSync: false,
    inputs: { ad: none, entra: none },
    counts,
    totals: {
      adUsers: 0,
      entraUsers: 0,
      matched: 0,
      outOfSync: rows.length,
      rows: rows.length,
      matchedBy: { immutableId: 0, objectSid: 0, samAccountName: 0, userPrincipalName: 0 },
    },
    timings: { adReadMs: 0, entraReadMs: 0, joinMs: 0, totalMs: 0 },
    otherMobileNote: "",
    notes: [],
    rows,
  };
}

describe("compareRuns", () => {
  const before = result([
    row("a", "ValueMismatch"),
    row("b", "MissingInEntra"),
    row("c", "CloudOnly"),
    row("D", "FormatOnly", null),
  ]);
  const now = result([
    row("a", "ValueMismatch"),
    row("b", "CloudOnly"),
    row("e", "MissingInEntra"),
    row("d", "FormatOnly", null),
  ]);

  it("counts the change per category and names the users that moved", () => {
    const c = compareRuns(parsePreviousReport(gapJson(before), "prev.json"), now);
    expect(c.categories.find((l) => l.category === "MissingInEntra")).toEqual({
      category: "MissingInEntra",
      before: 1,
      after: 1,
      delta: 0,
    });
    expect(c.categories.find((l) => l.category === "CloudOnly")).toEqual({
      category: "CloudOnly",
      before: 1,
      after: 1,
      delta: 0,
    });
    expect(c.outOfSync).toEqual({ before: 4, after: 4, delta: 0 });
    expect(c.newlyOutOfSync).toEqual([{ userPrincipalName: "e", before: null, after: "MissingInEntra" }]);
    expect(c.fixed).toEqual([{ userPrincipalName: "c", before: "CloudOnly", after: null }]);
    expect(c.changed).toEqual([{ userPrincipalName: "b", before: "MissingInEntra", after: "CloudOnly" }]);
    // same user by UPN, whatever its case, when there is no id
    expect(c.newlyOutOfSync.map((m) => m.userPrincipalName)).not.toContain("d");
    expect(comparisonLine(c)).toBe(
      "Since 2026-12-01T00:00:00.000Z: 4 → 4 out of sync (0, no change in the count); 1 user newly out of sync, 1 no longer, 1 in another category.",
    );
  });

  it("says better or worse, and renders in Markdown with the lists", () => {
    const c = compareRuns(parsePreviousReport(gapJson(now), "prev.json"), result([row("a", "ValueMismatch")]));
    expect(c.outOfSync.delta).toBe(-3);
    expect(comparisonLine(c)).toContain("(−3, better)");
    const md = comparisonMarkdown(c).join("\n");
    expect(md).toContain("## Since the previous run");
    expect(md).toContain("| CloudOnly | 1 | 0 | −1 |");
    expect(md).toContain("No longer out of sync: 3");
    expect(md).toContain("| e | MissingInEntra | not listed |");
  });
});

describe("loadPreviousReport", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncgap-prev-"));
  const good = JSON.parse(gapJson(result([row("a", "ValueMismatch")])));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("reads a report syncgap wrote", () => {
    const p = loadPreviousReport(file("good.json", JSON.stringify(good)));
    expect(p.rows).toEqual([{ key: "immutableId:a", userPrincipalName: "a", category: "ValueMismatch" }]);
    expect(p.counts.ValueMismatch).toBe(1);
  });

  it.each([
    ["missing.json", null, /missing\.json: cannot be read \(ENOENT\)/],
    ["text.json", "not json", /text\.json: not JSON/],
    ["other.json", JSON.stringify({ ...good, $schema: "x" }), /not a syncgap gap report/],
    ["version.json", JSON.stringify({ ...good, schemaVersion: 9 }), /schemaVersion 9; this syncgap reads 1/],
    [
      "counts.json",
      JSON.stringify({ ...good, summary: { ...good.summary, counts: { ...good.summary.counts, CloudOnly: -1 } } }),
      /summary\.counts\.CloudOnly is not a count/,
    ],
    [
      "category.json",
      JSON.stringify({ ...good, rows: [{ ...good.rows[0], category: "Nope" }] }),
      /rows\[0\] has an unknown category "Nope"/,
    ],
    ["cut.json", JSON.stringify({ ...good, rows: [] }), /rows list 0 ValueMismatch users but summary\.counts says 1/],
  ])("%s: a clear error naming the file", (name, text, message) => {
    const p = text === null ? join(dir, name) : file(name, text);
    expect(() => loadPreviousReport(p)).toThrow(PreviousReportError);
    expect(() => loadPreviousReport(p)).toThrow(message);
    expect(() => loadPreviousReport(p)).toThrow(/pass the gap-report\.json|check the path/);
  });
});
