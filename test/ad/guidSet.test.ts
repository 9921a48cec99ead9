import { describe, expect, it } from "vitest";
import { GuidSet } from "../../ad/guidSet";

const guid = (i: number) => `a10577a4-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

describe("GuidSet", () => {
  it("gives the first tag of a GUID seen before, over many entries and large tags", () => {
    const s = new GuidSet();
    for (let i = 0; i < 100_000; i++) expect(s.add(guid(i), i * 2 ** 24, false)).toBe(-1);
    expect(s.add(guid(77_777), 1, false)).toBe(77_777 * 2 ** 24);
    expect(s.add(guid(100_000), 1, false)).toBe(-1);
  });

  it("leaves out other spellings unless loose, and then reads them as the same GUID", () => {
    const s = new GuidSet();
    s.add(guid(5), 5, false);
    expect(s.add(guid(5).toUpperCase(), 6, false)).toBeUndefined();
    expect(s.add(`{${guid(5).toUpperCase()}}`, 6, true)).toBe(5);
    // 36 characters with hex where the dashes go is not a canonical GUID
    expect(s.add(guid(5).replaceAll("-", "0"), 7, false)).toBeUndefined();
    expect(() => s.add("not-a-guid", 8, true)).toThrow(/not a GUID string/);
  });
});
