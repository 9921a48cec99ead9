import { describe, expect, it } from "vitest";
import {
  ByteScanner,
  bufferChunks,
  type ChunkSource,
  forEachElement,
  forEachMember,
  JsonScanError,
  nextByte,
  nextValue,
} from "../../../gap/json/byteScanner";

/** The text's bytes `size` at a time: every span and separator crosses chunk boundaries somewhere. */
function chunksOf(buf: Buffer, size: number): ChunkSource {
  let at = 0;
  return () => {
    if (at >= buf.length) return undefined;
    const chunk = Buffer.from(buf.subarray(at, at + size));
    at += size;
    return chunk;
  };
}

function walk(text: string, size?: number): [string, unknown][] {
  const buf = Buffer.from(text, "utf8");
  const r = new ByteScanner(size ? chunksOf(buf, size) : bufferChunks(buf));
  const out: [string, unknown][] = [];
  forEachMember(r, (key) => {
    if (nextByte(r) === 0x5b) {
      const items: unknown[] = [];
      forEachElement(r, (bytes) => items.push(JSON.parse(bytes.toString("utf8"))));
      out.push([key, items]);
    } else out.push([key, JSON.parse(nextValue(r).toString("utf8"))]);
  });
  return out;
}

describe("byteScanner", () => {
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
      for (const size of [1, 2, 3, 7]) expect(Object.fromEntries(walk(text, size))).toEqual(doc);
    }
    expect(walk("{}")).toEqual([]);
  });

  it("follows nesting deeper than its first stack of brackets", () => {
    const deep = { d: JSON.parse(`${"[".repeat(200)}1${"]".repeat(200)}`) };
    expect(Object.fromEntries(walk(JSON.stringify(deep)))).toEqual(deep);
    expect(() => walk(`{"d":{"a":${"[".repeat(100)}1${"]".repeat(99)}}}}`)).toThrow(/a mismatched } at byte 210/);
  });

  it.each([
    ["[1]", /not a JSON object/],
    ["", /not a JSON object/],
    ['{"a" 1}', /":" expected/],
    ['{"a":1 "b":2}', /"," or "}" expected/],
    ['{"a":[1 2]}', /"," or "]" expected/],
    ['{"a":"x}', /unterminated string/],
    ['{"a":{"b":[1}}', /mismatched/],
    ['{"a":1} x', /text after the object/],
    ['{"a":}', /no value/],
    ['{"a":', /no value/],
    ['{"a":{"b":1', /unclosed \{/],
    ['{"a":1,}', /a key expected/],
  ])("%j: %s", (text, message) => {
    for (const size of [undefined, 1, 3]) {
      expect(() => walk(text, size)).toThrow(JsonScanError);
      expect(() => walk(text, size)).toThrow(message);
    }
  });
});
