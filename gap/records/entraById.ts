/**
 * The synced Entra ID users of a delta round, by id: the snapshot's users (or an initial round's), with Graph's
 * changes applied as they come, packed as a full read packs them (./entra.ts) instead of a Map of user objects — at a
 * million users that Map and an initial round's list of raw changes held more than a full read does
 * (docs/benchmarks.md, "Delta at a million users").
 *
 * A change adds a new record and points the id at it; the record it replaces stays in the table unread until
 * `users()` copies the current ones out (their bytes as they are, no decoding).
 */
import { HashSlots, hashText } from "../../ad/hashSlots";
import { storedText } from "../../ad/packedRecords";
import type { EntraUser } from "../types";
import { EntraUsers } from "./entra";

/** The id as the table keeps it (a lone surrogate, which only a JSON escape can make, is kept as U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/;
const key = (id: string) => (LONE_SURROGATE.test(id) ? storedText(id) : id);

export class EntraUsersById {
  readonly #table = new EntraUsers();
  /** One entry per id, numbered in the order the ids first came: its latest record r, or -r - 1 once removed. */
  readonly #ids = new HashSlots();
  #size = 0;

  /** Users there now. */
  get size(): number {
    return this.#size;
  }

  #entry(id: string): number {
    return this.#ids.find(hashText(id), (k) => {
      const v = this.#ids.value(k);
      return this.#table.id(v < 0 ? -v - 1 : v) === id;
    });
  }

  get(id: string): EntraUser | undefined {
    const k = this.#entry(key(id));
    const v = k < 0 ? -1 : this.#ids.value(k);
    return v < 0 ? undefined : this.#table.at(v);
  }

  /** Adds the user, or replaces the one with its id. */
  set(user: EntraUser): void {
    const id = key(user.id);
    const k = this.#entry(id);
    const r = this.#table.length;
    this.#table.push(user);
    if (k < 0) {
      this.#ids.add(hashText(id), r);
      this.#size++;
      return;
    }
    if (this.#ids.value(k) < 0) this.#size++;
    this.#ids.setValue(k, r);
  }

  delete(id: string): void {
    const k = this.#entry(key(id));
    const v = k < 0 ? -1 : this.#ids.value(k);
    if (v < 0) return;
    this.#ids.setValue(k, -v - 1);
    this.#size--;
  }

  /** The users there now, each once, in the order their ids first came: the table itself when nothing was replaced. */
  users(): EntraUsers {
    if (this.#size === this.#table.length) return this.#table;
    const out = new EntraUsers();
    for (let k = 0; k < this.#ids.size; k++) {
      const v = this.#ids.value(k);
      if (v >= 0) out.packed.pushCopy(this.#table.packed, v);
    }
    return out;
  }
}
