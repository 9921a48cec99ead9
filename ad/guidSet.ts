/**
 * A set of GUIDs kept as 16 bytes each (a HashSlots table, ./hashSlots.ts), each with a number the caller gives it (a
 * line, a place in a file), for the readers' duplicate checks: at a million entries a Map keyed by GUID strings costs
 * about 130 bytes an entry and keeps each string alive; this costs about 40 (docs/benchmarks.md, "A million users").
 */
import { HashSlots } from "./hashSlots";
import { guidStringToBytes } from "./ids";
import { doubled } from "./typedArrays";

/** Where each byte's two hex digits sit in a canonical GUID string, bytes in .NET order (./ids.ts). */
const GUID_DIGITS = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];
const hex = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

export class GuidSet {
  readonly #slots = new HashSlots();
  #bytes = new Uint8Array(1 << 15);

  /**
   * Adds `guid` with `tag` and returns -1, or returns the tag it was first added with. A GUID in canonical form
   * (lower-case hex, no braces) is read digit by digit; any other spelling is parsed (`loose`, and then upper case,
   * braces and surrounding blanks name the same GUID) or, without `loose`, left out: the result is undefined and
   * the caller keeps such values its own way.
   */
  add(guid: string, tag: number, loose: boolean): number | undefined {
    const at = this.#slots.size * 16;
    if (at + 16 > this.#bytes.length) this.#bytes = doubled(this.#bytes);
    const b = this.#bytes;
    if (!this.#canonical(guid, b, at)) {
      if (!loose) return undefined;
      b.set(guidStringToBytes(guid), at);
    }
    let h = 0x811c9dc5;
    for (let i = at; i < at + 16; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const k = this.#slots.find(h, (e) => {
      for (let i = 0; i < 16; i++) if (b[e * 16 + i] !== b[at + i]) return false;
      return true;
    });
    if (k >= 0) return this.#slots.value(k);
    this.#slots.add(h, tag);
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
}
