/**
 * Hostile values in every emitted file: what cannot be carried exactly is refused, everything else is escaped for its
 * format. pwsh is not installable here (no `powershell` package in this machine's apt sources), so the PowerShell
 * script is checked at the tokenizer level: a scanner that follows PowerShell's rules for single-quoted strings
 * (about_Quoting_Rules: the string ends at any of ' U+2018 U+2019 U+201A U+201B unless the next character is one of
 * them too) proves every value sits inside one single-quoted literal, and that what is outside the literals is exactly
 * the expected cmdlet shape, on every line.
 */
import { describe, expect, it } from "vitest";
import type { GuardedChange } from "../../backfill/changes";
import { emitTexts, PS_EPILOGUE, PS_PREAMBLE, PS_SINGLE_QUOTES, psLine, psLiteral } from "../../backfill/emit";
import { changeFile, parseChangeFile } from "../../backfill/ldif";
import { rowDigest } from "../../backfill/plan";
import type { BackfillPlan, PlanRow } from "../../backfill/types";

/** Values AD takes (no control character, ≤ 64) that mean something in PowerShell, LDIF or a shell. */
const NASTY = [
  "+1 425 555 0100 '; Remove-ADUser -Identity x; '",
  "+1 $(Invoke-Expression calc) `n `$x",
  "+1 ’; Stop-Computer; ‘ ‚ ‛ '' ’’",
  ": starts with a colon",
  "< starts with less-than",
  "#not a comment",
  "-",
  "+44 7700 900123 ; rm -rf / && echo `whoami`",
  "Ünïcödé +49 ☎",
  "x".repeat(64),
];

const GUID = (i: number) => `0123abcd-0000-4000-8000-${String(i).padStart(12, "0")}`;

function changes(): GuardedChange[] {
  return NASTY.flatMap((v, i) => [
    {
      dn: `CN=User ${i},OU=Staff,DC=corp,DC=example,DC=test`,
      objectGuid: GUID(2 * i),
      userPrincipalName: "",
      from: null,
      to: v,
    },
    {
      dn: `CN=Evil\\0A${i}\\, Inc.,OU=Staff,DC=corp`,
      objectGuid: GUID(2 * i + 1),
      userPrincipalName: "",
      from: NASTY[(i + 1) % NASTY.length]!,
      to: v,
    },
  ]);
}

/** PowerShell's single-quoted strings, scanned as its tokenizer does: the literal values and what lies outside them. */
function scanSingleQuoted(line: string): { outside: string; values: string[] } {
  let outside = "";
  const values: string[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (!PS_SINGLE_QUOTES.includes(c)) {
      outside += c;
      continue;
    }
    let value = "";
    for (i++; ; i++) {
      if (i >= line.length) throw new Error(`unterminated string in ${line}`);
      const d = line[i]!;
      if (PS_SINGLE_QUOTES.includes(d)) {
        if (PS_SINGLE_QUOTES.includes(line[i + 1] ?? "")) {
          value += line[i + 1];
          i++;
          continue;
        }
        break;
      }
      value += d;
    }
    values.push(value);
    outside += "\u0000"; // one placeholder per literal
  }
  return { outside, values };
}

describe("PowerShell", () => {
  it("writes a value as one single-quoted literal with only its quotes doubled", () => {
    expect(psLiteral("it's")).toBe("'it''s'");
    expect(psLiteral("a’b")).toBe("'a’’b'");
    expect(psLiteral("$(calc) `x")).toBe("'$(calc) `x'");
  });

  it.each([
    ["a line break", "+1 425\n## evil"],
    ["a carriage return", "+1\r425"],
    ["an escape character", "+1\u001b[2J"],
    ["a NUL", "+1\u0000"],
    ["a bidi override", "+1 \u202e0010"],
    ["a line separator", "+1\u2028x"],
    ["65 characters", "1".repeat(65)],
  ])("refuses %s", (_what, value) => {
    expect(() => psLiteral(value)).toThrow(/refusing/);
    expect(() => psLine({ dn: "CN=x", objectGuid: GUID(1), userPrincipalName: "", from: null, to: value })).toThrow();
    expect(() =>
      psLine({ dn: "CN=x", objectGuid: GUID(1), userPrincipalName: "", from: value, to: "+1 425 555 0100" }),
    ).toThrow();
  });

  it("refuses an identity that is not an objectGUID", () => {
    expect(() =>
      psLine({ dn: "CN=x", objectGuid: "x'; calc; '", userPrincipalName: "", from: null, to: "+1" }),
    ).toThrow(/objectGUID/);
  });

  it("every line of a script of hostile values is the preamble, a comment, or the one cmdlet shape", () => {
    const all = changes();
    const lines = emitTextsFor(all).ps1.split("\r\n");
    expect(lines.pop()).toBe("");
    const userLines = lines.filter((l) => l.startsWith("if (Test-SyncgapMobile"));
    expect(userLines).toHaveLength(all.length);
    for (const l of lines) {
      if (l.startsWith("#") && !l.startsWith("#Requires")) {
        expect(l).toMatch(/^# [\x20-\x7e]*$/); // syncgap's own text only
        continue;
      }
      if ((PS_PREAMBLE as readonly string[]).includes(l) || (PS_EPILOGUE as readonly string[]).includes(l)) continue;
      const { outside, values } = scanSingleQuoted(l);
      // outside the literals: nothing but this, with each \0 a literal
      expect(outside).toMatch(
        /^if \(Test-SyncgapMobile -Identity \0 -Expected (?:\0|\$null)\) \{ Set-ADUser -Identity \0 (?:-Replace @\{mobile=\0\}|-Clear mobile) \}$/,
      );
      expect(values[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // and the literals hold the values exactly, in order: identity, expected, identity, new
    userLines.forEach((l, i) => {
      const c = all[i]!;
      const { values } = scanSingleQuoted(l);
      expect(values).toEqual([c.objectGuid, ...(c.from === null ? [] : [c.from]), c.objectGuid, c.to]);
    });
  });

  it("the undo script clears mobile where AD had none, and restores the prior value elsewhere", () => {
    const all = changes();
    const undo = emitTextsFor(all)
      .undoPs1.split("\r\n")
      .filter((l) => l.startsWith("if ("));
    expect(undo[0]).toBe(
      `if (Test-SyncgapMobile -Identity '${GUID(0)}' -Expected ${psLiteral(NASTY[0]!)}) { Set-ADUser -Identity '${GUID(0)}' -Clear mobile }`,
    );
    expect(scanSingleQuoted(undo[1]!).values).toEqual([GUID(1), NASTY[0], GUID(1), NASTY[1]]);
  });
});

function emitTextsFor(all: GuardedChange[]) {
  const rows: PlanRow[] = all.map((c, i) => {
    const base = {
      userPrincipalName: `u${i}`,
      category: c.from === null ? ("CloudOnly" as const) : ("ValueMismatch" as const),
      distinguishedName: c.dn,
      objectGuid: c.objectGuid,
      entraId: null,
      adMobile: c.from,
      entraMobile: c.to as string,
      e164: null,
      readAt: "2026-01-01T00:00:00.000Z",
    };
    return { ...base, decision: "cloud", rowDigest: rowDigest(base) };
  });
  const plan: BackfillPlan = {
    format: "syncgap-backfill-plan",
    version: 1,
    tool: { name: "syncgap", version: "test" },
    readAt: "2026-01-01T00:00:00.000Z",
    generatedAt: "2026-01-01T00:00:00.000Z",
    inputs: { ad: "a\nb", entra: "c" },
    options: { prefer: "cloud", normalise: false, defaultRegion: "US" },
    coverage: "",
    counts: { rows: rows.length, write: rows.length, review: 0, keepAd: 0, problems: 0 },
    rows,
  };
  return emitTexts(plan, "ab".repeat(32));
}

describe("LDIF", () => {
  it("keeps directory data on value lines (base64 where RFC 2849 or a terminal needs it) and reads back exactly", () => {
    const all = changes();
    const text = changeFile(["header with\na line break"], all);
    const lines = text.split("\n");
    expect(lines[0]).toBe("version: 1");
    for (const l of lines) {
      expect(l).toMatch(
        /^(?:|version: 1|# [\x20-\x7e]*|dn: [\x20-\x7e]+|dn:: [A-Za-z0-9+/=]+|changetype: modify|(?:delete|add): mobile|mobile: [\x21-\x7e][\x20-\x7e]*|mobile:: [A-Za-z0-9+/=]+|-| [\x20-\x7e]+)$/,
      );
    }
    expect(text).toContain("mobile:: "); // ": …", "< …" and the non-ASCII value
    expect(text).not.toMatch(/^mobile: [:<]/m);
    const back = parseChangeFile(text, "test.ldif");
    expect(back.map((c) => [c.dn, c.objectGuid, c.from, c.to])).toEqual(
      all.map((c) => [c.dn, c.objectGuid, c.from, c.to]),
    );
  });

  it("a DN holding a line break or an escape character goes base64", () => {
    const text = changeFile(
      [],
      [
        { dn: "CN=a\nchangetype: delete,DC=x", objectGuid: GUID(1), userPrincipalName: "", from: null, to: "+1" },
        { dn: "CN=\u001b[31mred,DC=x", objectGuid: GUID(2), userPrincipalName: "", from: null, to: "+1" },
      ],
    );
    expect(text).not.toMatch(/^changetype: delete/m);
    expect(text).not.toContain("\u001b");
    expect(parseChangeFile(text, "t").map((c) => c.dn)).toEqual([
      "CN=a\nchangetype: delete,DC=x",
      "CN=\u001b[31mred,DC=x",
    ]);
  });

  it.each([
    ["a replace", "dn: CN=x\nchangetype: modify\nreplace: mobile\nmobile: 1\n-\n"],
    ["another attribute", "dn: CN=x\nchangetype: modify\ndelete: member\nmember: CN=y\n-\n"],
    ["a delete record", "dn: CN=x\nchangetype: delete\n"],
    ["two values", "dn: CN=x\nchangetype: modify\ndelete: mobile\nmobile: 1\nmobile: 2\n-\n"],
    ["a control character", "dn: CN=x\nchangetype: modify\nadd: mobile\nmobile:: KzEHMg==\n-\n"],
  ])("an undo file with %s is refused", (_what, body) => {
    expect(() => parseChangeFile(`version: 1\n# objectGUID ${GUID(1)}\n${body}`, "undo.ldif")).toThrow(
      /undo\.ldif line/,
    );
  });
});
