/**
 * Entries found by hash in an open-addressing table of typed arrays, each holding a number (its value): the one hash
 * table under the readers' duplicate checks (./exportChecks.ts, ./guidSet.ts) and the join's key index
 * (gap/join.ts). At a million entries a Map keyed by strings costs about twice the memory and time, and keeps every
 * key string alive (docs/benchmarks.md, "A million users"); here the caller keeps its keys its own way and says, for
 * an entry, whether it holds the key looked for. It lives in ad/ as the lowest layer that needs it (gap/ reads ad/).
 */
import { doubled } from "./typedArrays";

const FREE = -1;

/** FNV-1a over a string's UTF-16 code units; never negative (callers use -1 for "no key"). */
export function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 1;
}

export class HashSlots {
  #size = 0;
  #hashes = new Int32Array(1 << 10);
  #values = new Float64Array(1 << 10);
  #slots = new Int32Array(1 << 11).fill(FREE);
  #mask = (1 << 11) - 1;

  get size(): number {
    return this.#size;
  }

  /** The entry of hash `h` (any 32-bit integer) that `same` accepts, or -1. */
  find(h: number, same: (entry: number) => boolean): number {
    h |= 0;
    const slots = this.#slots;
    for (let j = h & this.#mask; ; j = (j + 1) & this.#mask) {
      const k = slots[j]!;
      if (k === FREE || (this.#hashes[k] === h && same(k))) return k;
    }
  }

  /** Adds an entry of hash `h` holding `value`; returns its number (the entries are numbered 0, 1, 2, …). */
  add(h: number, value: number): number {
    const k = this.#size++;
    if (k === this.#hashes.length) {
      this.#hashes = doubled(this.#hashes);
      this.#values = doubled(this.#values);
    }
    this.#hashes[k] = h | 0;
    this.#values[k] = value;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
    else this.#place(k);
    return k;
  }

  value(k: number): number {
    return this.#values[k]!;
  }

  setValue(k: number, value: number): void {
    this.#values[k] = value;
  }

  #place(k: number): void {
    const slots = this.#slots;
    let j = this.#hashes[k]! & this.#mask;
    while (slots[j] !== FREE) j = (j + 1) & this.#mask;
    slots[j] = k;
  }

  #rehash(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(FREE);
    this.#mask = this.#slots.length - 1;
    for (let k = 0; k < this.#size; k++) this.#place(k);
  }
}
