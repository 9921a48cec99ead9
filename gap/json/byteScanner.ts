/**
 * Walking a large JSON document in its bytes, a chunk at a time: whitespace, strings with their escapes, the end of
 * each nested value, the commas, colons and brackets between values. Each value is handed out as its byte span, which
 * the caller decodes with JSON.parse on its own, so the document is never one string: it may be larger than V8's
 * longest string (~512 MiB). The scanner checks the structure between the spans; JSON.parse checks each span, so
 * together they accept exactly the JSON the spans hold.
 *
 * Two readers use it: the Graph JSON export (gap/entra/jsonExport.ts, the hot path of a million-user read: it phrases
 * its own messages from what the scanner found) and an earlier gap report (gap/reports/comparison.ts, through
 * forEachMember and forEachElement, which fail with a JsonScanError).
 */
import { readSync } from "node:fs";
import { doubled } from "../../ad/typedArrays";

/** The next chunk of the document, never empty; undefined at the end. */
export type ChunkSource = () => Buffer | undefined;

/** A file's bytes from `start`, a chunk at a time (each a new Buffer). */
export function fileChunks(fd: number, start = 0, size = 1024 * 1024): ChunkSource {
  let pos = start;
  return () => {
    const chunk = Buffer.allocUnsafe(size);
    const n = readSync(fd, chunk, 0, size, pos);
    pos += n;
    return n ? chunk.subarray(0, n) : undefined;
  };
}

/** A Buffer held whole, as one chunk. */
export function bufferChunks(buf: Buffer): ChunkSource {
  let done = false;
  return () => {
    if (done || !buf.length) return undefined;
    done = true;
    return buf;
  };
}

/** UTF-16 chunks transcoded to UTF-8 ones; `invalid` is called (and must throw) on a lone surrogate or a cut one. */
export function utf16Chunks(raw: ChunkSource, encoding: "utf-16le" | "utf-16be", invalid: () => never): ChunkSource {
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let ended = false;
  return () => {
    while (!ended) {
      const chunk = raw();
      if (!chunk) ended = true;
      let text: string;
      try {
        text = chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
      } catch {
        invalid();
      }
      if (text) return Buffer.from(text, "utf8");
    }
    return undefined;
  };
}

/**
 * Where JSON.parse's error `message` (its "position N") is in the document, for a span `text` that starts at
 * `line`, `column`: "line L column C".
 */
export function placeInSpan(text: string, message: string, line: number, column: number): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return `line ${line} column ${column}`;
  const p = Math.min(Number(m[1]), text.length);
  let lastNl = -1;
  for (let i = text.indexOf("\n"); i >= 0 && i < p; i = text.indexOf("\n", i + 1)) {
    line++;
    lastNl = i;
  }
  return `line ${line} column ${lastNl < 0 ? column + p : p - lastNl}`;
}

/** Why span() found no value: none where one was expected, larger than allowed, or the document ends inside it. */
export type SpanProblem = "noValue" | "tooLarge" | "cut";

/** separator(): a comma (consumed, another value follows), the closing bracket (consumed), or something else. */
export const COMMA = 1;
export const CLOSED = 0;
export const NEITHER = -1;

/**
 * A synchronous byte scanner over a document's chunks, keeping the line and column of its position for messages.
 */
export class ByteScanner {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Line (1-based) at `pos`, and the absolute offset where that line starts. */
  line = 1;
  lineStart = 0;
  /** Absolute offset of buf[0] in the document. */
  base = 0;
  eof = false;
  /** The last span's start: line, column and absolute offset; whether it reached its end; its size so far. */
  spanLine = 1;
  spanCol = 1;
  spanStart = 0;
  spanDone = false;
  spanSize = 0;
  /** Whether the last span, cut, was cut inside a string. */
  spanInString = false;
  /** Absolute offset of the first closing bracket of the last span that does not close its opening one, or -1. */
  mismatch = -1;
  mismatchByte = 0;
  /** The last span's first byte. */
  spanFirst = 0;
  #closers = new Uint8Array(64);

  constructor(public next: ChunkSource) {}

  /** Replaces the buffer with the next chunk (slices of the old one stay valid). False at the end. */
  fill(): boolean {
    if (this.eof) return false;
    this.base += this.buf.length;
    this.pos = 0;
    const chunk = this.next();
    if (!chunk) {
      this.buf = Buffer.alloc(0);
      this.eof = true;
      return false;
    }
    this.buf = chunk;
    return true;
  }

  /** Absolute offset of `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  where(): string {
    return `line ${this.line} column ${this.offset - this.lineStart + 1}`;
  }

  /** The next byte without consuming it, -1 at the end. */
  peek(): number {
    if (this.pos >= this.buf.length && !this.fill()) return -1;
    return this.buf[this.pos]!;
  }

  /** Skips JSON whitespace. */
  ws(): void {
    for (;;) {
      if (this.pos >= this.buf.length && !this.fill()) return;
      const c = this.buf[this.pos]!;
      if (c === 0x0a) {
        this.line++;
        this.lineStart = this.offset + 1;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return;
      this.pos++;
    }
  }

  /**
   * After an element of an array (`close` 0x5d) or a member of an object (0x7d), past whitespace: COMMA or CLOSED
   * (consumed), else NEITHER (peek() gives what is there).
   */
  separator(close: number): number {
    this.ws();
    const c = this.peek();
    if (c === 0x2c) {
      this.pos++;
      return COMMA;
    }
    if (c === close) {
      this.pos++;
      return CLOSED;
    }
    return NEITHER;
  }

  /** Consumes `c` past whitespace; false (nothing consumed, peek() gives what is there) if another byte comes. */
  expect(c: number): boolean {
    this.ws();
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  /**
   * The next JSON value (object, array, string or scalar) as its bytes, at most `max` of them, tracking lines; or why
   * there is none. The span's place and state are left in the span* fields and `mismatch`.
   */
  span(max: number): Buffer | SpanProblem {
    this.ws();
    this.spanLine = this.line;
    this.spanCol = this.offset - this.lineStart + 1;
    this.spanStart = this.offset;
    this.mismatch = -1;
    const parts: Buffer[] = [];
    let closers = this.#closers;
    let size = 0;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let scalar = false;
    let done = false;
    let first = true;
    while (!done) {
      if (this.pos >= this.buf.length && !this.fill()) break;
      const buf = this.buf;
      const len = buf.length;
      const from = this.pos;
      let i = from;
      if (first) {
        const c = buf[i]!;
        this.spanFirst = c;
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) {
          closers[0] = c + 2; // { → }, [ → ]
          depth = 1;
        } else scalar = true;
        i++;
        first = false;
        if (scalar && (c === 0x2c || c === 0x5d || c === 0x7d)) return "noValue";
      }
      for (; i < len; i++) {
        const c = buf[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) {
            inString = false;
            if (depth === 0) {
              i++;
              done = true;
              break;
            }
          }
        } else if (scalar) {
          if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            done = true;
            break;
          }
        } else if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) {
          if (depth === closers.length) this.#closers = closers = doubled(closers);
          closers[depth++] = c + 2;
        } else if (c === 0x7d || c === 0x5d) {
          if (closers[--depth] !== c && this.mismatch < 0) {
            this.mismatch = this.base + i;
            this.mismatchByte = c;
          }
          if (depth === 0) {
            i++;
            done = true;
            break;
          }
        } else if (c === 0x0a) {
          this.line++;
          this.lineStart = this.base + i + 1;
        }
      }
      size += i - from;
      this.spanSize = size;
      this.spanDone = done;
      if (size > max) return "tooLarge";
      parts.push(buf.subarray(from, i));
      this.pos = i;
    }
    this.spanSize = size;
    this.spanDone = done;
    this.spanInString = inString;
    if (!done && !scalar) return "cut";
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  }
}

/** The structure around the spans is not JSON (forEachMember, forEachElement); the message names the byte. */
export class JsonScanError extends Error {
  override name = "JsonScanError";
}

/** span(), or a JsonScanError saying why there is no value. */
function spanOrFail(r: ByteScanner): Buffer {
  const s = r.span(Number.MAX_SAFE_INTEGER);
  if (r.mismatch >= 0) {
    throw new JsonScanError(`a mismatched ${String.fromCharCode(r.mismatchByte)} at byte ${r.mismatch}`);
  }
  if (typeof s !== "string") return s;
  if (s === "noValue" || r.spanSize === 0) throw new JsonScanError(`no value at byte ${r.spanStart}`);
  if (r.spanInString) throw new JsonScanError(`an unterminated string at byte ${r.spanStart}`);
  throw new JsonScanError(`an unclosed ${String.fromCharCode(r.spanFirst)} at byte ${r.spanStart}`);
}

/**
 * Calls `visit` with each member of the top-level object: its key, and a scanner standing at its value (which
 * `visit` reads with nextValue, or forEachElement). A UTF-8 byte-order mark is skipped; nothing may follow the object.
 */
export function forEachMember(r: ByteScanner, visit: (key: string) => void): void {
  if (r.peek() === 0xef) {
    // a UTF-8 byte-order mark
    for (const b of [0xef, 0xbb, 0xbf]) if (r.peek() === b) r.pos++;
  }
  if (!r.expect(0x7b)) throw new JsonScanError("not a JSON object");
  r.ws();
  if (r.peek() === 0x7d) r.pos++;
  else {
    for (;;) {
      r.ws();
      if (r.peek() !== 0x22) throw new JsonScanError(`a key expected at byte ${r.offset}`);
      const key = JSON.parse(spanOrFail(r).toString("utf8")) as string;
      if (!r.expect(0x3a)) throw new JsonScanError(`":" expected at byte ${r.offset}`);
      visit(key);
      const s = r.separator(0x7d);
      if (s === CLOSED) break;
      if (s !== COMMA) throw new JsonScanError(`"," or "}" expected at byte ${r.offset}`);
    }
  }
  r.ws();
  if (r.peek() >= 0) throw new JsonScanError(`text after the object at byte ${r.offset}`);
}

/** The next value's bytes (a JsonScanError if the structure is not JSON). */
export function nextValue(r: ByteScanner): Buffer {
  return spanOrFail(r);
}

/** The first byte of the next value, -1 at the end (whitespace skipped). */
export function nextByte(r: ByteScanner): number {
  r.ws();
  return r.peek();
}

/** Calls `visit` with the bytes of each element of the array the scanner stands at. */
export function forEachElement(r: ByteScanner, visit: (bytes: Buffer, index: number) => void): void {
  if (!r.expect(0x5b)) throw new JsonScanError("not an array");
  r.ws();
  if (r.peek() === 0x5d) {
    r.pos++;
    return;
  }
  for (let n = 0; ; n++) {
    visit(spanOrFail(r), n);
    const s = r.separator(0x5d);
    if (s === CLOSED) return;
    if (s !== COMMA) throw new JsonScanError(`"," or "]" expected at byte ${r.offset}`);
  }
}
