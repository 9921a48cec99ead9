/**
 * A set of GUIDs kept as 16 bytes each in typed arrays (open addressing), each with a number the caller gives it
 * (a line, a place in a file), for the readers' duplicate checks: at a million entries a Map keyed by GUID strings
 * costs about 130 bytes an entry and keeps each string alive; this costs about 40 (docs/benchmarks.md,
 * "A million users").
 */
import { guidStringToBytes } from "./ids";

const EMPTY = -1;

/** Where each byte's two hex digits sit in a canonical GUID string, bytes in .NET order (./ids.ts). */
const GUID_DIGITS = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];
const hex = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

function grown<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(
  a: T,
  need: number,
): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class GuidSet {
  #table = new Int32Array(1 << 12).fill(EMPTY);
  #mask = (1 << 12) - 1;
  #hashes = new Int32Array(1 << 11);
  /** Floats: a place in a file of pages is past 2^31 (gap/entra/jsonExport.ts). */
  #tags = new Float64Array(1 << 11);
  #bytes = new Uint8Array(1 << 15);
  #size = 0;

  /**
   * Adds `guid` with `tag` and returns -1, or returns the tag it was first added with. A GUID in canonical form
   * (lower-case hex, no braces) is read digit by digit; any other spelling is parsed (`loose`, and then upper case,
   * braces and surrounding blanks name the same GUID) or, without `loose`, left out: the result is undefined and
   * the caller keeps such values its own way.
   */
  add(guid: string, tag: number, loose: boolean): number | undefined {
    const at = this.#size * 16;
    this.#bytes = grown(this.#bytes, at + 16);
    const b = this.#bytes;
    if (!this.#canonical(guid, b, at)) {
      if (!loose) return undefined;
      b.set(guidStringToBytes(guid), at);
    }
    let h = 0x811c9dc5;
    for (let i = at; i < at + 16; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    h |= 0;
    const mask = this.#mask;
    for (let j = h & mask, k = this.#table[j]!; k !== EMPTY; j = (j + 1) & mask, k = this.#table[j]!) {
      if (this.#hashes[k] !== h) continue;
      let same = true;
      for (let i = 0; i < 16 && same; i++) same = b[k * 16 + i] === b[at + i];
      if (same) return this.#tags[k]!;
    }
    const k = this.#size++;
    this.#hashes = grown(this.#hashes, this.#size);
    this.#tags = grown(this.#tags, this.#size);
    this.#hashes[k] = h;
    this.#tags[k] = tag;
    if (this.#size * 2 > this.#table.length) this.#rehash();
    else this.#place(k);
    return -1;
  }

  #canonical(s: string, out: Uint8Array, at: number): boolean {
    if (s.length !== 36) return false;
    for (let k = 0; k < 16; k++) {
      const p = GUID_DIGITS[k]!;
      const hi = hex(s.charCodeAt(p));
      const lo = hex(s.charCodeAt(p + 1));
      if (hi < 0 || lo < 0) return false;
      out[at + k] = (hi << 4) | lo;
    }
    return s[8] === "-" && s[13] === "-" && s[18] === "-" && s[23] === "-";
  }

  #place(k: number): void {
    let j = this.#hashes[k]! & this.#mask;
    while (this.#table[j] !== EMPTY) j = (j + 1) & this.#mask;
    this.#table[j] = k;
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2).fill(EMPTY);
    this.#mask = this.#table.length - 1;
    for (let k = 0; k < this.#size; k++) this.#place(k);
  }
}
