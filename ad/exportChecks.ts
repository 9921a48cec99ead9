/**
 * The duplicate check of the export readers (./ldifFileSource.ts, ./csvFileSource.ts): the second entry with the
 * same DN or objectGUID is refused, naming the line of the first (a file written twice into, or two exports joined).
 *
 * It remembers every entry of the file, so at a million users it is a large part of what the read holds while it
 * runs (docs/benchmarks.md, "A million users"). Two Maps keyed by the DN and GUID strings cost about 130 bytes an entry;
 * here each DN is a slot in an open-addressing table of entry numbers (typed arrays) with its hash, its line and the
 * DN string, and each GUID its 16 bytes in a GuidSet (./guidSet.ts).
 */
import { AdReadError } from "./errors";
import { GuidSet } from "./guidSet";
import type { AdUser } from "./types";

const EMPTY = -1;

/** FNV-1a over a string's UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
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

export class DuplicateCheck {
  readonly #dn = new Slots();
  readonly #dns: string[] = [];
  readonly #guids = new GuidSet();

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
    const first = this.#guids.add(u.objectGuid, line, true);
    if (first !== undefined && first >= 0) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        `${path}:${line}`,
        `objectGUID ${u.objectGuid} of ${dn} appears twice (first at ${path}:${first}): the same object under two DNs`,
        "Export once, from one DC, and do not join exports taken at different times",
      );
    }
  }
}
