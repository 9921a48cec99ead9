/**
 * The LDIF reader on a file's bytes (parseLdifBytes), the one syncgap reads UTF-8 exports with: the hot path of a
 * large AD read (docs/benchmarks.md, "A million users"). What a line means is decided by the same RecordBuilder as
 * the reader on decoded lines (ldifTextParser.ts); the records, trailer and errors are in ldifRecords.ts.
 */
import { isUtf8 } from "node:buffer";
import {
  emptyTrailer,
  LDIF_MAX_VALUE_LENGTH,
  LdifEncodingError,
  type LdifParseOptions,
  type LdifRecord,
  LdifSyntaxError,
  LineTooLongError,
  tooLong,
} from "./ldifRecords";
import { RecordBuilder, STRUCTURAL, skipped } from "./ldifTextParser";

export interface LdifBytesOptions extends LdifParseOptions {
  /** Longest physical line, in characters (see LineTooLongError). */
  maxLineLength: number;
  /** Filled in as the parse goes: bytes read, and whether the last one was a line feed. */
  stats?: { bytes: number; endsWithNewline: boolean };
}

/** Byte index of the first invalid UTF-8 sequence in `b` (or b.length). Only on the error path. */
export function firstInvalidUtf8(b: Buffer): number {
  let lo = 0;
  let hi = b.length;
  // isUtf8 of a prefix fails once the prefix holds a bad sequence (or ends inside a good one): bisect on that.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isUtf8(b.subarray(0, mid + 1)) || isUtf8(b.subarray(0, Math.min(b.length, mid + 4)))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** ASCII lower case of a byte (attribute names are ASCII: RFC 4512 §1.4 keystring). */
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/**
 * Attribute names looked up from their bytes, without building a string for each line: a hash of the lower-cased
 * bytes, then a byte comparison.
 */
class NameTable {
  readonly #byHash = new Map<number, NameEntry>();
  /**
   * `fold`: compare in ASCII lower case (names in the table are then lower case). `skip` and `fast` say, per name,
   * what the parser does with its lines, decided once here rather than looked up on every line.
   */
  constructor(
    names: Iterable<string>,
    readonly fold = true,
    flags: (name: string) => { skip: boolean; fast: boolean } = () => ({ skip: false, fast: false }),
  ) {
    for (const name of names) {
      const bytes = Buffer.from(name, "latin1");
      const h = this.#hash(bytes, 0, bytes.length);
      if (this.#byHash.has(h)) throw new Error(`names ${name} and ${this.#byHash.get(h)!.name} collide`);
      this.#byHash.set(h, { name, bytes, ...flags(name) });
    }
  }
  #hash(b: Buffer, s: number, e: number): number {
    let h = e - s;
    if (this.fold) for (let i = s; i < e; i++) h = (Math.imul(h, 31) + lower(b[i]!)) | 0;
    else for (let i = s; i < e; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
    return h;
  }
  entry(b: Buffer, s: number, e: number): NameEntry | undefined {
    const hit = this.#byHash.get(this.#hash(b, s, e));
    if (!hit || hit.bytes.length !== e - s) return undefined;
    const bytes = hit.bytes;
    if (this.fold) {
      for (let i = 0; i < e - s; i++) if (lower(b[s + i]!) !== bytes[i]) return undefined;
    } else for (let i = 0; i < e - s; i++) if (b[s + i] !== bytes[i]) return undefined;
    return hit;
  }
  get(b: Buffer, s: number, e: number): string | undefined {
    return this.entry(b, s, e)?.name;
  }
}

interface NameEntry {
  name: string;
  bytes: Buffer;
  /** Lines of this attribute are skipped unread. */
  skip: boolean;
  /** Lines of this attribute are read on the fast path. */
  fast: boolean;
}

/**
 * objectClass values every user entry carries (RFC 4519 and AD's schema, as AD writes them): one string each for
 * every entry, not four new strings per entry.
 */
const COMMON_CLASSES = new NameTable(
  ["top", "person", "organizationalPerson", "user", "computer", "inetOrgPerson", "contact", "group"],
  false,
);

/** Base64 alphabet bytes (RFC 4648 §4), for checking a value before decoding it. */
const B64 = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") B64[c.charCodeAt(0)] = 1;

/** Value of each base64 alphabet byte (and 0 for the padding `=`). */
const B64_VALUE = new Uint8Array(256);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries())
  B64_VALUE[c.charCodeAt(0)] = i;

/**
 * The bytes of `b[s, e)`, which isBase64 accepted, decoded as Buffer.from(text, "base64") decodes them, without
 * making the text first (an objectGUID and an objectSid per user).
 */
function base64Bytes(b: Buffer, s: number, e: number): Buffer {
  const pad = e > s && b[e - 1] === 0x3d ? (b[e - 2] === 0x3d ? 2 : 1) : 0;
  const n = ((e - s) / 4) * 3 - pad;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (let i = s; i < e; i += 4) {
    const v =
      (B64_VALUE[b[i]!]! << 18) | (B64_VALUE[b[i + 1]!]! << 12) | (B64_VALUE[b[i + 2]!]! << 6) | B64_VALUE[b[i + 3]!]!;
    out[o++] = v >>> 16;
    if (o < n) out[o++] = (v >>> 8) & 0xff;
    if (o < n) out[o++] = v & 0xff;
  }
  return out;
}

/** `b[s, e)` is padded base64 as BASE64_RE has it. */
function isBase64(b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (len % 4 !== 0) return false;
  let end = e;
  if (len > 0 && b[e - 1] === 0x3d) end = b[e - 2] === 0x3d ? e - 2 : e - 1;
  for (let i = s; i < end; i++) if (!B64[b[i]!]) return false;
  return true;
}

/** The chunks without a leading UTF-8 BOM (which may come split over the first chunks). */
async function* withoutBom(chunks: AsyncIterable<Buffer>, onBom: () => void): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    if (!head) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && head.equals(UTF8_BOM.subarray(0, head.length))) continue;
    const bom = head.subarray(0, 3).equals(UTF8_BOM);
    if (bom) onBom();
    yield bom ? head.subarray(3) : head;
    head = undefined;
  }
  if (head?.length) yield head;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The same records as parseLdif, a block's worth at a time (an async step per record would cost as much as reading it),
 * from the file's bytes (UTF-8, BOM allowed) rather than decoded lines: lines are found
 * with indexOf on the bytes, attributes not kept are skipped without being decoded, and the usual line of a kept
 * attribute (an ASCII value, plain or base64) is read straight from the bytes. Anything else (a non-ASCII value, a
 * trailer record, a version line, an attribute before dn:) is decoded and read by the same code as parseLdif, so
 * both accept and refuse the same files. Every byte is checked to be UTF-8 (isUtf8 over each block of whole lines).
 */
export async function* parseLdifBytes(
  chunks: AsyncIterable<Buffer>,
  options: LdifBytesOptions,
): AsyncGenerator<LdifRecord[]> {
  const keep = options.keepAttributes;
  const maxValue = options.maxValueLength ?? LDIF_MAX_VALUE_LENGTH;
  const maxLine = options.maxLineLength;
  const binary = options.binaryAttributes ?? new Set<string>();
  const stats = options.stats ?? { bytes: 0, endsWithNewline: false };
  const b = new RecordBuilder(binary, options.trailer ?? emptyTrailer());
  const done = b.done;
  /** Names read on the fast path: the kept ones and dn. Structural names (but dn) always take the full path. */
  const fastNames = keep ? new Set([...keep, "objectclass", "dn"]) : new Set<string>();
  for (const s of STRUCTURAL) if (s !== "dn") fastNames.delete(s);
  const known = new NameTable(new Set([...fastNames, ...STRUCTURAL]), true, (name) => ({
    skip: skipped(keep, name),
    fast: fastNames.has(name),
  }));

  let n = 0; // physical lines so far
  let offset = 0; // bytes before the block being read
  // The logical line being read: where its first physical line is, and its pieces once a continuation came.
  let pBuf: Buffer | undefined;
  let pS = 0;
  let pE = 0;
  let folded: Buffer[] | undefined;
  let partBytes = 0;
  let currentName: string | undefined; // its attribute name when known (fast path), else undefined
  let currentLine = 0;
  let skipping = false;
  let inComment = false;

  const decodeName = (buf: Buffer, s: number, e: number): string => {
    const colon = buf.subarray(s, e).indexOf(0x3a);
    if (colon < 0) return buf.toString("utf8", s, Math.min(e, s + 160)).slice(0, 40);
    const semi = buf.subarray(s, s + colon).indexOf(0x3b);
    return buf.toString("utf8", s, s + (semi > 0 ? semi : colon)).toLowerCase();
  };

  /** Reads a logical line on the fast path; false when it needs the full one. */
  const fast = (buf: Buffer, s: number, e: number, name: string): boolean => {
    let p = s + name.length;
    // Attribute options (objectGUID;binary): [A-Za-z0-9-=]+ after each ';'.
    while (p < e && buf[p] === 0x3b) {
      const q = ++p;
      while (p < e) {
        const c = lower(buf[p]!);
        if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x3d)) break;
        p++;
      }
      if (p === q) return false;
    }
    if (p >= e || buf[p] !== 0x3a) return false;
    p++;
    const b64 = p < e && buf[p] === 0x3a;
    if (b64) p++;
    else if (p < e && buf[p] === 0x3c) return false; // a URL value: the full path refuses it
    if (p < e && buf[p] === 0x20) p++;
    for (let i = p; i < e; i++) {
      const c = buf[i]!;
      if (c < 0x20 || c > 0x7e) return false;
    }
    let value: string | Buffer;
    if (b64) {
      if (!isBase64(buf, p, e)) return false;
      const bytes = base64Bytes(buf, p, e);
      if (binary.has(name)) value = bytes;
      else if (isUtf8(bytes)) value = bytes.toString("utf8");
      else return false;
    } else if (binary.has(name)) value = Buffer.from(buf.subarray(p, e));
    else value = (name === "objectclass" && COMMON_CLASSES.get(buf, p, e)) || buf.toString("latin1", p, e);
    if (name === "dn") {
      if (b.dn !== undefined || b.other) return false;
      b.startEntry(typeof value === "string" ? value : value.toString("utf8"), currentLine);
      return true;
    }
    if (!b.inEntry) return false;
    b.attr(name, value);
    return true;
  };

  /** The logical line is complete: read it. */
  const finish = () => {
    let buf = pBuf!;
    let s = pS;
    let e = pE;
    if (folded) {
      buf = Buffer.concat(folded, partBytes);
      s = 0;
      e = buf.length;
      folded = undefined;
    }
    pBuf = undefined;
    if (currentName === undefined || !fast(buf, s, e, currentName)) b.take(buf.toString("utf8", s, e), currentLine);
  };

  const tooLongChars = (buf: Buffer, s: number, e: number, max: number) =>
    e - s > max && buf.toString("utf8", s, e).length > max;

  /** One physical line, b[s, e) without its LF. */
  const line = (buf: Buffer, s: number, eLf: number) => {
    n++;
    if (eLf - s > maxLine + 1 && tooLongChars(buf, s, eLf, maxLine + 1)) throw new LineTooLongError(n, maxLine);
    const e = eLf > s && buf[eLf - 1] === 0x0d ? eLf - 1 : eLf;
    const c0 = e > s ? buf[s]! : -1;
    if (c0 === 0x20) {
      if (inComment || skipping) return;
      if (!pBuf) throw new LdifSyntaxError("continuation line without a line to continue", n);
      if (!folded) {
        folded = [pBuf.subarray(pS, pE)];
        partBytes = pE - pS;
      }
      const parts = folded;
      if (partBytes + e - s - 1 > maxValue) {
        const text = Buffer.concat([...parts, buf.subarray(s + 1, e)]).toString("utf8");
        if (text.length > maxValue)
          throw tooLong(currentName ?? decodeName(parts[0]!, 0, parts[0]!.length), currentLine, maxValue);
      }
      parts.push(buf.subarray(s + 1, e));
      partBytes += e - s - 1;
      return;
    }
    if (pBuf) finish();
    skipping = false;
    if (c0 === 0x23) {
      inComment = true;
      if (e - s >= 3 && buf[s + 1] === 0x20) b.comment(buf.toString("utf8", s, e), n);
      return;
    }
    inComment = false;
    // The name ends at the first ':' (or at a ';' before it); names are short, a loop beats a native search.
    let colon = -1;
    let semi = -1;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if (c === 0x3a) {
        colon = i;
        break;
      }
      if (c === 0x3b && semi < 0) semi = i;
    }
    if (colon < 0 && (e === s || buf.toString("utf8", s, e).trim() === "")) {
      b.end();
      return;
    }
    currentName = undefined;
    if (colon > s) {
      const nameEnd = semi > s ? semi : colon;
      const hit = known.entry(buf, s, nameEnd);
      if (hit === undefined ? keep !== undefined : hit.skip) {
        if (!b.inEntry) {
          throw new LdifSyntaxError(`a record must start with dn:, found ${decodeName(buf, s, e)}`, n);
        }
        skipping = true;
        return;
      }
      if (hit?.fast) currentName = hit.name;
    }
    if (tooLongChars(buf, s, e, maxValue)) throw tooLong(currentName ?? decodeName(buf, s, e), n, maxValue);
    pBuf = buf;
    pS = s;
    pE = e;
    currentLine = n;
  };

  /** A block of whole lines, b[s, e) ending with a LF. */
  const block = (buf: Buffer, s: number, e: number) => {
    const bytes = buf.subarray(s, e);
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes);
      let line = n + 1;
      for (let i = bytes.indexOf(0x0a); i >= 0 && i < at; i = bytes.indexOf(0x0a, i + 1)) line++;
      throw new LdifEncodingError(line, offset + at, false);
    }
    let pos = s;
    for (let nl = buf.indexOf(0x0a, pos); nl >= 0 && nl < e; nl = buf.indexOf(0x0a, pos)) {
      line(buf, pos, nl);
      pos = nl + 1;
    }
    offset += e - s;
  };

  let carry: Buffer | undefined; // the start of a line that goes on in the next chunk
  for await (const chunk of withoutBom(chunks, () => {
    offset = 3;
  })) {
    if (!chunk.length) continue;
    stats.bytes += chunk.length;
    stats.endsWithNewline = chunk[chunk.length - 1] === 0x0a;
    let start = 0;
    if (carry) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        if (carry.length > 3 * (maxLine + 1)) throw new LineTooLongError(n + 1, maxLine);
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      carry = undefined;
      block(joined, 0, joined.length);
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= start) {
      block(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < chunk.length) {
      carry = Buffer.from(chunk.subarray(start));
      if (carry.length > 3 * (maxLine + 1)) throw new LineTooLongError(n + 1, maxLine);
    }
    // The pending logical line must not depend on the chunk staying as it is.
    if (folded) folded = [Buffer.concat(folded, partBytes)];
    else if (pBuf) {
      pBuf = Buffer.from(pBuf.subarray(pS, pE));
      pS = 0;
      pE = pBuf.length;
    }
    if (done.length) yield done.splice(0);
  }
  if (carry) {
    // The file does not end with a line break: its last line is read all the same (the caller refuses the file).
    if (!isUtf8(carry)) {
      let cut = false;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(carry, { stream: true });
        cut = true;
      } catch {
        // a byte sequence UTF-8 forbids
      }
      throw new LdifEncodingError(n + 1, offset + firstInvalidUtf8(carry), cut);
    }
    line(carry, 0, carry.length);
  }
  if (pBuf) finish();
  b.end();
  if (done.length) yield done.splice(0);
}
