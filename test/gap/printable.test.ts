import { describe, expect, it } from "vitest";
import { logIssue } from "../../gap/azdo";
import { printable } from "../../gap/printable";
import { CONTROL_CHARACTERS, findLoggingCommands } from "../support/azdoLog";

describe("printable", () => {
  it.each([
    ["1\n##vso[task.prependpath]/tmp/evil", "1␊#＃vso[task.prependpath]/tmp/evil"],
    ["##VSO[task.setvariable variable=X]1", "#＃VSO[task.setvariable variable=X]1"],
    ["##[error]fake", "#＃[error]fake"],
    ["###vso[x]", "##＃vso[x]"],
    ["\u001b[2J\u0007bell\rback", "␛[2J␇bell␍back"],
    ["del\u007f c1\u0085 nbsp\u00a0", "del␡ c1\\x85 nbsp\u00a0"],
    ["rtl\u202eevil\u2066 ls\u2028", "rtl\\u202eevil\\u2066 ls\\u2028"],
    ["tab\there", "tab␉here"],
    ["+1 425 555 0100 Héloïse 😀 # one ## two [x]", "+1 425 555 0100 Héloïse 😀 # one ## two [x]"],
  ])("%j → %j", (input, output) => {
    expect(printable(input)).toBe(output);
  });

  it("leaves nothing an agent or a terminal would act on, whatever the input", () => {
    // every code unit below U+00A0, the risky Unicode ones, and ## prefixes glued to them
    const nasty = [...Array(0xa0).keys()].map((c) => String.fromCharCode(c)).join("");
    const input = `${nasty}##vso[a.b]x##[group]${nasty}\u2028\u2029\u202a\u202e\u2066\u2069##vso[`;
    const out = printable(input);
    expect(out).not.toMatch(CONTROL_CHARACTERS);
    expect(out).not.toContain("\n");
    expect(findLoggingCommands(out)).toEqual([]);
  });

  it("syncgap's own logging commands carry directory data as data", () => {
    const line = logIssue("error", "user x\n##vso[task.prependpath]/tmp/evil: gap");
    const found = findLoggingCommands(line);
    expect(found.map((f) => f.command)).toEqual(["task.logissue"]);
    expect(line).not.toMatch(CONTROL_CHARACTERS);
  });
});
