import { describe, expect, it } from "vitest";
import { type Field, PackedRecords, storedText } from "../../ad/packedRecords";

describe("PackedRecords", () => {
  it("gives back every field as it was pushed: undefined, null, empty, non-ASCII and long text", () => {
    const t = new PackedRecords(5);
    const long = "x".repeat(300); // a length past one LEB128 byte
    const rows: Field[][] = [
      ["a", undefined, null, "", "Zoë Ångström 🙂"],
      [undefined, undefined, undefined, undefined, undefined],
      [long, "\u0000", "lone \ud800 surrogate", null, "b"],
    ];
    for (const [i, r] of rows.entries()) t.push(r, i);
    expect(t.length).toBe(3);
    expect(storedText("lone \ud800 surrogate")).toBe("lone \ufffd surrogate");
    for (let i = 0; i < rows.length; i++) {
      for (let f = 0; f < 5; f++)
        expect(t.get(i, f)).toBe(rows[i]![f] === "lone \ud800 surrogate" ? "lone \ufffd surrogate" : rows[i]![f]);
      expect(t.flags(i)).toBe(i);
    }
  });

  it("spreads records over chunks and keeps a record larger than a chunk whole", () => {
    const t = new PackedRecords(2);
    const huge = "h".repeat(5 * 1024 * 1024);
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      t.push([`user-${i}`, "v".repeat(i % 200)]);
      if (i === 30_000) t.push([huge, "after"]);
    }
    expect(t.length).toBe(n + 1);
    expect(t.get(0, 0)).toBe("user-0");
    expect(t.get(30_001, 0)).toBe(huge);
    expect(t.get(30_001, 1)).toBe("after");
    expect(t.get(30_002, 0)).toBe("user-30001");
    expect(t.get(n, 0)).toBe(`user-${n - 1}`);
    expect(t.get(n, 1)).toBe("v".repeat((n - 1) % 200));
    // more than one chunk: the text alone is past 4 MiB
    expect(t.bytes).toBeGreaterThan(huge.length + 4 * 1024 * 1024);
  });

  it("hashes and compares fields on their bytes, within a table and across two", () => {
    const a = new PackedRecords(2);
    const b = new PackedRecords(3);
    a.push(["Zoë", undefined]);
    a.push(["", null]);
    b.push([undefined, "Zoë", null]);
    b.push([undefined, "Zoe", ""]);
    expect(a.same(0, 0, b, 0, 1)).toBe(true);
    expect(a.hash(0, 0)).toBe(b.hash(0, 1));
    expect(a.same(0, 0, b, 1, 1)).toBe(false);
    expect(a.same(0, 1, b, 0, 0)).toBe(true); // undefined and undefined
    expect(a.same(1, 1, b, 0, 2)).toBe(true); // null and null
    expect(a.same(0, 1, a, 1, 1)).toBe(false); // undefined is not null
    expect(a.same(1, 0, b, 1, 2)).toBe(true); // "" and ""
    expect(a.same(0, 0, a, 0, 0)).toBe(true);
    expect([a.hash(0, 1), a.hash(1, 0), a.hash(1, 1)]).toEqual([-1, -1, -1]); // no text to look up
    expect(a.hash(0, 0)).toBeGreaterThanOrEqual(0);
  });

  it("copies a record's bytes into another table as they are: every field, its flags, across chunks", () => {
    const from = new PackedRecords(3);
    const rows: Field[][] = [
      ["a", "Zoë 🙂", undefined],
      [null, undefined, null],
      ["x".repeat(300), "", ""],
      ["h".repeat(5 * 1024 * 1024), "big", "last"],
    ];
    for (const [i, r] of rows.entries()) from.push(r, i + 7);
    const to = new PackedRecords(3);
    to.push(["before", null, "kept"]);
    // enough copies that the copy needs new chunks (the 5 MiB record twice is past one 4 MiB chunk)
    const order = [3, 2, 1, 0, 3, 0];
    for (const j of order) expect(to.pushCopy(from, j)).toBe(to.length - 1);
    expect(to.length).toBe(order.length + 1);
    expect([to.get(0, 0), to.get(0, 1), to.get(0, 2)]).toEqual(["before", null, "kept"]);
    order.forEach((j, k) => {
      for (let f = 0; f < 3; f++) expect(to.get(k + 1, f)).toBe(rows[j]![f]);
      expect(to.flags(k + 1)).toBe(j + 7);
      expect(to.same(k + 1, 1, from, j, 1)).toBe(true);
    });
    // and within one table
    to.pushCopy(to, 0);
    expect(to.get(to.length - 1, 2)).toBe("kept");
  });
});
