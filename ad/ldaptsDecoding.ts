/**
 * Faster search-entry decoding for ldapts (9.x), same results: `Attribute.parse` and `SearchEntry.toObject`.
 *
 * ldapts decodes every attribute value with `new TextDecoder("utf8", { fatal: true }).decode()` and, when that
 * throws (binary values such as objectGUID and objectSid), keeps the bytes. Profiling a 10,000-user DirSync read
 * showed that path as the reader's largest cost: the decoder plus the garbage of two thrown errors per user
 * (docs/benchmarks.md, "ldapts adapter"). This replaces `Attribute.prototype.parse` with the same logic using `buffer.isUtf8()` (the
 * same strict UTF-8 validation, without exceptions) and `Buffer.toString`. Like TextDecoder's default, a leading
 * byte-order mark is dropped. Values, `parsedBuffers` and the `;binary` rule are unchanged;
 * test/ad/ldaptsDecoding.test.ts checks it against the original on valid, invalid, empty, BOM and binary values.
 *
 * `SearchEntry.toObject` (which ldapts runs on every entry once the search is done) lower-cases each attribute name
 * with `toLocaleLowerCase()` into a new Set, for every entry, only to tell whether a requested attribute came back
 * under another spelling. The replacement builds the same object and asks that question only for a requested
 * attribute that is missing under its own spelling, with the lower-cased names remembered per name (attribute names
 * are few). After the decoder, it was the next largest cost of a 10,000-user read.
 *
 * `tapSearchEntries` hands each entry to the reader as soon as it is parsed. ldapts keeps every entry of a search
 * (its message, attribute objects and buffers) until the search is done and converts them all at the end; for a
 * 10,000-user DirSync read that retention made the garbage collector the largest cost after the DC itself.
 *
 * Applied once, on import of ad/ldapReader.ts. If ldapts changes either method (its source no longer has the calls
 * this was written against), that one is not replaced and ldapts' own code runs — and test/ad/ldaptsDecoding.test.ts
 * and the tap's test in test/ad/samba.live.test.ts fail, so an upgrade of ldapts cannot lose it silently. Kept, not
 * removed, because it matters on a live read (docs/benchmarks.md, "ldapts adapter"); the place to end it is upstream
 * (a non-throwing UTF-8 check in ldapts' Attribute, and an entry callback on search).
 */
import { isUtf8 } from "node:buffer";
import { EventEmitter } from "node:events";
import { Attribute, Ber, type BerReader, Client, SearchEntry } from "ldapts";

const LBER_SET = 0x31;

interface AttributeInternals {
  buffers: Buffer[];
  type: string;
  values: (Buffer | string)[];
  _isBinaryType(): boolean;
  parse(reader: BerReader): void;
}

const proto = Attribute.prototype as unknown as AttributeInternals & { syncgapFastDecoding?: true };
/** ldapts' own method, kept for the equivalence test. */
export const originalAttributeParse = proto.parse;

/**
 * The text of a value that is valid UTF-8, else the bytes. Decoding replaces every invalid sequence with U+FFFD, so a
 * text without U+FFFD came from valid UTF-8 and needs no separate check; only one with U+FFFD (rare: invalid bytes,
 * or a real U+FFFD) is checked with isUtf8().
 */
function decoded(b: Buffer): string | Buffer {
  const bom = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
  const t = b.toString("utf8", bom ? 3 : 0);
  return t.includes("\uFFFD") && !isUtf8(b) ? b : t;
}

/** `_isBinaryType()` by attribute type (a regular expression test per attribute of every entry otherwise). */
const binaryTypes = new Map<string, boolean>();

function parse(this: AttributeInternals, reader: BerReader): void {
  reader.readSequence();
  this.type = reader.readString() ?? "";
  let isBinaryType = binaryTypes.get(this.type);
  if (isBinaryType === undefined) {
    isBinaryType = this._isBinaryType();
    if (binaryTypes.size < 1024) binaryTypes.set(this.type, isBinaryType);
  }
  if (reader.peek() === LBER_SET && reader.readSequence(LBER_SET)) {
    const end = reader.offset + reader.length;
    while (reader.offset < end) {
      const buffer = (reader.readString(Ber.OctetString, true) as Buffer | null) ?? Buffer.alloc(0);
      this.buffers.push(buffer);
      this.values.push(isBinaryType ? buffer : decoded(buffer));
    }
  }
}

interface SearchEntryInternals {
  name: string;
  attributes: Attribute[];
  toObject(requestAttributes: string[], explicitBufferAttributes: string[]): Record<string, unknown>;
}

const entryProto = SearchEntry.prototype as unknown as SearchEntryInternals & { syncgapFastToObject?: true };
/** ldapts' own method, kept for the equivalence test. */
export const originalToObject = entryProto.toObject;

/** `toLocaleLowerCase()` of attribute names, remembered (bounded: a server could send any number of names). */
const lowerNames = new Map<string, string>();
function lowerName(name: string): string {
  let lc = lowerNames.get(name);
  if (lc === undefined) {
    lc = name.toLocaleLowerCase();
    if (lowerNames.size < 1024) lowerNames.set(name, lc);
  }
  return lc;
}

function hasBuffer(values: readonly unknown[]): boolean {
  for (const v of values) if (Buffer.isBuffer(v)) return true;
  return false;
}

function toObject(
  this: SearchEntryInternals,
  requestAttributes: string[],
  explicitBufferAttributes: string[],
): Record<string, unknown> {
  const result: Record<string, unknown> = { dn: this.name };
  for (const attribute of this.attributes) {
    let values: unknown[] = attribute.values;
    if (explicitBufferAttributes.includes(attribute.type) || hasBuffer(values)) values = attribute.parsedBuffers;
    result[attribute.type] = values.length === 0 ? [] : values.length === 1 ? (values[0] ?? []) : values;
  }
  let returned: Set<string> | undefined;
  for (const requested of requestAttributes) {
    if (result[requested] !== undefined) continue;
    returned ??= new Set(this.attributes.map((a) => lowerName(a.type)));
    if (!returned.has(lowerName(requested))) result[requested] = [];
  }
  return result;
}

/**
 * Replaces ldapts' Attribute.parse and SearchEntry.toObject, each when it is the one this was written against.
 * True when both are in effect.
 */
export function useFastAttributeDecoding(): boolean {
  if (!proto.syncgapFastDecoding) {
    const source = String(originalAttributeParse);
    if (/\.decode\(/.test(source) && source.includes("_isBinaryType()")) {
      proto.parse = parse;
      proto.syncgapFastDecoding = true;
    }
  }
  if (!entryProto.syncgapFastToObject) {
    const source = String(originalToObject);
    if (
      source.includes("toLocaleLowerCase()") &&
      source.includes("explicitBufferAttributes.includes(attribute.type)") &&
      source.includes("parsedBuffers")
    ) {
      entryProto.toObject = toObject;
      entryProto.syncgapFastToObject = true;
    }
  }
  return Boolean(proto.syncgapFastDecoding && entryProto.syncgapFastToObject);
}

export { parse as fastAttributeParse, toObject as fastToObject };

/** Attribute names lower-cased (`toLowerCase`, for syncgap's own maps), remembered like `lowerName`. */
const lowerCaseNames = new Map<string, string>();
export function lowerAttributeName(name: string): string {
  let lc = lowerCaseNames.get(name);
  if (lc === undefined) {
    lc = name.toLowerCase();
    if (lowerCaseNames.size < 1024) lowerCaseNames.set(name, lc);
  }
  return lc;
}

/**
 * An entry's values by lower-cased attribute name, as `toObject` would give them but always as arrays: the bytes for
 * the `binary` attributes (lower-case names) and for any attribute with a value that is not UTF-8, else the text.
 */
export function entryAttributes(entry: SearchEntry, binary: ReadonlySet<string>): Map<string, (string | Buffer)[]> {
  const attrs = new Map<string, (string | Buffer)[]>();
  for (const a of entry.attributes) {
    const name = lowerAttributeName(a.type);
    attrs.set(name, binary.has(name) || hasBuffer(a.values) ? a.parsedBuffers : (a.values as (string | Buffer)[]));
  }
  return attrs;
}

interface ClientInternals {
  messageParser?: unknown;
  messageDetailsByMessageId?: unknown;
}

const handlerSource = String((Client.prototype as unknown as { _handleSendResponse?: unknown })._handleSendResponse);
/** ldapts collects entries the way tapSearchEntries expects (checked once against its source). */
const collectsAsExpected =
  handlerSource.includes("messageDetails.searchEntries.push(message)") &&
  handlerSource.includes("message.searchEntries.push(...messageDetails.searchEntries)");

/**
 * Hands every search entry `client` receives to `onEntry` as soon as ldapts has parsed it, and keeps ldapts from
 * collecting them all: a search run meanwhile resolves with at most its last entry in `searchEntries` (ldapts' paged
 * search stops at a page without entries), which `onEntry` has seen too; references, controls and errors as usual.
 * `onEntry` must not throw. Call `off()` when the search is done. Undefined when this ldapts does not work the way
 * this relies on (then search as usual and use `searchEntries`).
 */
export function tapSearchEntries(client: Client, onEntry: (entry: SearchEntry) => void): { off(): void } | undefined {
  const { messageParser: parser, messageDetailsByMessageId: details } = client as unknown as ClientInternals;
  if (!collectsAsExpected || !(parser instanceof EventEmitter) || !(details instanceof Map)) return undefined;
  // This listener runs before ldapts' own, which then adds the entry to its list: emptying the list first keeps it
  // at one entry.
  const listener = (message: unknown) => {
    if (message instanceof SearchEntry) {
      const d = details.get(String(message.messageId)) as { searchEntries?: unknown[] } | undefined;
      if (d?.searchEntries) d.searchEntries.length = 0;
      onEntry(message);
    }
  };
  parser.prependListener("message", listener);
  return { off: () => parser.off("message", listener) };
}
