/**
 * Faster attribute-value decoding for ldapts (9.x), same results.
 *
 * ldapts decodes every attribute value with `new TextDecoder("utf8", { fatal: true }).decode()` and, when that
 * throws (binary values such as objectGUID and objectSid), keeps the bytes. Profiling a 10,000-user DirSync read
 * showed that path as the reader's largest cost: about 0.2 s in the decoder plus the garbage of 20,000 thrown errors
 * (docs/benchmarks.md). This replaces `Attribute.prototype.parse` with the same logic using `buffer.isUtf8()` (the
 * same strict UTF-8 validation, without exceptions) and `Buffer.toString`. Like TextDecoder's default, a leading
 * byte-order mark is dropped. Values, `parsedBuffers` and the `;binary` rule are unchanged;
 * test/ad/ldaptsDecoding.test.ts checks it against the original on valid, invalid, empty, BOM and binary values.
 *
 * Applied once, on import of ad/ldapReader.ts. If ldapts changes the method (its source no longer calls a decoder's
 * `decode()` and `_isBinaryType()`), nothing is replaced and ldapts' own code runs.
 */
import { isUtf8 } from "node:buffer";
import { Attribute, Ber, type BerReader } from "ldapts";

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

function text(b: Buffer): string {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.toString("utf8", 3) : b.toString("utf8");
}

function parse(this: AttributeInternals, reader: BerReader): void {
  reader.readSequence();
  this.type = reader.readString() ?? "";
  const isBinaryType = this._isBinaryType();
  if (reader.peek() === LBER_SET && reader.readSequence(LBER_SET)) {
    const end = reader.offset + reader.length;
    while (reader.offset < end) {
      const buffer = (reader.readString(Ber.OctetString, true) as Buffer | null) ?? Buffer.alloc(0);
      this.buffers.push(buffer);
      this.values.push(isBinaryType || !isUtf8(buffer) ? buffer : text(buffer));
    }
  }
}

/** Replaces ldapts' Attribute.parse when it is the one this was written against. True when in effect. */
export function useFastAttributeDecoding(): boolean {
  if (proto.syncgapFastDecoding) return true;
  const source = String(originalAttributeParse);
  if (!/\.decode\(/.test(source) || !source.includes("_isBinaryType()")) return false;
  proto.parse = parse;
  proto.syncgapFastDecoding = true;
  return true;
}

export { parse as fastAttributeParse };
