import { describe, expect, it } from "vitest";
import { HashSlots } from "../../ad/hashSlots";

describe("HashSlots", () => {
  it("finds each entry by hash and the caller's test, also among entries of one hash and past many rehashes", () => {
    const s = new HashSlots();
    const keys: string[] = [];
    const hash = (key: string) => (key.startsWith("same") ? 7 : key.length * 7919 + key.charCodeAt(key.length - 1));
    const find = (key: string) => s.find(hash(key), (e) => keys[e] === key);
    for (let i = 0; i < 50_000; i++) {
      const key = i % 100 === 0 ? `same-${i}` : `key-${i}`;
      expect(find(key)).toBe(-1);
      keys.push(key);
      expect(s.add(hash(key), i * 2 ** 33)).toBe(i);
    }
    expect(s.size).toBe(50_000);
    expect(s.value(find("key-49999"))).toBe(49_999 * 2 ** 33);
    expect(s.value(find("same-4200"))).toBe(4200 * 2 ** 33);
    expect(find("same-4201")).toBe(-1);
    const k = find("key-3");
    s.setValue(k, -5);
    expect(s.value(find("key-3"))).toBe(-5);
    // any 32-bit hash, negative too
    expect(s.find(-123456789, () => true)).toBe(-1);
    expect(s.add(-123456789, 1)).toBe(50_000);
    expect(s.find(-123456789, () => true)).toBe(50_000);
  });
});
