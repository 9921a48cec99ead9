/**
 * Compiling an RFC 4515 filter string into ldapts filter objects with correct bytes.
 *
 * ldapts' FilterParser turns each `\hh` escape into the character U+00hh and then writes values as UTF-8, so an
 * escaped byte of 0x80 or more goes out as two bytes: `(objectGUID=\a6\4c…)` never matches, nor does UTF-8 text
 * written as escapes (`\c3\a9` for "é"). Here escapes of such bytes are swapped for private-use placeholders before
 * parsing and turned back into the bytes they stand for afterwards; values that are valid UTF-8 become strings again,
 * the others (binary GUIDs, SIDs) Buffers, which ldapts writes as they are for equality assertions.
 */
import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  SubstringFilter,
} from "ldapts";

const PLACEHOLDER_BASE = 0xe000; // U+E080..U+E0FF stand for the bytes 0x80..0xFF
const HAS_PLACEHOLDER = /[\ue080-\ue0ff]/;

/** Thrown for a filter that does not parse or cannot be sent as written. */
export class FilterSyntaxError extends Error {
  override readonly name = "FilterSyntaxError";
}

/** Bytes of a parsed value: text as UTF-8, placeholders as the byte they stand for. */
function valueBytes(v: string): Buffer {
  const parts: Buffer[] = [];
  let text = "";
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (cp >= PLACEHOLDER_BASE + 0x80 && cp <= PLACEHOLDER_BASE + 0xff) {
      if (text) parts.push(Buffer.from(text, "utf8"));
      text = "";
      parts.push(Buffer.from([cp - PLACEHOLDER_BASE]));
    } else text += ch;
  }
  if (text) parts.push(Buffer.from(text, "utf8"));
  return Buffer.concat(parts);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The value to send: a string when the bytes are UTF-8 text, else a Buffer (equality assertions only). */
function fix(v: string, allowBinary: boolean, where: string): string | Buffer {
  if (!HAS_PLACEHOLDER.test(v)) return v;
  const bytes = valueBytes(v);
  try {
    return utf8.decode(bytes);
  } catch {
    if (allowBinary) return bytes;
    throw new FilterSyntaxError(`binary (non-UTF-8) escaped bytes are only supported in equality assertions: ${where}`);
  }
}

function walk(f: Filter): void {
  if (f instanceof AndFilter || f instanceof OrFilter) {
    for (const c of f.filters) walk(c);
  } else if (f instanceof NotFilter) {
    walk(f.filter);
  } else if (f instanceof EqualityFilter) {
    f.value = fix(String(f.value), true, f.attribute);
  } else if (
    f instanceof ApproximateFilter ||
    f instanceof GreaterThanEqualsFilter ||
    f instanceof LessThanEqualsFilter
  ) {
    f.value = fix(f.value, false, f.attribute) as string;
  } else if (f instanceof ExtensibleFilter) {
    f.value = fix(f.value, false, f.rule || f.matchType) as string;
  } else if (f instanceof SubstringFilter) {
    f.initial = fix(f.initial, false, f.attribute) as string;
    f.final = fix(f.final, false, f.attribute) as string;
    f.any = f.any.map((a) => fix(a, false, f.attribute) as string);
  }
}

/** Parses an RFC 4515 filter string into an ldapts Filter whose values carry the right bytes. */
export function compileFilter(filter: string): Filter {
  if (HAS_PLACEHOLDER.test(filter))
    throw new FilterSyntaxError("the filter holds private-use characters U+E080–U+E0FF");
  const swapped = filter.replace(/\\([89a-fA-F][0-9a-fA-F])/g, (_m, hh: string) =>
    String.fromCodePoint(PLACEHOLDER_BASE + Number.parseInt(hh, 16)),
  );
  let parsed: Filter;
  try {
    parsed = FilterParser.parseString(swapped);
  } catch (e) {
    throw new FilterSyntaxError((e as Error).message.replace(/[\ue080-\ue0ff]/g, "\\xx"));
  }
  walk(parsed);
  return parsed;
}
