/**
 * The CSV as a spreadsheet opens it: LibreOffice Calc (Debian's libreoffice-calc, headless) converts the report and
 * every cell is read back with its type. Phone numbers and ids must come back as text, hostile values as text, no cell
 * as a formula. Nothing is installed here: without /usr/bin/soffice the test fails and names the package.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CSV_COLUMNS, gapCsv, toCsv } from "../../../gap/reports/csv";
import { csvCell, isNumberLike, neutralizeCell } from "../../../gap/reports/csvSafe";
import type { GapRow } from "../../../gap/types";
import { openCsvInCalc, requireSoffice } from "../../support/libreoffice";

beforeAll(() => requireSoffice());

function row(over: Partial<GapRow>): GapRow {
  return {
    userPrincipalName: "ann@corp.example.test",
    category: "ValueMismatch",
    syncGap: "Value Mismatch",
    matchedBy: "immutableId",
    adMobile: "+14255550100",
    adOtherMobile: [],
    entraMobile: "+1 425 555 0199",
    adMobileE164: "+14255550100",
    entraMobileE164: "+14255550199",
    immutableId: "AAAAAAARERFCIoMzAAAAAA==",
    entraId: "e-1",
    adDistinguishedName: "CN=Ann,OU=Sales,DC=corp,DC=example,DC=test",
    adSamAccountName: "ann",
    displayName: "Ann Example",
    department: "Sales",
    ou: "OU=Sales,DC=corp,DC=example,DC=test",
    accountEnabled: true,
    ...over,
  };
}

/** What each cell holds, by column: the value syncgap meant, before any prefix. */
function intended(r: GapRow): string[] {
  return [
    r.userPrincipalName,
    r.adMobile ?? "",
    r.adOtherMobile.join("; "),
    r.entraMobile ?? "",
    r.syncGap,
    r.category,
    r.matchedBy ?? "",
    r.immutableId ?? "",
    r.adMobileE164 ?? "",
    r.entraMobileE164 ?? "",
    r.displayName ?? "",
    r.department ?? "",
    r.ou ?? "",
  ];
}

const ROWS: GapRow[] = [
  row({}),
  // numbers a spreadsheet would take for numbers: E.164, national with a leading 0, a numeric id, a date-like name
  row({ adMobile: "0712345678", entraMobile: "4255550100", adOtherMobile: ["+14255550203", "+1 425 555 0303"] }),
  row({ immutableId: "12345678901234567890", displayName: "2024-01-02", department: "42%" }),
  row({ entraMobile: "(425) 555-0100", adMobile: "+1 425 555 0100 x123", department: "TRUE" }),
  // hostile: formulas, DDE, a tab-led formula
  row({
    userPrincipalName: '=HYPERLINK("http://evil.example","x")',
    adMobile: "=1+2",
    entraMobile: "+1+cmd|' /C calc'!A0",
    displayName: "@SUM(1,2)",
    department: "\t=1+1",
    immutableId: "-abc+def==",
  }),
];

describe("the CSV in LibreOffice Calc", () => {
  it("opens every cell as the text it is: numbers stay text, nothing becomes a formula", async () => {
    const cells = await openCsvInCalc(gapCsv(ROWS));
    expect(cells[0]?.map((c) => c.text)).toEqual([...CSV_COLUMNS]);
    expect(cells).toHaveLength(ROWS.length + 1);
    ROWS.forEach((r, i) => {
      const got = cells[i + 1] ?? [];
      const want = intended(r);
      want.forEach((value, col) => {
        const cell = got[col];
        const where = `row ${i + 1}, ${CSV_COLUMNS[col]} (${JSON.stringify(value)})`;
        if (value === "") {
          expect(cell?.text ?? "", where).toBe("");
          return;
        }
        expect(cell?.formula, where).toBeUndefined();
        expect(cell?.type, where).toBe("string");
        // what the cell shows is the value, with at most the tab or OWASP's apostrophe in front
        expect([value, `\t${value}`, `'${value}`], where).toContain(cell?.text);
      });
    });
    // the plain phone numbers carry no visible mark: only an invisible tab
    expect(cells[1]?.[1]?.text).toBe("\t+14255550100");
    expect(cells[2]?.[1]?.text).toBe("\t0712345678");
    // the hostile ones carry OWASP's apostrophe
    expect(cells[5]?.[0]?.text).toBe('\'=HYPERLINK("http://evil.example","x")');
  }, 180_000);

  it("the same cells written plainly would open as numbers and formulas (what the prefixes prevent)", async () => {
    const plain = toCsv([["+14255550100", "0712345678", "12345678901234567890", "=1+2"]]);
    const [cells] = await openCsvInCalc(plain);
    expect(cells?.map((c) => c.type)).toEqual(["float", "float", "float", expect.any(String)]);
    expect(cells?.[3]?.formula).toBeDefined();
  }, 180_000);
});

describe("csvCell", () => {
  it.each([
    ["+14255550100", "\t+14255550100"],
    ["+1 425 555 0100 ext. 7", "\t+1 425 555 0100 ext. 7"],
    ["0712345678", "\t0712345678"],
    ["(425) 555-0100", "\t(425) 555-0100"],
    ["2024-01-02", "\t2024-01-02"],
    ["true", "\ttrue"],
    ["=1+2", "'=1+2"],
    ["-2+3", "'-2+3"],
    ["\t=1+1", "'\t=1+1"],
    ["+1 425 SUM(1)", "'+1 425 SUM(1)"],
    ["ann@corp.example.test", "ann@corp.example.test"],
    ["User 12", "User 12"],
    ["OU=Sales,DC=corp", "OU=Sales,DC=corp"],
    ["", ""],
  ])("%j → %j", (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it("takes only digits with number punctuation for a number", () => {
    expect(isNumberLike("1e5")).toBe(true);
    expect(isNumberLike("AAAAAAARERFCIoMzAAAAAA==")).toBe(false);
    expect(isNumberLike("Sales 2")).toBe(false);
  });

  it("a cell that starts with a letter is number-like only as true or false, in any case", () => {
    for (const letter of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
      for (const rest of ["", "1", " 425 555 0100", "1e5", "+1", "xt 7"]) {
        expect(isNumberLike(`${letter}${rest}`), `${letter}${rest}`).toBe(false);
      }
    }
    for (const v of ["true", "FALSE", "True ", " false"]) expect(isNumberLike(v), v).toBe(true);
    for (const v of ["1e5", "(425) 555-0100", "$5", "+1 425 555 0100 x12", "€3", "\u00a012"])
      expect(isNumberLike(v), v).toBe(true); // a no-break space is a blank too
  });

  it("decides the common shapes (text that starts with a word, plain digits) as the patterns do", () => {
    // the rule the fast paths must keep: the apostrophe for a formula, else a tab for what reads as a number
    const byPatterns = (v: string) => {
      const safe = neutralizeCell(v);
      return safe !== v ? safe : v !== "" && isNumberLike(v) ? `\t${v}` : v;
    };
    const alphabet = ["a", "t", "F", "Z", "é", "0", "9", "+", "-", "=", "@", " ", "\t", ";", "x", "(", ".", "€", ","];
    const values = [""];
    for (const a of alphabet)
      for (const b of ["", ...alphabet]) for (const c of ["", ...alphabet]) values.push(`${a}${b}${c}`);
    for (const n of [1, 12, 63, 64, 65, 200]) values.push("7".repeat(n), `+${"7".repeat(n)}`, `${"7".repeat(n)}+`);
    let digits = 0;
    for (const v of values) {
      expect(csvCell(v), JSON.stringify(v)).toBe(byPatterns(v));
      if (/^\+?\d+$/.test(v)) digits++;
    }
    expect(values.length).toBeGreaterThan(7000);
    expect(digits).toBeGreaterThan(20);
  });
});
