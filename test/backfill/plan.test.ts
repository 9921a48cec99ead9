/**
 * The plan and its files, from crafted gap results: which users it holds and what it decides, the JSON against its
 * schema (ajv), the CSV an admin edits in Excel and hands back — and everything a plan or CSV edited other than in
 * its decisions is refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { type AdSeen, planFromGapResult } from "../../backfill/plan";
import { planCsv, readDecisionsCsv, readPlanJson, writePlanFiles } from "../../backfill/planFiles";
import { CATEGORIES, type Category, type GapResult, type GapRow, SYNC_GAP_PHRASES } from "../../gap/types";

const schema = JSON.parse(readFileSync(join(__dirname, "../../schemas/backfill-plan.schema.json"), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

let n = 0;
function row(category: Category, adMobile: string | null, entraMobile: string | null, upn?: string): GapRow {
  n++;
  return {
    userPrincipalName: upn ?? `user${n}@corp.example.test`,
    category,
    syncGap: SYNC_GAP_PHRASES[category],
    matchedBy: category === "NotInAD" || category === "NotInEntra" ? null : "immutableId",
    adMobile,
    adOtherMobile: [],
    entraMobile,
    adMobileE164: null,
    entraMobileE164: null,
    immutableId: null,
    entraId: category === "NotInEntra" ? null : `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    adDistinguishedName: category === "NotInAD" ? null : `CN=User ${n},OU=Staff,DC=corp,DC=example,DC=test`,
    adSamAccountName: `user${n}`,
    displayName: `User ${n}`,
    department: null,
    ou: category === "NotInAD" ? null : "OU=Staff,DC=corp,DC=example,DC=test",
    accountEnabled: true,
  };
}

function result(rows: GapRow[]): { result: GapResult; seen: Map<string, AdSeen> } {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, rows.filter((r) => r.category === c).length]));
  const seen = new Map<string, AdSeen>();
  rows.forEach((r, i) => {
    if (r.adDistinguishedName)
      seen.set(r.adDistinguishedName, {
        objectGuid: `11111111-2222-4333-8444-${String(i).padStart(12, "0")}`,
        readAt: "2026-01-02T03:04:05.000Z",
      });
  });
  const matched = rows.filter((r) => r.matchedBy).length;
  return {
    seen,
    result: {
      tool: { name: "syncgap", version: "test" },
      generatedAt: "2026-01-02T03:04:06.000Z",
      defaultRegion: "US",
      includeInSync: false,
      inputs: {
        ad: { kind: "ldap", description: "AD test", users: rows.length, mode: "live" },
        entra: { kind: "json", description: "Entra test", users: rows.length, mode: "export" },
      },
      counts: counts as Record<Category, number>,
      totals: {
        adUsers: rows.length,
        entraUsers: rows.length,
        matched,
        outOfSync: rows.length,
        rows: rows.length,
        matchedBy: { immutableId: matched, objectSid: 0, samAccountName: 0, userPrincipalName: 0 },
      },
      timings: { adReadMs: 0, entraReadMs: 0, joinMs: 0, totalMs: 0 },
      otherMobileNote: "",
      notes: [],
      rows,
    },
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), "syncgap-backfill-"));

describe("plan from a gap result", () => {
  const rows = [
    row("CloudOnly", null, "+14255550100", "cloud.only@corp.example.test"),
    row("ValueMismatch", "+14255550101", "+14255550199", "mismatch@corp.example.test"),
    row("FormatOnly", "+1 425 555 0102", "(425) 555-0102", "format@corp.example.test"),
    row("FormatOnly", "+1 425 555 0103 x12", "(425) 555-0103 x12", "format.ext@corp.example.test"),
    row("MissingInEntra", "+14255550104", null),
    row("CloudManaged", "+14255550105", "+14255550106"),
    row("NotInAD", null, "+14255550107"),
    row("NotInEntra", "+14255550108", null),
    row("CloudOnly", null, "+1 425\u0007555", "bell@corp.example.test"),
  ];
  const { result: gap, seen } = result(rows);

  it("holds the users whose cloud number the switch would clear, overwrite or respell, and decides by default", () => {
    const plan = planFromGapResult(gap, seen);
    expect(plan.rows.map((r) => [r.userPrincipalName, r.category, r.decision])).toEqual([
      ["cloud.only@corp.example.test", "CloudOnly", "cloud"],
      ["mismatch@corp.example.test", "ValueMismatch", "review"],
      ["format@corp.example.test", "FormatOnly", "ad"],
      ["format.ext@corp.example.test", "FormatOnly", "ad"],
      ["bell@corp.example.test", "CloudOnly", "review"],
    ]);
    const cloud = plan.rows[0]!;
    expect(cloud).toMatchObject({
      distinguishedName: rows[0]!.adDistinguishedName,
      objectGuid: "11111111-2222-4333-8444-000000000000",
      adMobile: null,
      entraMobile: "+14255550100",
      readAt: "2026-01-02T03:04:05.000Z",
    });
    expect(plan.rows[4]!.problem).toMatch(/U\+0007/);
    expect(plan.counts).toEqual({ rows: 5, write: 1, review: 2, keepAd: 2, problems: 1 });
    expect(validate(JSON.parse(JSON.stringify({ $schema: schema.$id, ...plan })))).toBe(true);
  });

  it("prefer cloud/ad decides every ValueMismatch; normalise writes the E.164 form only when nothing is dropped", () => {
    const cloud = planFromGapResult(gap, seen, { prefer: "cloud", normalise: true });
    const byUpn = new Map(cloud.rows.map((r) => [r.userPrincipalName, r]));
    expect(byUpn.get("mismatch@corp.example.test")!.decision).toBe("cloud");
    expect(byUpn.get("format@corp.example.test")).toMatchObject({ decision: "normalise", e164: "+14255550102" });
    // E.164 has no extension: normalising would drop "x12"
    expect(byUpn.get("format.ext@corp.example.test")).toMatchObject({ decision: "ad", e164: null });
    expect(byUpn.get("bell@corp.example.test")!.decision).toBe("review");
    const ad = planFromGapResult(gap, seen, { prefer: "ad" });
    expect(ad.rows.find((r) => r.category === "ValueMismatch")!.decision).toBe("ad");
  });

  it("refuses a row whose AD user was not in the read it came from", () => {
    expect(() => planFromGapResult(gap, new Map())).toThrow(/was not in the AD read/);
  });
});

describe("plan files", () => {
  const hostile = row("CloudOnly", null, "+1 425 555 0110", '=HYPERLINK("http://evil","x"),"\n');
  const { result: gap, seen } = result([
    row("CloudOnly", null, "+14255550100", "cloud.only@corp.example.test"),
    row("ValueMismatch", "+447700900123", "+447700900999", "uk@corp.example.test"),
    hostile,
  ]);
  const plan = planFromGapResult(gap, seen);

  it("writes JSON that the schema accepts and reads back what it wrote", async () => {
    const dir = tmp();
    const files = await writePlanFiles(dir, plan);
    const data = JSON.parse(readFileSync(files.json, "utf8"));
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(readPlanJson(files.json).plan.rows).toEqual(plan.rows);
  });

  it("refuses a JSON plan whose rows were edited other than in their decision", async () => {
    const dir = tmp();
    const files = await writePlanFiles(dir, plan);
    const data = JSON.parse(readFileSync(files.json, "utf8"));
    data.rows[1].decision = "cloud";
    writeFileSync(files.json, JSON.stringify(data));
    expect(readPlanJson(files.json).plan.rows[1]!.decision).toBe("cloud");
    data.rows[1].entraMobile = "+15555555555";
    writeFileSync(files.json, JSON.stringify(data));
    expect(() => readPlanJson(files.json)).toThrow(/changed other than in its decision/);
    data.rows[1].entraMobile = "+447700900999";
    data.rows[1].decision = "normalize";
    writeFileSync(files.json, JSON.stringify(data));
    expect(() => readPlanJson(files.json)).toThrow(/not a back-fill plan/);
  });

  it("writes a CSV for Excel: BOM, CRLF, quoted cells, no formula", () => {
    const text = planCsv(plan);
    expect(text.startsWith("\uFEFFDecision,Choices,UserPrincipalName,")).toBe(true);
    expect(text.split("\r\n")).toHaveLength(plan.rows.length + 2);
    const records = parse(text.slice(1), { relax_column_count: false }) as string[][];
    const upns = records.map((r) => r[2]);
    expect(upns).toContain(`'=HYPERLINK("http://evil","x"),"\n`);
    expect(upns.some((u) => u?.startsWith("="))).toBe(false);
    expect(records[1]![5]).toBe("+14255550100"); // phone numbers stay as they are
  });

  function edit(text: string, f: (records: string[][]) => void, delimiter = ","): string {
    const records = parse(text.slice(1)) as string[][];
    f(records);
    const quote = (v: string) => (/[",;\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return `\uFEFF${records.map((r) => r.map(quote).join(delimiter)).join("\r\n")}\r\n`;
  }

  it("takes the decisions from the CSV handed back, also saved by Excel with ; and number-converted phone cells", async () => {
    const dir = tmp();
    const files = await writePlanFiles(dir, plan);
    const csv = readFileSync(files.csv, "utf8");
    const back = join(dir, "back.csv");
    writeFileSync(
      back,
      edit(
        csv,
        (r) => {
          r[2]![0] = "Cloud"; // uk@…: review → cloud
          r[2]![4] = "4.477E+11"; // ADMobile +447700900123 as Excel's General format saves it
          r[1]![5] = "14255550100"; // EntraIDMobile +14255550100 opened as a number
          r.push(["", "", "", "", "", "", "", "", "", "", "", ""]); // Excel's trailing empty row
        },
        ";",
      ),
    );
    const d = readDecisionsCsv(back, plan);
    expect(d.plan.rows.map((x) => x.decision)).toEqual(["cloud", "cloud", "cloud"]);
    expect(d.changed).toBe(1);
    expect(d.notes).toHaveLength(2);
    expect(d.plan.counts.write).toBe(3);
  });

  it.each([
    [
      "a changed number",
      (r: string[][]) => {
        r[1]![5] = "+14255550111";
      },
      /EntraIDMobile was changed/,
    ],
    [
      "a changed DN",
      (r: string[][]) => {
        r[1]![8] = "CN=Someone Else,DC=corp";
      },
      /DistinguishedName was changed/,
    ],
    ["a deleted row", (r: string[][]) => void r.splice(2, 1), /not in the CSV/],
    ["a repeated row", (r: string[][]) => void r.push([...r[1]!]), /in the CSV twice/],
    [
      "an added row",
      (r: string[][]) =>
        void r.push([
          "cloud",
          "",
          "x",
          "CloudOnly",
          "",
          "+1",
          "",
          "",
          "CN=x",
          "99999999-2222-4333-8444-000000000000",
          "",
          "",
        ]),
      /not in the plan/,
    ],
    [
      "an impossible decision",
      (r: string[][]) => {
        r[1]![0] = "normalise-ish";
      },
      /is not one of/,
    ],
    [
      "a dropped column",
      (r: string[][]) => {
        for (const x of r) x.pop();
      },
      /RowDigest is missing/,
    ],
  ])("refuses a CSV with %s", async (_what, f, message) => {
    const dir = tmp();
    const files = await writePlanFiles(dir, plan);
    const back = join(dir, "back.csv");
    writeFileSync(back, edit(readFileSync(files.csv, "utf8"), f));
    expect(() => readDecisionsCsv(back, plan)).toThrow(message);
  });

  it("refuses a CSV that is not UTF-8 (Excel's “CSV (Comma delimited)”)", async () => {
    const dir = tmp();
    const back = join(dir, "ansi.csv");
    writeFileSync(back, Buffer.from([0x44, 0x65, 0x63, 0xe9, 0x0d, 0x0a]));
    expect(() => readDecisionsCsv(back, plan)).toThrow(/CSV UTF-8/);
  });
});
