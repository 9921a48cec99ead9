import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import { runGapAnalysis } from "../../gap/index";
import { CSV_CHUNK_ROWS, CSV_COLUMNS, gapCsv, gapCsvChunks, toCsv } from "../../gap/reports/csv";
import { isPlausiblePhoneList, neutralizeCell } from "../../gap/reports/csvSafe";
import { gapHtmlChunks, HTML_BLOCK_ROWS } from "../../gap/reports/html";
import { REPORT_FILES, writeReports } from "../../gap/reports/index";
import { gapJson, gapJsonChunks, gapReportDocument } from "../../gap/reports/json";
import { gapJunit, xmlEscape } from "../../gap/reports/junit";
import { gapMarkdown, mdCell } from "../../gap/reports/markdown";
import type { GapResult, GapRow } from "../../gap/types";
import { judge } from "../../gap/verdict";
import { adUser, craftedDirectory, entraTwin, memorySource } from "../support/gapUsers";

async function crafted(includeInSync = false): Promise<GapResult> {
  const { ad, entra } = craftedDirectory();
  return runGapAnalysis({
    ad: { kind: "source", source: memorySource(ad) },
    entra: { kind: "users", users: entra },
    includeInSync,
  });
}

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(__dirname, "../../schemas/gap-report.schema.json"), "utf8")));
}

describe("CSV formula injection", () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ["+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1:A2)", "'@SUM(A1:A2)"],
    ["\t=1+1", "'\t=1+1"],
    ["\r=1+1", "'\r=1+1"],
    ["  =1+1", "'  =1+1"],
    ["+1 425 555 0100", "+1 425 555 0100"],
    ["+14255550100", "+14255550100"],
    ["+1 (425) 555-0100 x123", "+1 (425) 555-0100 x123"],
    ["+1 425 555 0100 ext. 7", "+1 425 555 0100 ext. 7"],
    ["+14255550203; +1 425 555 0303", "+14255550203; +1 425 555 0303"],
    ["+1 425 SUM(1)", "'+1 425 SUM(1)"],
    ["+", "'+"],
    ["(425) 555-0100", "(425) 555-0100"],
    ["alice@corp.example.test", "alice@corp.example.test"],
    ["", ""],
  ])("%j → %j", (input, output) => {
    expect(neutralizeCell(input)).toBe(output);
  });

  it("accepts only digits, spaces, +().- and an extension as a phone number", () => {
    expect(isPlausiblePhoneList("+1-425-555-0100")).toBe(true);
    expect(isPlausiblePhoneList("+1 425 555 0100|x")).toBe(false);
    expect(isPlausiblePhoneList("+1 425 555 0100,1")).toBe(false);
  });

  it("writes crafted hostile values safely and reads back as the seed's columns first", () => {
    const row: GapRow = {
      userPrincipalName: "=evil@corp.example.test",
      category: "ValueMismatch",
      syncGap: "Value Mismatch",
      matchedBy: "immutableId",
      adMobile: "+1 425 555 0100",
      adOtherMobile: ["@SUM(1)", "+14255550199"],
      entraMobile: "=1+2",
      adMobileE164: "+14255550100",
      entraMobileE164: null,
      immutableId: "-abc",
      entraId: "x",
      adDistinguishedName: null,
      adSamAccountName: null,
      displayName: null,
      department: null,
      ou: null,
      accountEnabled: true,
    };
    const text = gapCsv([row]);
    expect(text.startsWith("\ufeffUserPrincipalName,ADMobile,ADOtherMobile,EntraIDMobile,SyncGap,")).toBe(true);
    expect(text.split("\r\n")[0]).toMatch(/,DisplayName,Department,OU$/);
    expect(text).toContain("\r\n");
    const [header, rec] = parse(text, { bom: true }) as string[][];
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rec).toEqual([
      "'=evil@corp.example.test",
      "\t+1 425 555 0100", // number-like: a tab keeps it text in a spreadsheet (csvSafe.ts)
      "'@SUM(1); +14255550199",
      "'=1+2",
      "Value Mismatch",
      "ValueMismatch",
      "immutableId",
      "'-abc",
      "\t+14255550100",
      "",
      "",
      "",
      "",
    ]);
  });
});

describe("JSON report", () => {
  it("validates against schemas/gap-report.schema.json", async () => {
    const validate = schemaValidator();
    const r = await crafted(true);
    const doc = gapReportDocument(r, judge({ result: r }));
    const ok = validate(JSON.parse(JSON.stringify(doc)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(doc.summary.counts.MissingInEntra).toBe(1);
    expect(doc.summary.impact.cloudNumbersLost).toBe(2);
    expect(doc.summary.otherMobileNote).toMatch(/otherMobile/);
    expect(doc.summary.gate).toMatchObject({ passed: false, gaps: 3 });
    expect(doc.summary.verdict).toMatchObject({ status: "fail", exitCode: 1, label: "FAIL" });
    expect(doc.summary.verdict?.coverage).toMatchObject({ ok: true, matched: 6 });
  });

  it("rejects documents that break the contract", async () => {
    const validate = schemaValidator();
    const doc = JSON.parse(JSON.stringify(gapReportDocument(await crafted())));
    doc.rows[0].category = "Missing";
    expect(validate(doc)).toBe(false);
    const doc2 = JSON.parse(JSON.stringify(gapReportDocument(await crafted())));
    const missing = doc2.rows.find((r: GapRow) => r.category === "MissingInEntra");
    missing.entraMobile = "+14255550101";
    expect(validate(doc2)).toBe(false);
  });

  it("never carries a secret from the environment", async () => {
    const secret = "S3cr3t-Bind-Pw!";
    const a = adUser();
    const r = await runGapAnalysis(
      {
        ad: { kind: "source", source: memorySource([a]) },
        entra: { kind: "users", users: [entraTwin(a, { mobilePhone: null })] },
      },
      { env: { SYNCGAP_AD_PASSWORD: secret, AZURE_CLIENT_SECRET: secret } },
    );
    expect(JSON.stringify(gapReportDocument(r))).not.toContain(secret);
  });
});

describe("JUnit XML", () => {
  it("has one case per gated check, naming the first users, the CSV and the fix; no per-user cases", async () => {
    const r = await crafted(true);
    const xml = gapJunit(r, judge({ result: r }), { csvPath: "gap-report.csv" });
    // coverage + the three default fail-on categories, each with one user: the gate fails on all three
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="syncgap" tests="4" failures="3" errors="0"/,
    );
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testcase classname="syncgap.checks" name="enough users compared to judge"');
    expect(xml).toMatch(/name="MissingInEntra users within the threshold" time="[\d.]+">\n\s+<failure type="Failed"/);
    expect(xml).toContain("first users: missing@corp.example.test");
    expect(xml).toContain("every user: gap-report.csv (in the same report folder)");
    expect(xml).toMatch(/fix: A DirSync override keeps AD&apos;s number out of Entra ID/);
    expect(xml).not.toContain("syncgap.users.");
  });

  it("adds per-user cases only when asked, for gated categories only, and caps them", async () => {
    const r = await crafted(true);
    const v = judge({ result: r });
    const xml = gapJunit(r, v, { junitUsers: 2 });
    expect(xml.match(/classname="syncgap\.users\./g)).toHaveLength(2);
    const all = gapJunit(r, v, { junitUsers: 1_000_000 });
    // 3 users in gated categories; FormatOnly, NotInAD, NotInEntra and InSync are not gated by default
    expect(all.match(/classname="syncgap\.users\./g)).toHaveLength(3);
    expect(all).toContain('classname="syncgap.users.MissingInEntra" name="missing@corp.example.test"');
    expect(all).not.toContain("syncgap.users.FormatOnly");
  });

  it("a passing gate is all passing cases; a run that compared too little fails its coverage case", async () => {
    const r = await crafted(true);
    const pass = gapJunit(r, judge({ result: r, thresholds: { failOn: ["MissingInEntra"], maxGaps: 5 } }));
    expect(pass).toMatch(/tests="2" failures="0"/);
    const none = { ...r, totals: { ...r.totals, matched: 0 } };
    const v = judge({ result: none });
    expect(v.exitCode).toBe(2);
    const xml = gapJunit(none, v);
    expect(xml).toMatch(/name="enough users compared to judge" time="[\d.]+">\n\s+<failure type="NotJudged"/);
    expect(xml).toContain("no user matched between AD and Entra ID");
  });

  it("escapes markup and drops characters XML cannot hold", () => {
    expect(xmlEscape(`<a b="c">&'\u0001`)).toBe("&lt;a b=&quot;c&quot;&gt;&amp;&apos;\uFFFD");
    // plain text comes back as it is (the fast path); surrogate pairs stay, lone surrogates and U+FFFF do not
    expect(xmlEscape("+1 425 555 0100 Héloïse")).toBe("+1 425 555 0100 Héloïse");
    expect(xmlEscape("emoji 😀 ok")).toBe("emoji 😀 ok");
    expect(xmlEscape("lone \uD800 x\uFFFF")).toBe("lone \uFFFD x\uFFFD");
    expect(xmlEscape("tab\tnl\ncr\r")).toBe("tab\tnl\ncr\r");
    expect(xmlEscape("vt\u000b")).toBe("vt\uFFFD");
  });
});

describe("Markdown summary", () => {
  it("shows verdict, counts, inputs, the otherMobile note and rows", async () => {
    const r = await crafted();
    const md = gapMarkdown(r, judge({ result: r }), { files: ["gap-report.csv"] });
    expect(md).toMatch(/^# syncgap/);
    expect(md).toContain("**FAIL**");
    expect(md).toContain("| MissingInEntra | 1 |");
    expect(md).toMatch(/Note: AD otherMobile values are shown for reference only/);
    expect(md).toContain("| missing@corp.example.test | MissingInEntra | +14255550101 | — | immutableId |");
    expect(md).toContain("`gap-report.csv`");
  });

  it("shows the verdict with its exit code, coverage, the checks and a next step per category", async () => {
    const r = await crafted();
    const md = gapMarkdown(r, judge({ result: r }));
    expect(md).toMatch(/\*\*FAIL\*\* \(exit 1\) — 3 gaps/);
    expect(md).toMatch(/Coverage: 6 users matched of 7 AD users and 7 synced Entra ID users/);
    expect(md).toContain("| MissingInEntra users within the threshold | **fail** | 1 user MissingInEntra |");
    expect(md).toMatch(
      /\| CloudOnly \| 1 \| .* \| Only Entra ID has a number, and turning AD authority on would clear it/,
    );
    expect(md).toContain("**If AD became authoritative**");
    const on = gapMarkdown(r, judge({ result: r, switchState: { live: true, expected: true } }));
    expect(on).toContain("**AD is authoritative**");
    expect(on).not.toContain("If AD became authoritative");
  });

  it("escapes table-breaking characters", () => {
    expect(mdCell("a|b<script>")).toBe("a\\|b\\<script\\>");
    expect(mdCell(null)).toBe("—");
  });
});

describe("writeReports", () => {
  it("writes all five formats from one result", async () => {
    const dir = mkdtempSync(join(tmpdir(), "syncgap-reports-"));
    const r = await crafted();
    const files = await writeReports(r, { outDir: dir, verdict: judge({ result: r }), impact: true });
    expect(Object.keys(files).sort()).toEqual([
      "csv",
      "html",
      "impact-csv",
      "impact-json",
      "impact-md",
      "json",
      "junit",
      "md",
    ]);
    for (const [f, name] of Object.entries(REPORT_FILES)) expect(files[f]).toBe(join(dir, name));
    const impact = JSON.parse(readFileSync(files["impact-json"], "utf8"));
    expect(impact).toMatchObject({ overwrites: 1, clears: 1, formatRewrites: 1, cloudNumbersLost: 2 });
  });

  it("a report that cannot be written fails the call, after every other write has ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), "syncgap-reports-"));
    const r = await crafted(true);
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ ...(r.rows[0] as GapRow), userPrincipalName: `u${i}@x` }));
    // a folder where the Markdown goes: its rename fails at once, while the big ones are still streaming
    mkdirSync(join(dir, REPORT_FILES.md, "in-the-way"), { recursive: true });
    await expect(writeReports({ ...r, rows }, { outDir: dir })).rejects.toThrow(/gap-report\.md/);
    expect(readdirSync(dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
    for (const f of ["csv", "json", "html"] as const)
      expect(statSync(join(dir, REPORT_FILES[f])).size).toBeGreaterThan(1e6);
  });
});

describe("streamed documents", () => {
  it("the JSON document, written in chunks, is the pretty-printed document", async () => {
    const many = await crafted(true);
    const big = {
      ...many,
      rows: Array.from(
        { length: 2500 },
        (_, i) => ({ ...many.rows[i % many.rows.length], userPrincipalName: `u${i}@x` }) as GapRow,
      ),
    };
    for (const r of [await crafted(), await crafted(true), { ...(await crafted()), rows: [] }, big]) {
      const gate = judge({ result: r });
      expect(gapJson(r, gate)).toBe(`${JSON.stringify(gapReportDocument(r, gate), null, 2)}\n`);
    }
  });

  it("renders many rows as many bounded chunks, never as one string", async () => {
    const r = await crafted(true);
    const rows = Array.from({ length: 12_345 }, (_, i) => ({ ...(r.rows[0] as GapRow), userPrincipalName: `u${i}@x` }));
    const big = { ...r, rows };
    for (const [name, chunks, perChunk] of [
      ["csv", [...gapCsvChunks(rows)], CSV_CHUNK_ROWS],
      ["json", [...gapJsonChunks(big)], 1000],
      ["html", [...gapHtmlChunks(big)], HTML_BLOCK_ROWS],
    ] as const) {
      expect(chunks.length, name).toBeGreaterThanOrEqual(Math.ceil(rows.length / perChunk));
      const largest = Math.max(...chunks.map((c) => (c.match(/u\d+@x/g) ?? []).length));
      expect(largest, name).toBeLessThanOrEqual(perChunk);
      expect(chunks.join("").match(/u\d+@x/g)?.length, name).toBe(rows.length);
    }
  });

  it("the written files are what the renderers return", async () => {
    const r = await crafted(true);
    const gate = judge({ result: r });
    const dir = mkdtempSync(join(tmpdir(), "syncgap-stream-"));
    const files = await writeReports(r, { outDir: dir, verdict: gate });
    expect(readFileSync(files.csv, "utf8")).toBe(gapCsv(r.rows));
    expect(readFileSync(files.json, "utf8")).toBe(gapJson(r, gate));
    for (const f of Object.values(files)) expect(statSync(f).mode & 0o777).toBe(0o600);
  });
});

describe("the report folder holds only this run's reports", () => {
  it("removes syncgap's files of an earlier run and its leftover temporary files, and nothing else", async () => {
    const r = await crafted();
    const dir = mkdtempSync(join(tmpdir(), "syncgap-stale-"));
    await writeReports(r, { outDir: dir, impact: true });
    for (const name of ["notes.txt", "gap-report.csv.bak", "my-gap-report.html", "gap-report.json.tmp-x"]) {
      writeFileSync(join(dir, name), "theirs");
    }
    writeFileSync(join(dir, "gap-report.html.tmp-4242"), "interrupted run");
    await writeReports(r, { outDir: dir, formats: ["csv", "md"] });
    expect(readdirSync(dir).sort()).toEqual(
      [
        "gap-report.csv",
        "gap-report.csv.bak",
        "gap-report.json.tmp-x",
        "gap-report.md",
        "my-gap-report.html",
        "notes.txt",
      ].sort(),
    );
  });
});

describe("CSV writer", () => {
  it("writes the same bytes as csv-stringify (BOM, CRLF, RFC 4180 quoting)", () => {
    const records = [
      ["a", "b,c", 'say "hi"', "crlf\r\ninside", "", "  spaces  ", "'=1+1", "+1 425 555 0100", "Ünïcödé 😀"],
      ["", "", "", "", "", "", "", "", ""],
      ['"', ",", "\r\n", "x"],
    ];
    expect(toCsv(records)).toBe(stringify(records, { bom: true, record_delimiter: "windows" }));
  });

  it("also quotes a lone LF or CR (csv-stringify leaves those bare), so every reader sees one record", () => {
    const text = toCsv([
      ["h1", "h2"],
      ["line\nbreak", "cr\rhere"],
    ]);
    expect(text).toBe('\uFEFFh1,h2\r\n"line\nbreak","cr\rhere"\r\n');
    expect(parse(text, { bom: true, columns: true })).toEqual([{ h1: "line\nbreak", h2: "cr\rhere" }]);
  });
});
