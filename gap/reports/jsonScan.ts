/**
 * Walking a large JSON document in its bytes: the members of the top-level object and the elements of an array, each
 * as a byte span that the caller decodes with JSON.parse on its own. A gap report of a million rows is larger than the
 * longest string V8 can make, so it is never decoded whole (./comparison.ts reads earlier reports so). The
 * scanner checks the structure between the spans (braces, brackets, commas, colons, strings); JSON.parse checks each
 * span, so together they accept exactly the JSON the spans hold.
 */

export class JsonScanError extends Error {
  override name = "JsonScanError";
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function skipSpace(buf: Buffer, i: number, end: number): number {
  while (i < end && isSpace(buf[i])) i++;
  return i;
}

/** The end (exclusive) of the string starting at `i` (a quote). */
function stringEnd(buf: Buffer, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const b = buf[j];
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  throw new JsonScanError(`an unterminated string at byte ${i}`);
}

/** The end (exclusive) of the value starting at `i`. */
function valueEnd(buf: Buffer, i: number, end: number): number {
  const b = buf[i];
  if (b === QUOTE) return stringEnd(buf, i, end);
  if (b === 0x7b || b === 0x5b) {
    const stack: number[] = [];
    for (let j = i; j < end; j++) {
      const c = buf[j] as number;
      if (c === QUOTE) j = stringEnd(buf, j, end) - 1;
      else if (c === 0x7b || c === 0x5b) stack.push(c === 0x7b ? 0x7d : 0x5d);
      else if (c === 0x7d || c === 0x5d) {
        if (stack.pop() !== c) throw new JsonScanError(`a mismatched ${String.fromCharCode(c)} at byte ${j}`);
        if (!stack.length) return j + 1;
      }
    }
    throw new JsonScanError(`an unclosed ${String.fromCharCode(b)} at byte ${i}`);
  }
  let j = i;
  while (j < end && !isSpace(buf[j]) && buf[j] !== 0x2c && buf[j] !== 0x7d && buf[j] !== 0x5d) j++;
  if (j === i) throw new JsonScanError(`no value at byte ${i}`);
  return j;
}

/** Calls `visit` with each member of the top-level object: its key and its value's byte span. */
export function forEachMember(buf: Buffer, visit: (key: string, start: number, end: number) => void): void {
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0; // a UTF-8 byte-order mark
  i = skipSpace(buf, i, buf.length);
  if (buf[i] !== 0x7b) throw new JsonScanError("not a JSON object");
  i = skipSpace(buf, i + 1, buf.length);
  if (buf[i] === 0x7d) i++;
  else {
    for (;;) {
      if (buf[i] !== QUOTE) throw new JsonScanError(`a key expected at byte ${i}`);
      const keyEnd = stringEnd(buf, i, buf.length);
      const key = JSON.parse(buf.toString("utf8", i, keyEnd)) as string;
      i = skipSpace(buf, keyEnd, buf.length);
      if (buf[i] !== 0x3a) throw new JsonScanError(`":" expected at byte ${i}`);
      const start = skipSpace(buf, i + 1, buf.length);
      const end = valueEnd(buf, start, buf.length);
      visit(key, start, end);
      i = skipSpace(buf, end, buf.length);
      if (buf[i] === 0x2c) {
        i = skipSpace(buf, i + 1, buf.length);
        continue;
      }
      if (buf[i] === 0x7d) {
        i++;
        break;
      }
      throw new JsonScanError(`"," or "}" expected at byte ${i}`);
    }
  }
  if (skipSpace(buf, i, buf.length) !== buf.length) throw new JsonScanError(`text after the object at byte ${i}`);
}

/** Calls `visit` with the byte span of each element of the array spanning [start, end). */
export function forEachElement(
  buf: Buffer,
  start: number,
  end: number,
  visit: (start: number, end: number, index: number) => void,
): void {
  if (buf[start] !== 0x5b) throw new JsonScanError("not an array");
  let i = skipSpace(buf, start + 1, end);
  let n = 0;
  if (buf[i] === 0x5d) return;
  for (;;) {
    const e = valueEnd(buf, i, end);
    visit(i, e, n++);
    i = skipSpace(buf, e, end);
    if (buf[i] === 0x2c) i = skipSpace(buf, i + 1, end);
    else if (buf[i] === 0x5d) return;
    else throw new JsonScanError(`"," or "]" expected at byte ${i}`);
  }
}
