/**
 * The duplicate check of the export readers (./ldifFileSource.ts, ./csvFileSource.ts): the second entry with the
 * same DN or objectGUID is refused, naming the line of the first (a file written twice into, or two exports joined).
 *
 * It remembers every entry of the file, so at a million users it is a large part of what the read holds while it
 * runs (docs/benchmarks.md, "A million users"). Two Maps keyed by the DN and GUID strings cost about 130 bytes an entry;
 * here each DN is an entry of a HashSlots table (./hashSlots.ts) holding its line, its text packed
 * (./packedRecords.ts), and each GUID its 16 bytes in a GuidSet (./guidSet.ts).
 */
import { AdReadError } from "./errors";
import { GuidSet } from "./guidSet";
import { HashSlots, hashText } from "./hashSlots";
import { PackedRecords, storedText } from "./packedRecords";
import type { AdUser } from "./types";

export class DuplicateCheck {
  /** DN entries by hash, each holding its line; entry k's DN is record k of #dns (bytes, not a string each). */
  readonly #dn = new HashSlots();
  readonly #dns = new PackedRecords(1);
  readonly #row: string[] = [""];
  readonly #guids = new GuidSet();

  constructor(readonly path: string) {}

  check(u: AdUser, line: number): void {
    const path = this.path;
    const dn = u.distinguishedName;
    const h = hashText(dn);
    // on a hash hit only: the DN as the table keeps it, so that a DN with a lone surrogate still meets its duplicate
    const k = this.#dn.find(h, (e) => this.#dns.get(e, 0) === storedText(dn));
    if (k >= 0) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        `${path}:${line}`,
        `${dn} appears twice (first at ${path}:${this.#dn.value(k)})`,
        "Export each OU once into its own file or one search over a common parent; do not append to an old export",
      );
    }
    this.#row[0] = dn;
    this.#dns.push(this.#row);
    this.#dn.add(h, line);
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
