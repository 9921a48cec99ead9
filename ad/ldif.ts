/**
 * A streaming LDIF (RFC 2849) content-record reader for exports written by `ldifde`, `ldapsearch` and `ldbsearch`:
 * `version: 1`, comments (also folded ones), folded continuation lines, `attr:: base64`, attribute options
 * (`objectGUID;binary`), multi-valued attributes, `changetype: add` records (ldifde writes them), and the
 * `search:`/`result:` trailer and `ref:` referral records that ldapsearch/ldbsearch add (skipped).
 *
 * It works on lines (from readline), so a file is never held in memory whole.
 */

export interface LdifRecord {
  dn: string;
  /** Values by lower-cased attribute name (options such as `;binary` dropped); base64 values stay bytes. */
  attrs: Map<string, (string | Buffer)[]>;
  /** Line number where the record starts (1-based). */
  line: number;
}

export class LdifSyntaxError extends Error {
  override readonly name = "LdifSyntaxError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface LdifParseOptions {
  /** Attribute names (lower case) whose base64 values stay bytes; other base64 values are decoded as UTF-8. */
  binaryAttributes?: ReadonlySet<string>;
}

const LINE_RE = /^([A-Za-z0-9][A-Za-z0-9-]*(?:;[A-Za-z0-9-=]+)*|\d+(?:\.\d+)+)(::?|:<)\s?(.*)$/;

/** Parses LDIF text lines into content records. */
export async function* parseLdif(
  lines: AsyncIterable<string>,
  options: LdifParseOptions = {},
): AsyncGenerator<LdifRecord> {
  const binary = options.binaryAttributes ?? new Set<string>();
  let dn: string | undefined;
  let startLine = 0;
  let attrs = new Map<string, (string | Buffer)[]>();
  let other = false; // a record without dn (search:/result: trailer, ref: referral)
  let seenAny = false;

  /** Handles one logical (unfolded) line; returns a finished record when the line ends one. */
  const take = (text: string, line: number): LdifRecord | undefined => {
    if (text === "") {
      const done = dn !== undefined ? { dn, attrs, line: startLine } : undefined;
      dn = undefined;
      attrs = new Map();
      other = false;
      return done;
    }
    const m = LINE_RE.exec(text);
    if (!m) throw new LdifSyntaxError(`not an LDIF line: ${JSON.stringify(text.slice(0, 80))}`, line);
    const rawName = m[1]!;
    const sep = m[2]!;
    const rawValue = m[3]!;
    const semi = rawName.indexOf(";");
    const name = (semi < 0 ? rawName : rawName.slice(0, semi)).toLowerCase();
    if (sep === ":<") throw new LdifSyntaxError(`URL values (${rawName}:< …) are not supported`, line);
    let value: string | Buffer;
    if (sep === "::") {
      const bytes = Buffer.from(rawValue.trim(), "base64");
      value = binary.has(name) ? bytes : bytes.toString("utf8");
    } else {
      // A plain value of a binary attribute: its bytes are the text's bytes (ldbsearch prints printable binary values
      // that way). ldbsearch also prints objectGUID/objectSid in string form; userMapping recognises those.
      value = binary.has(name) ? Buffer.from(rawValue, "utf8") : rawValue;
    }
    if (dn === undefined && !other) {
      if (name === "version" && !seenAny) {
        if (String(value).trim() !== "1") throw new LdifSyntaxError(`unsupported LDIF version ${value}`, line);
        seenAny = true;
        return undefined;
      }
      seenAny = true;
      if (name === "dn") {
        dn = typeof value === "string" ? value : value.toString("utf8");
        startLine = line;
        return undefined;
      }
      if (name === "search" || name === "result" || name === "ref" || name === "control") {
        other = true;
        return undefined;
      }
      throw new LdifSyntaxError(`a record must start with dn:, found ${rawName}`, line);
    }
    if (other) return undefined;
    if (name === "changetype") {
      const ct = String(value).trim().toLowerCase();
      if (ct !== "add") {
        throw new LdifSyntaxError(`changetype: ${ct} records are changes, not an export of the directory`, line);
      }
      return undefined;
    }
    const list = attrs.get(name);
    if (list) list.push(value);
    else attrs.set(name, [value]);
    return undefined;
  };

  // Unfolding (continuation lines start with one space) and comments (also folded), inline for speed.
  let current: string | undefined;
  let currentLine = 0;
  let inComment = false;
  let n = 0;
  for await (let raw of lines) {
    n++;
    if (n === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    const c0 = raw.charCodeAt(0);
    if (c0 === 0x20) {
      if (inComment) continue;
      if (current === undefined) throw new LdifSyntaxError("continuation line without a line to continue", n);
      current += raw.slice(1);
      continue;
    }
    if (current !== undefined) {
      const rec = take(current, currentLine);
      current = undefined;
      if (rec) yield rec;
    }
    if (c0 === 0x23) {
      inComment = true;
      continue;
    }
    inComment = false;
    if (raw.length === 0 || raw.trim() === "") {
      const rec = take("", n);
      if (rec) yield rec;
      continue;
    }
    current = raw;
    currentLine = n;
  }
  if (current !== undefined) {
    const rec = take(current, currentLine);
    if (rec) yield rec;
  }
  const last = take("", n + 1);
  if (last) yield last;
}
