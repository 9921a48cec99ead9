import { describe, expect, it } from "vitest";
import { type Field, PackedRecords } from "../../../gap/records/packed";

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
});
