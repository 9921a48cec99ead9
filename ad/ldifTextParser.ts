/**
 * The LDIF reader on decoded text lines (parseLdif), and the record state both LDIF readers share (RecordBuilder):
 * ldifBytesParser.ts reads the usual lines straight from the bytes and hands every other line to RecordBuilder.take,
 * so both accept and refuse the same files. The records, trailer and errors are in ldifRecords.ts.
 */
import { isUtf8 } from "node:buffer";
import {
  emptyTrailer,
  LDIF_MAX_VALUE_LENGTH,
  type LdifParseOptions,
  type LdifRecord,
  LdifSyntaxError,
  type LdifTrailer,
  tooLong,
} from "./ldifRecords";

const LINE_RE = /^([A-Za-z0-9][A-Za-z0-9-]*(?:;[A-Za-z0-9-=]+)*|\d+(?:\.\d+)+)(:<|::?)\s?(.*)$/;
/** RFC 2849 BASE64-STRING: the base64 alphabet, padded (ldifde, ldapsearch and ldbsearch all pad). */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Names that structure the file rather than carry an entry's values: always kept. */
export const STRUCTURAL = new Set([
  "dn",
  "version",
  "changetype",
  "search",
  "result",
  "ref",
  "control",
  "text",
  "matcheddn",
]);

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
 * The record state both readers share: what a logical (unfolded) line means depends on the lines before it (a record
 * starts with dn:, ldapsearch's trailer records carry no dn, a blank line ends a record).
 */
export class RecordBuilder {
  dn: string | undefined;
  startLine = 0;
  attrs = new Map<string, (string | Buffer)[]>();
  /** A record without dn (search:/result: trailer, ref: referral). */
  other = false;
  seenAny = false;
  readonly done: LdifRecord[] = [];

  constructor(
    readonly binary: ReadonlySet<string>,
    readonly trailer: LdifTrailer,
  ) {}

  /** Whether the next attribute line belongs to an entry (not to a trailer record, not before the first dn:). */
  get inEntry(): boolean {
    return this.dn !== undefined && !this.other;
  }

  /** A blank line: ends the record. */
  end(): void {
    if (this.dn !== undefined) this.done.push({ dn: this.dn, attrs: this.attrs, line: this.startLine });
    this.dn = undefined;
    this.attrs = new Map();
    this.other = false;
  }

  /** The dn: line that starts an entry. */
  startEntry(dn: string, line: number): void {
    this.seenAny = true;
    this.dn = dn;
    this.startLine = line;
    this.trailer.entries++;
    this.trailer.last = "entry";
  }

  /** An attribute value of the open entry. */
  attr(name: string, value: string | Buffer): void {
    const list = this.attrs.get(name);
    if (list) list.push(value);
    else this.attrs.set(name, [value]);
  }

  /** Handles one logical (unfolded, non-blank, non-comment) line. */
  take(text: string, line: number): void {
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
    const binary = this.binary;
    const trailer = this.trailer;
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
    if (this.dn === undefined && !this.other) {
      if (name === "version" && !this.seenAny) {
        if (String(value).trim() !== "1") throw new LdifSyntaxError(`unsupported LDIF version ${value}`, line);
        this.seenAny = true;
        return;
      }
      this.seenAny = true;
      if (name === "dn") {
        this.startEntry(typeof value === "string" ? value : value.toString("utf8"), line);
        return;
      }
      if (name === "search" || name === "result" || name === "ref" || name === "control") {
        this.other = true;
        if (name === "ref") {
          trailer.references++;
          trailer.last = "ref";
        } else trailer.last = "result";
        if (name === "result") this.#result(String(value), line);
        return;
      }
      throw new LdifSyntaxError(`a record must start with dn:, found ${rawName}`, line);
    }
    if (this.other) {
      if (name === "result") this.#result(String(value), line);
      else if (name === "text" && trailer.results.length) {
        const r = trailer.results[trailer.results.length - 1]!;
        if (r.line < line) r.text = `${r.text}: ${String(value).trim()}`;
      }
      return;
    }
    if (name === "changetype") {
      const ct = String(value).trim().toLowerCase();
      if (ct !== "add") {
        throw new LdifSyntaxError(`changetype: ${ct} records are changes, not an export of the directory`, line);
      }
      return;
    }
    this.attr(name, value);
  }

  #result(value: string, line: number): void {
    const v = value.trim();
    const sp = v.indexOf(" ");
    const code = Number(sp < 0 ? v : v.slice(0, sp));
    if (!Number.isInteger(code)) throw new LdifSyntaxError(`result: ${JSON.stringify(v)} is not an LDAP result`, line);
    this.trailer.results.push({ code, text: sp < 0 ? "" : v.slice(sp + 1).trim(), line });
  }

  /** The comments that producers use to describe the search (see LdifTrailer); other comments are ignored. */
  comment(raw: string, line: number): void {
    const trailer = this.trailer;
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
  }
}

/** Is the attribute skipped unread (not kept, and not one that structures the file)? */
export function skipped(keep: ReadonlySet<string> | undefined, name: string): boolean {
  return keep !== undefined && !keep.has(name) && !STRUCTURAL.has(name) && name !== "objectclass";
}

/**
 * Parses LDIF text lines (without their line breaks; a trailing CR is dropped), given one by one or in arrays, into
 * content records.
 */
export async function* parseLdif(
  lines: AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>,
  options: LdifParseOptions = {},
): AsyncGenerator<LdifRecord> {
  const keep = options.keepAttributes;
  const maxValue = options.maxValueLength ?? LDIF_MAX_VALUE_LENGTH;
  const b = new RecordBuilder(options.binaryAttributes ?? new Set<string>(), options.trailer ?? emptyTrailer());
  const done = b.done;

  // Unfolding (continuation lines start with one space) and comments (also folded), inline for speed.
  let current: string | undefined;
  let currentName = "";
  let currentLine = 0;
  let skipping = false; // the logical line is an attribute we do not keep: its continuations are dropped unread
  let inComment = false;
  let n = 0;
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
      b.take(current, currentLine);
      current = undefined;
    }
    skipping = false;
    if (c0 === 0x23) {
      inComment = true;
      b.comment(raw, n);
      return;
    }
    inComment = false;
    if (raw.length === 0 || raw.trim() === "") {
      b.end();
      return;
    }
    const colon = raw.indexOf(":");
    if (colon > 0) {
      const semi = raw.indexOf(";");
      currentName = raw.slice(0, semi > 0 && semi < colon ? semi : colon).toLowerCase();
      if (skipped(keep, currentName)) {
        // Still an entry line (so dn-less junk is caught), but its value is never built.
        if (!b.inEntry) throw new LdifSyntaxError(`a record must start with dn:, found ${currentName}`, n);
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
  if (current !== undefined) b.take(current, currentLine);
  b.end();
  yield* done;
}
