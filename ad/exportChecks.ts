/**
 * The duplicate check of the export readers (./ldifFileSource.ts, ./csvFileSource.ts): the second entry with the
 * same DN or objectGUID is refused, naming the line of the first (a file written twice into, or two exports joined).
 *
 * It remembers every entry of the file, so at a million users it is a large part of what the read holds while it
 * runs (docs/benchmarks.md, "A million users"). Two Maps keyed by the DN and GUID strings cost about 130 bytes an entry
 * and kept a GUID string per entry alive; here each entry is a slot in an open-addressing table of entry numbers
 * (typed arrays), its hash and its line, the DN string the reader keeps anyway, and the GUID's 16 bytes: about 60 bytes.
 */
import { AdReadError } from "./errors";
import { guidStringToBytes } from "./ids";
import type { AdUser } from "./types";

const EMPTY = -1;

/** FNV-1a over a string's UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** FNV-1a over 16 bytes. */
function hashBytes(b: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = at; i < at + 16; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

function grown(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Entry numbers by hash; the caller tells equal entries apart (probing from `start`). */
class Slots {
  table = new Int32Array(1 << 12).fill(EMPTY);
  mask = (1 << 12) - 1;
  hashes = new Int32Array(1 << 11);
  lines = new Int32Array(1 << 11);
  size = 0;

  /** Adds the next entry (number `size`) with its hash and line. */
  add(h: number, line: number): void {
    const k = this.size++;
    this.hashes = grown(this.hashes, this.size);
    this.lines = grown(this.lines, this.size);
    this.hashes[k] = h;
    this.lines[k] = line;
    if (this.size * 2 > this.table.length) this.#rehash();
    else this.#place(k);
  }

  #place(k: number): void {
    let j = this.hashes[k]! & this.mask;
    while (this.table[j] !== EMPTY) j = (j + 1) & this.mask;
    this.table[j] = k;
  }

  #rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(EMPTY);
    this.mask = this.table.length - 1;
    for (let k = 0; k < this.size; k++) this.#place(k);
  }
}

/** Where each byte's two hex digits sit in a canonical GUID string, bytes in .NET order (./ids.ts). */
const GUID_DIGITS = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];
const hex = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

export class DuplicateCheck {
  readonly #dn = new Slots();
  readonly #dns: string[] = [];
  readonly #guid = new Slots();
  #guids = new Uint8Array(1 << 15);

  constructor(readonly path: string) {}

  check(u: AdUser, line: number): void {
    const path = this.path;
    const dn = u.distinguishedName;
    const h = hashString(dn);
    const d = this.#dn;
    for (let j = h & d.mask, k = d.table[j]!; k !== EMPTY; j = (j + 1) & d.mask, k = d.table[j]!) {
      if (d.hashes[k] === h && this.#dns[k] === dn) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${path}:${line}`,
          `${dn} appears twice (first at ${path}:${d.lines[k]})`,
          "Export each OU once into its own file or one search over a common parent; do not append to an old export",
        );
      }
    }
    this.#dns.push(dn);
    d.add(h, line);
    if (!u.objectGuid) return;
    const g = this.#guid;
    const at = g.size * 16;
    if (at + 16 > this.#guids.length) {
      const b = new Uint8Array(this.#guids.length * 2);
      b.set(this.#guids);
      this.#guids = b;
    }
    const guids = this.#guids;
    this.#guidBytes(u.objectGuid, guids, at);
    const gh = hashBytes(guids, at);
    for (let j = gh & g.mask, k = g.table[j]!; k !== EMPTY; j = (j + 1) & g.mask, k = g.table[j]!) {
      if (g.hashes[k] !== gh) continue;
      let same = true;
      for (let i = 0; i < 16 && same; i++) same = guids[k * 16 + i] === guids[at + i];
      if (same) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${path}:${line}`,
          `objectGUID ${u.objectGuid} of ${dn} appears twice (first at ${path}:${g.lines[k]}): the same object under two DNs`,
          "Export once, from one DC, and do not join exports taken at different times",
        );
      }
    }
    g.add(gh, line);
  }

  /** The 16 bytes of a GUID string into `out` at `at`: the canonical form (what the mapping writes) digit by digit. */
  #guidBytes(s: string, out: Uint8Array, at: number): void {
    if (s.length === 36) {
      let ok = true;
      for (let k = 0; k < 16 && ok; k++) {
        const p = GUID_DIGITS[k]!;
        const hi = hex(s.charCodeAt(p));
        const lo = hex(s.charCodeAt(p + 1));
        if (hi < 0 || lo < 0) ok = false;
        else out[at + k] = (hi << 4) | lo;
      }
      if (ok) return;
    }
    out.set(guidStringToBytes(s), at);
  }
}
