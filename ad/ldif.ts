/**
 * A streaming LDIF (RFC 2849, https://www.rfc-editor.org/rfc/rfc2849) content-record reader for exports written by
 * `ldifde`, `ldapsearch` and `ldbsearch`: `version: 1`, comments (also folded ones), folded continuation lines,
 * `attr:: base64`, attribute options (`objectGUID;binary`), multi-valued attributes, `changetype: add` records
 * (ldifde writes them), and the `search:`/`result:` trailer and `ref:` referral records that ldapsearch adds.
 *
 * It works on lines, so a file is never held in memory whole. What the producer says about the search itself (its
 * result code, the entry counts in its trailer comments) is collected in `LdifParseOptions.trailer`, so the caller can
 * tell a complete export from a cut or failed one.
 */
import { isUtf8 } from "node:buffer";

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
    /** What to do about it, when the parser knows better than "export again". */
    readonly remedy?: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** One `result:` line of an ldapsearch search result record (`result: 4 Size limit exceeded`). */
export interface LdifSearchResult {
  code: number;
  text: string;
  line: number;
}

/**
 * What the producer wrote about the search, beside the entries. ldapsearch's extended LDIF (its default output) starts
 * with `# extended LDIF` and ends every search with `# search result`, `search: N`, `result: CODE TEXT` and the
 * comments `# numResponses: N` / `# numEntries: N`; with -L the `result:` line goes to stderr and only the comments
 * stay; -LL/-LLL write none of it (OpenLDAP clients/tools/ldapsearch.c, print_result and dosearch). ldbsearch writes
 * `# record N` before each entry and `# returned N records` / `# N entries` / `# N referrals` after the last one
 * (Samba lib/ldb/tools/ldbsearch.c). ldifde writes no trailer.
 */
export interface LdifTrailer {
  /** Content records (`dn:`), users or not. */
  entries: number;
  /** `ref:` records (search continuation references). */
  references: number;
  results: LdifSearchResult[];
  /** The kind of the last record: an entry, a search result, or a reference. */
  last?: "entry" | "result" | "ref";
  /** The first line was `# extended LDIF` (ldapsearch without -L). */
  extendedLdif: boolean;
  /** Lines of `# search result` comments (ldapsearch, also with -L). */
  searchResultComments: number[];
  /** From `# numEntries: N` (ldapsearch; total over all pages of a paged search). */
  numEntries?: number;
  numResponses?: number;
  /** `# record N` comments were seen (ldbsearch). */
  ldbsearch: boolean;
  /** From ldbsearch's `# returned N records` / `# N entries` / `# N referrals`. */
  ldbReturned?: { records: number; entries?: number; referrals?: number; line: number };
}

export function emptyTrailer(): LdifTrailer {
  return { entries: 0, references: 0, results: [], extendedLdif: false, searchResultComments: [], ldbsearch: false };
}

export interface LdifParseOptions {
  /** Attribute names (lower case) whose base64 values stay bytes; other base64 values are decoded as UTF-8. */
  binaryAttributes?: ReadonlySet<string>;
  /**
   * Attribute names (lower case) to keep. Values of other attributes are skipped without being unfolded or decoded
   * (a full ldifde export carries photos and certificates syncgap never looks at). Default: keep all.
   */
  keepAttributes?: ReadonlySet<string>;
  /**
   * Longest value (unfolded logical line, in characters) kept; a longer one is an error naming the attribute.
   * Default 64 KiB: AD's longest attribute syncgap reads, userPrincipalName, holds 1,024 characters.
   */
  maxValueLength?: number;
  /** Filled in as the parse goes (see LdifTrailer). */
  trailer?: LdifTrailer;
}

export const LDIF_MAX_VALUE_LENGTH = 64 * 1024;

const LINE_RE = /^([A-Za-z0-9][A-Za-z0-9-]*(?:;[A-Za-z0-9-=]+)*|\d+(?:\.\d+)+)(:<|::?)\s?(.*)$/;
/** RFC 2849 BASE64-STRING: the base64 alphabet, padded (ldifde, ldapsearch and ldbsearch all pad). */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Names that structure the file rather than carry an entry's values: always kept. */
const STRUCTURAL = new Set(["dn", "version", "changetype", "search", "result", "ref", "control", "text", "matcheddn"]);

/**
 * A copy of a value cut from a line that shares nothing with the line. V8 cuts a substring of 13 characters or more
 * as a view on its parent string, and a line is a view on the decoded chunk it came from: a DN kept from a line would
 * keep the whole chunk alive, and a reader that keeps every user's DN would hold the whole file
 * (docs/benchmarks.md, "A million users"). Concatenating first makes the copy: the new string holds one character
 * more, no chunk.
 */
function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/** Decodes a base64 value strictly: Buffer.from(…, "base64") silently drops what is not base64. */
function decodeBase64(text: string, name: string, line: number): Buffer {
  const s = text.trim();
  if (!BASE64_RE.test(s)) {
    throw new LdifSyntaxError(
      `the base64 value of ${name} is not valid base64 (${s.length} characters${s.length % 4 ? ", not a multiple of 4" : ""}): the file may be cut or edited`,
      line,
    );
  }
  return Buffer.from(s, "base64");
}

function commentNumber(text: string, prefix: string): number | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const n = Number(text.slice(prefix.length).trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Parses LDIF text lines (without their line breaks; a trailing CR is dropped), given one by one or in arrays, into
 * content records.
 */
export async function* parseLdif(
  lines: AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>,
  options: LdifParseOptions = {},
): AsyncGenerator<LdifRecord> {
  const binary = options.binaryAttributes ?? new Set<string>();
  const keep = options.keepAttributes;
  const maxValue = options.maxValueLength ?? LDIF_MAX_VALUE_LENGTH;
  const trailer = options.trailer ?? emptyTrailer();
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
    if (!m) {
      // ldbsearch prints its failures to stdout, into the export: say so rather than "not an LDIF line".
      if (text.startsWith("search error")) {
        throw new LdifSyntaxError(
          `the export holds ldbsearch's error message: ${JSON.stringify(text.slice(0, 200))}`,
          line,
          "Fix the search and export again",
        );
      }
      throw new LdifSyntaxError(`not an LDIF line: ${JSON.stringify(text.slice(0, 80))}`, line);
    }
    const rawName = m[1]!;
    const sep = m[2]!;
    const rawValue = m[3]!;
    const semi = rawName.indexOf(";");
    const name = (semi < 0 ? rawName : rawName.slice(0, semi)).toLowerCase();
    if (sep === ":<") {
      throw new LdifSyntaxError(
        `${rawName} is given as a URL (${rawName}:< …), which syncgap does not follow`,
        line,
        "Export the values inline (ldapsearch without -t; ldifde writes them inline)",
      );
    }
    let value: string | Buffer;
    if (sep === "::") {
      const bytes = decodeBase64(rawValue, rawName, line);
      if (binary.has(name)) value = bytes;
      else {
        // Text attributes are UTF-8 (RFC 2849 §"Notes on LDIF Syntax" 4); anything else would become U+FFFD.
        if (!isUtf8(bytes)) {
          throw new LdifSyntaxError(`the base64 value of ${rawName} is not UTF-8 text`, line);
        }
        value = bytes.toString("utf8");
      }
    } else {
      // A plain value of a binary attribute: its bytes are the text's bytes (ldbsearch prints printable binary values
      // that way). ldbsearch also prints objectGUID/objectSid in string form; userMapping recognises those.
      value = binary.has(name) ? Buffer.from(rawValue, "utf8") : name === "objectclass" ? rawValue : own(rawValue);
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
        trailer.entries++;
        trailer.last = "entry";
        return undefined;
      }
      if (name === "search" || name === "result" || name === "ref" || name === "control") {
        other = true;
        if (name === "ref") {
          trailer.references++;
          trailer.last = "ref";
        } else trailer.last = "result";
        if (name === "result") takeResult(String(value), line);
        return undefined;
      }
      throw new LdifSyntaxError(`a record must start with dn:, found ${rawName}`, line);
    }
    if (other) {
      if (name === "result") takeResult(String(value), line);
      else if (name === "text" && trailer.results.length) {
        const r = trailer.results[trailer.results.length - 1]!;
        if (r.line < line) r.text = `${r.text}: ${String(value).trim()}`;
      }
      return undefined;
    }
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

  const takeResult = (value: string, line: number) => {
    const v = value.trim();
    const sp = v.indexOf(" ");
    const code = Number(sp < 0 ? v : v.slice(0, sp));
    if (!Number.isInteger(code)) throw new LdifSyntaxError(`result: ${JSON.stringify(v)} is not an LDAP result`, line);
    trailer.results.push({ code, text: sp < 0 ? "" : v.slice(sp + 1).trim(), line });
  };

  /** The comments that producers use to describe the search (see LdifTrailer); other comments are ignored. */
  const comment = (raw: string, line: number) => {
    if (raw.length < 3 || raw.charCodeAt(1) !== 0x20) return;
    if (line === 1 && raw.startsWith("# extended LDIF")) trailer.extendedLdif = true;
    else if (raw.startsWith("# search result")) trailer.searchResultComments.push(line);
    else if (raw.startsWith("# num")) {
      const e = commentNumber(raw, "# numEntries:");
      if (e !== undefined) trailer.numEntries = e;
      const r = commentNumber(raw, "# numResponses:");
      if (r !== undefined) trailer.numResponses = r;
    } else if (raw.startsWith("# record ")) {
      if (/^# record \d+\s*$/.test(raw)) trailer.ldbsearch = true;
    } else if (raw.startsWith("# returned ")) {
      const m = /^# returned (\d+) records\s*$/.exec(raw);
      if (m) trailer.ldbReturned = { records: Number(m[1]), line };
    } else if (trailer.ldbReturned) {
      const m = /^# (\d+) (entries|referrals)\s*$/.exec(raw);
      if (m) trailer.ldbReturned[m[2] as "entries" | "referrals"] = Number(m[1]);
    }
  };

  // Unfolding (continuation lines start with one space) and comments (also folded), inline for speed.
  let current: string | undefined;
  let currentName = "";
  let currentLine = 0;
  let skipping = false; // the logical line is an attribute we do not keep: its continuations are dropped unread
  let inComment = false;
  let n = 0;
  const done: LdifRecord[] = [];
  const line = (input: string) => {
    let raw = input;
    n++;
    if (n === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    const c0 = raw.charCodeAt(0);
    if (c0 === 0x20) {
      if (inComment || skipping) return;
      if (current === undefined) throw new LdifSyntaxError("continuation line without a line to continue", n);
      if (current.length + raw.length - 1 > maxValue) throw tooLong(currentName, currentLine, maxValue);
      current += raw.slice(1);
      return;
    }
    if (current !== undefined) {
      const rec = take(current, currentLine);
      current = undefined;
      if (rec) done.push(rec);
    }
    skipping = false;
    if (c0 === 0x23) {
      inComment = true;
      comment(raw, n);
      return;
    }
    inComment = false;
    if (raw.length === 0 || raw.trim() === "") {
      const rec = take("", n);
      if (rec) done.push(rec);
      return;
    }
    const colon = raw.indexOf(":");
    if (colon > 0) {
      const semi = raw.indexOf(";");
      currentName = raw.slice(0, semi > 0 && semi < colon ? semi : colon).toLowerCase();
      if (keep && !keep.has(currentName) && !STRUCTURAL.has(currentName) && currentName !== "objectclass") {
        // Still an entry line (so dn-less junk is caught), but its value is never built.
        if (dn === undefined && !other)
          throw new LdifSyntaxError(`a record must start with dn:, found ${currentName}`, n);
        skipping = true;
        return;
      }
    } else currentName = raw.slice(0, 40);
    if (raw.length > maxValue) throw tooLong(currentName, n, maxValue);
    current = raw;
    currentLine = n;
  };
  // Lines come one by one or in batches (a chunk's worth): batches save an async step per line.
  for await (const item of lines) {
    if (typeof item === "string") line(item);
    else for (const raw of item) line(raw);
    if (done.length) {
      yield* done;
      done.length = 0;
    }
  }
  if (current !== undefined) {
    const rec = take(current, currentLine);
    if (rec) yield rec;
  }
  const last = take("", n + 1);
  if (last) yield last;
}

function tooLong(name: string, line: number, max: number): LdifSyntaxError {
  return new LdifSyntaxError(
    `the ${name} line is longer than ${max.toLocaleString("en-US")} characters, far more than AD holds in any attribute syncgap reads (userPrincipalName: 1,024)`,
    line,
    "Check that the export is not damaged, and export only the attributes syncgap needs (see docs/active-directory.md)",
  );
}
