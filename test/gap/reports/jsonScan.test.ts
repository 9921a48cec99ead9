import { describe, expect, it } from "vitest";
import { forEachElement, forEachMember, JsonScanError } from "../../../gap/reports/jsonScan";

function walk(text: string): [string, unknown][] {
  const buf = Buffer.from(text, "utf8");
  const out: [string, unknown][] = [];
  forEachMember(buf, (key, s, e) => {
    if (buf[s] === 0x5b) {
      const items: unknown[] = [];
      forEachElement(buf, s, e, (a, b) => items.push(JSON.parse(buf.toString("utf8", a, b))));
      out.push([key, items]);
    } else out.push([key, JSON.parse(buf.toString("utf8", s, e))]);
  });
  return out;
}

describe("jsonScan", () => {
  it("gives each member and element as JSON.parse would, whatever the spacing, strings with brackets included", () => {
    const doc = {
      a: 1,
      'k"ey': { x: '}]{[\\"', y: [1, [2, { z: null }]] },
      rows: [{ u: "a,b" }, "s", 3, true, [], {}],
      e: [],
      é: "ü😀",
    };
    for (const text of [
      JSON.stringify(doc),
      JSON.stringify(doc, null, 2),
      `\uFEFF ${JSON.stringify(doc, null, "\t")}\n`,
    ]) {
      expect(Object.fromEntries(walk(text))).toEqual(doc);
    }
    expect(walk("{}")).toEqual([]);
  });

  it.each([
    ["[1]", /not a JSON object/],
    ['{"a" 1}', /":" expected/],
    ['{"a":1 "b":2}', /"," or "}" expected/],
    ['{"a":[1 2]}', /"," or "]" expected/],
    ['{"a":"x}', /unterminated string/],
    ['{"a":{"b":[1}}', /mismatched/],
    ['{"a":1} x', /text after the object/],
    ['{"a":}', /no value/],
  ])("%j: %s", (text, message) => {
    expect(() => walk(text)).toThrow(JsonScanError);
    expect(() => walk(text)).toThrow(message);
  });
});
