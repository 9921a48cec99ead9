/**
 * Records of text fields packed into shared byte chunks, outside the JS heap: each field is its UTF-8 bytes after a
 * length, and each record has a start and a byte of flags.
 *
 * Why: a user kept as an object with a string per field costs about 500 bytes of heap a side, and every full
 * garbage collection walks all of it; at a million users both sides' objects alone were over 1 GB
 * (docs/benchmarks.md, "A million users"). Packed, a record costs its text plus about ten bytes, and the
 * collector sees a few dozen chunks. A field is decoded to a string only when it is asked for, and compared or
 * hashed on its bytes without being decoded.
 *
 * It lives in ad/ as the lowest layer that uses it: the export readers' duplicate check keeps its DNs in one
 * (./exportChecks.ts), the gap analysis both sides' users (gap/records/).
 *
 * Text that is not well-formed UTF-16 (a lone surrogate, which only a JSON escape can make) is kept with U+FFFD in
 * its place, as any UTF-8 writer keeps it.
 */
import { doubled } from "./typedArrays";

/** Bytes per chunk; a record longer than that gets a chunk of its own. */
const CHUNK = 4 * 1024 * 1024;

// A field's length code: 0 = undefined, 1 = null, n + 2 = n bytes of UTF-8 text (LEB128).
const UNDEFINED = 0;
const NULL = 1;

export type Field = string | null | undefined;

/** `s` as a field keeps it: the same, but a lone surrogate becomes U+FFFD (UTF-8 has no other way to write one). */
export function storedText(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}

function codeSize(code: number): number {
  let n = 1;
  while (code >= 0x80) {
    code = Math.floor(code / 0x80);
    n++;
  }
  return n;
}

export class PackedRecords {
  readonly #fields: number;
  readonly #chunks: Buffer[] = [];
  #chunk: Buffer = Buffer.allocUnsafeSlow(0);
  #used = 0;
  /** Per record: its chunk's number times CHUNK plus its offset (a float: past 4 GiB stays exact). */
  #starts = new Float64Array(1024);
  #flags = new Uint8Array(1024);
  #length = 0;
  /** One per field: the byte lengths of the record being written (no array per push). */
  readonly #lengths: Int32Array;

  /** `fields`: how many fields each record has. Put those read most first: reading one skips those before it. */
  constructor(fields: number) {
    this.#fields = fields;
    this.#lengths = new Int32Array(fields);
  }

  get length(): number {
    return this.#length;
  }

  /** Adds a record (`values` in field order, as many as the constructor said) and returns its number. */
  push(values: readonly Field[], flags = 0): number {
    const n = this.#fields;
    let size = 0;
    for (let f = 0; f < n; f++) {
      const v = values[f];
      const len = typeof v === "string" ? Buffer.byteLength(v, "utf8") : -1;
      this.#lengths[f] = len;
      const code = len < 0 ? (v === null ? NULL : UNDEFINED) : len + 2;
      size += Math.max(len, 0) + codeSize(code);
    }
    const i = this.#reserve(size, flags);
    const b = this.#chunk;
    let p = this.#used;
    for (let f = 0; f < n; f++) {
      const len = this.#lengths[f]!;
      let code = len < 0 ? (values[f] === null ? NULL : UNDEFINED) : len + 2;
      while (code >= 0x80) {
        b[p++] = (code & 0x7f) | 0x80;
        code = Math.floor(code / 0x80);
      }
      b[p++] = code;
      if (len > 0) p += b.write(values[f] as string, p, len, "utf8");
    }
    this.#used = p;
    return i;
  }

  /** Adds a copy of record `j` of `other` (a table of the same fields), bytes as they are; returns its number. */
  pushCopy(other: PackedRecords, j: number): number {
    const start = other.#starts[j]!;
    const from = start - Math.floor(start / CHUNK) * CHUNK;
    other.#locate(j, this.#fields - 1);
    const to = other.#p + Math.max(other.#code - 2, 0);
    const i = this.#reserve(to - from, other.#flags[j]!);
    other.#b.copy(this.#chunk, this.#used, from, to);
    this.#used += to - from;
    return i;
  }

  /** Room for a record of `size` bytes at #used of #chunk (a new chunk when needed); returns its number. */
  #reserve(size: number, flags: number): number {
    if (this.#used + size > this.#chunk.length) {
      this.#chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK, size));
      this.#chunks.push(this.#chunk);
      this.#used = 0;
    }
    const i = this.#length++;
    if (i === this.#starts.length) {
      this.#starts = doubled(this.#starts);
      this.#flags = doubled(this.#flags);
    }
    this.#starts[i] = (this.#chunks.length - 1) * CHUNK + this.#used;
    this.#flags[i] = flags;
    return i;
  }

  flags(i: number): number {
    return this.#flags[i]!;
  }

  // Where #locate found a field: its chunk, the offset of its text, its length code.
  #b: Buffer = this.#chunk;
  #p = 0;
  #code = 0;

  #locate(i: number, field: number): void {
    const start = this.#starts[i]!;
    const c = Math.floor(start / CHUNK);
    const b = this.#chunks[c]!;
    let p = start - c * CHUNK;
    for (let f = 0; ; f++) {
      let code = 0;
      let scale = 1;
      for (;;) {
        const byte = b[p++]!;
        code += (byte & 0x7f) * scale;
        if (byte < 0x80) break;
        scale *= 0x80;
      }
      if (f === field) {
        this.#b = b;
        this.#p = p;
        this.#code = code;
        return;
      }
      if (code > NULL) p += code - 2;
    }
  }

  /** Field `field` of record `i`. */
  get(i: number, field: number): Field {
    this.#locate(i, field);
    const code = this.#code;
    if (code === UNDEFINED) return undefined;
    if (code === NULL) return null;
    return this.#b.toString("utf8", this.#p, this.#p + code - 2);
  }

  /**
   * FNV-1a over the field's UTF-8 bytes, or -1 for no text (undefined, null, empty): lets a hash table find a value
   * without decoding it. Equal text hashes alike in any table.
   */
  hash(i: number, field: number): number {
    this.#locate(i, field);
    if (this.#code <= 2) return -1;
    const b = this.#b;
    const end = this.#p + this.#code - 2;
    let h = 0x811c9dc5;
    for (let p = this.#p; p < end; p++) h = Math.imul(h ^ b[p]!, 0x01000193);
    return h >>> 1; // never -1
  }

  /** Whether field `field` of record `i` is the same as field `otherField` of record `j` of `other` (or this). */
  same(i: number, field: number, other: PackedRecords, j: number, otherField: number): boolean {
    this.#locate(i, field);
    const a = this.#b;
    const pa = this.#p;
    const n = this.#code;
    other.#locate(j, otherField);
    if (n !== other.#code) return false;
    if (n <= 2) return true;
    const b = other.#b;
    const pb = other.#p;
    for (let k = 0; k < n - 2; k++) if (a[pa + k] !== b[pb + k]) return false;
    return true;
  }

  /** Bytes held: the chunks allocated and the per-record arrays. */
  get bytes(): number {
    return this.#chunks.reduce((n, c) => n + c.length, 0) + this.#starts.byteLength + this.#flags.byteLength;
  }
}

/**
 * A table of one kind of record on PackedRecords: `push` packs a record, `at(i)` gives it back as an object; the
 * fields are read one by one through `packed` (the join) or the subclass's getters.
 */
export abstract class RecordTable<T> implements Iterable<T> {
  readonly #t: PackedRecords;
  /** The row being packed: one array for every push. */
  protected readonly row: Field[];

  protected constructor(fields: number) {
    this.#t = new PackedRecords(fields);
    this.row = new Array(fields);
  }

  /** Packs `row` (filled by the subclass's push) with `flags`. */
  protected add(flags: number): void {
    this.#t.push(this.row, flags);
  }

  abstract push(record: T): void;
  abstract at(i: number): T;

  get length(): number {
    return this.#t.length;
  }

  /** The table itself, for comparisons on bytes (the field numbers are the subclass's module's). */
  get packed(): PackedRecords {
    return this.#t;
  }

  toArray(): T[] {
    return [...this];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
