import { isUtf8 } from "node:buffer";
import { isGuidString } from "../ad/ids";
/**
 * LDIF change records (RFC 2849) for guarded `mobile` changes (changes.ts): written for the undo file and for admins
 * who apply through their own tooling (`ldapmodify -H ldaps://dc -f file.ldif`, or
 * `ldifde -i -f file.ldif`: https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/cc731033(v=ws.11)),
 * and read back by `syncgap backfill undo`.
 *
 * Directory data never leaves a value line: a DN or value that is not an RFC 2849 SAFE-STRING, or that holds any
 * control character (SAFE-STRING allows most of C0, which a terminal or an editor would act on), is written base64
 * (`attr:: …`). Comments carry only syncgap's own text and objectGUIDs (hex and dashes).
 */
import { isLdifSafeString } from "../ad/ldifWriter";
import { changeOps, type GuardedChange } from "./changes";
import { BackfillError } from "./errors";
import { mobileProblem } from "./values";

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function ldifLine(name: string, value: string): string {
  if (isLdifSafeString(value) && !CONTROL.test(value)) return `${name}: ${value}`;
  return `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`;
}

/** Folds at 76 columns like ldapsearch and ldifde (continuation lines start with one space). */
function fold(line: string): string {
  if (line.length <= 76) return line;
  const parts = [line.slice(0, 76)];
  for (let i = 76; i < line.length; i += 75) parts.push(` ${line.slice(i, i + 75)}`);
  return parts.join("\n");
}

export function changeRecord(c: GuardedChange): string {
  if (!isGuidString(c.objectGuid)) throw new Error(`not an objectGUID: ${c.objectGuid}`);
  const lines = [`# objectGUID ${c.objectGuid.toLowerCase()}`, fold(ldifLine("dn", c.dn)), "changetype: modify"];
  for (const op of changeOps(c)) lines.push(`${op.operation}: mobile`, fold(ldifLine("mobile", op.value)), "-");
  return `${lines.join("\n")}\n`;
}

/** A whole change file: `version: 1`, a header of comments, one record per change, blank lines between. */
export function changeFile(header: readonly string[], changes: readonly GuardedChange[]): string {
  const head = ["version: 1", ...header.map((h) => `# ${h.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?")}`)].join("\n");
  return `${[head, ...changes.map(changeRecord)].join("\n")}`;
}

/**
 * Reads a change file this module wrote (the undo file): exactly its shape — `dn`, `changetype: modify`, then
 * `delete: mobile` / `add: mobile` groups of one value each, each ended by `-`, the objectGUID comment before each
 * record. Anything else is refused with its line: an undo file is run against AD, so a guess is no good.
 */
export function parseChangeFile(text: string, where: string): GuardedChange[] {
  const bad = (line: number, problem: string) =>
    new BackfillError(
      "BACKFILL_BAD_UNDO",
      `${where} line ${line}: ${problem}`,
      "use the undo file apply wrote, unedited",
    );
  const physical = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  // unfold: a line starting with one space continues the previous one
  const lines: { text: string; line: number }[] = [];
  physical.forEach((t, i) => {
    if (t.startsWith(" ") && lines.length && !lines[lines.length - 1]!.text.startsWith("#")) {
      lines[lines.length - 1]!.text += t.slice(1);
    } else lines.push({ text: t, line: i + 1 });
  });
  const value = (l: { text: string; line: number }, name: string): string => {
    const m = /^([A-Za-z]+)(::?) ?(.*)$/.exec(l.text);
    if (!m || m[1]!.toLowerCase() !== name)
      throw bad(l.line, `expected ${name}:, found ${JSON.stringify(l.text.slice(0, 40))}`);
    if (m[2] === ":") return m[3]!;
    const b64 = m[3]!.trim();
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw bad(l.line, "bad base64");
    const buf = Buffer.from(b64, "base64");
    if (!isUtf8(buf)) throw bad(l.line, "the base64 value is not UTF-8 text");
    return buf.toString("utf8");
  };
  const out: GuardedChange[] = [];
  let i = 0;
  const next = () => lines[i];
  if (next()?.text !== "version: 1") throw bad(1, "the first line must be `version: 1`");
  i++;
  let guid: string | undefined;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.text === "") {
      i++;
      continue;
    }
    if (l.text.startsWith("#")) {
      const g = /^# objectGUID ([0-9a-f-]{36})$/.exec(l.text);
      if (g) guid = g[1];
      i++;
      continue;
    }
    const dn = value(l, "dn");
    const start = l.line;
    i++;
    const ct = lines[i];
    if (ct?.text !== "changetype: modify") throw bad(ct?.line ?? start, "expected `changetype: modify`");
    i++;
    let from: string | null = null;
    let to: string | null = null;
    while (i < lines.length && lines[i]!.text !== "" && !lines[i]!.text.startsWith("#")) {
      const op = lines[i]!;
      const m = /^(delete|add): mobile$/.exec(op.text);
      if (!m)
        throw bad(
          op.line,
          `expected \`delete: mobile\` or \`add: mobile\`, found ${JSON.stringify(op.text.slice(0, 40))}`,
        );
      const v = lines[i + 1];
      if (!v) throw bad(op.line, "the value is missing");
      const val = value(v, "mobile");
      const p = mobileProblem(val);
      if (p) throw bad(v.line, p);
      if (lines[i + 2]?.text !== "-") throw bad(v.line + 1, "expected `-` after one value");
      if (m[1] === "delete") {
        if (from !== null || to !== null) throw bad(op.line, "one delete, before the add");
        from = val;
      } else {
        if (to !== null) throw bad(op.line, "one add only");
        to = val;
      }
      i += 3;
    }
    if (from === null && to === null) throw bad(start, "a record without a change");
    if (!guid) throw bad(start, "the `# objectGUID …` comment before the record is missing");
    out.push({ dn, objectGuid: guid, userPrincipalName: "", from, to });
    guid = undefined;
  }
  return out;
}
