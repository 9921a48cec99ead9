import { describe, expect, it } from "vitest";
import { EntraUsersById } from "../../../gap/records/entraById";
import type { EntraUser } from "../../../gap/types";
import { prng } from "../../fixtures/ad/seedData";

const user = (n: number, mobile: string | null = null): EntraUser => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  userPrincipalName: `u${n}@corp.example`,
  mobilePhone: mobile,
  onPremisesImmutableId: `imm-${n}`,
  onPremisesSyncEnabled: true,
  accountEnabled: true,
});

describe("EntraUsersById", () => {
  it("adds, replaces and removes users by id, and gives the ones there now in the order their ids first came", () => {
    const set = new EntraUsersById();
    for (let n = 0; n < 5; n++) set.set(user(n));
    // nothing replaced: the table itself, in order
    expect(
      set
        .users()
        .toArray()
        .map((u) => u.userPrincipalName),
    ).toEqual([0, 1, 2, 3, 4].map((n) => `u${n}@corp.example`));
    set.set(user(1, "+1 425 555 0101"));
    set.delete(user(3).id);
    set.delete(user(3).id); // twice: still gone once
    set.delete("not-there");
    set.set(user(5));
    set.delete(user(0).id);
    set.set(user(0, "+1 425 555 0100")); // back, in its first place
    expect(set.size).toBe(5);
    expect(set.get(user(3).id)).toBeUndefined();
    expect(set.get(user(1).id)?.mobilePhone).toBe("+1 425 555 0101");
    const now = set.users().toArray();
    expect(now.map((u) => [u.userPrincipalName, u.mobilePhone])).toEqual([
      ["u0@corp.example", "+1 425 555 0100"],
      ["u1@corp.example", "+1 425 555 0101"],
      ["u2@corp.example", null],
      ["u4@corp.example", null],
      ["u5@corp.example", null],
    ]);
    expect(now[0]).toEqual(user(0, "+1 425 555 0100")); // every field, as set
  });

  it("an id with a lone surrogate (kept as U+FFFD) is still found again", () => {
    const set = new EntraUsersById();
    const odd = { ...user(1), id: "id-\ud800" };
    set.set(odd);
    set.set({ ...odd, mobilePhone: "+1 425 555 0199" });
    expect(set.size).toBe(1);
    expect(set.get("id-\ud800")?.mobilePhone).toBe("+1 425 555 0199");
    set.delete("id-\ud800");
    expect(set.size).toBe(0);
    expect(set.users().length).toBe(0);
  });

  it("holds what a Map by id holds after the same random changes", () => {
    const random = prng(17);
    const set = new EntraUsersById();
    const map = new Map<string, EntraUser>();
    for (let step = 0; step < 20_000; step++) {
      const n = Math.floor(random() * 3_000);
      const r = random();
      if (r < 0.2) {
        set.delete(user(n).id);
        map.delete(user(n).id);
      } else {
        const u = user(n, r < 0.6 ? `+1 425 555 ${String(step % 10_000).padStart(4, "0")}` : null);
        set.set(u);
        map.set(u.id, u);
      }
      if (step % 5_000 === 0) expect(set.size).toBe(map.size);
    }
    expect(set.size).toBe(map.size);
    const byId = (a: EntraUser, b: EntraUser) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    expect(set.users().toArray().sort(byId)).toEqual([...map.values()].sort(byId));
    for (const [id, u] of map) expect(set.get(id)).toEqual(u);
  });
});
