/** The faster ldapts attribute decoding (ad/ldaptsDecoding.ts) gives exactly what ldapts' own code gives. */
import { Attribute, BerReader, BerWriter } from "ldapts";
import { describe, expect, it } from "vitest";
import { createLdapAdSource } from "../../ad/ldapReader";
import { fastAttributeParse, originalAttributeParse, useFastAttributeDecoding } from "../../ad/ldaptsDecoding";

function encoded(type: string, values: Buffer[]): Buffer {
  const w = new BerWriter();
  new Attribute({ type, values }).write(w);
  return w.buffer;
}

function decodeWith(parse: (reader: BerReader) => void, ber: Buffer) {
  const a = new Attribute();
  parse.call(a, new BerReader(ber));
  return { type: a.type, values: a.values, buffers: a.parsedBuffers };
}

const samples: [string, Buffer[]][] = [
  ["displayName", [Buffer.from("Héloïse Dœuf-Müller"), Buffer.from("plain"), Buffer.from("😀 emoji")]],
  ["objectGUID", [Buffer.from("74e5d2bc588d3641a9df8a19b145db79", "hex")]],
  ["objectSid", [Buffer.from("010500000000000515000000a2b0056401e6", "hex")]],
  ["otherMobile", [Buffer.from("+1 425 555 0100"), Buffer.alloc(0), Buffer.from("+44 7700 900123")]],
  ["mS-DS-ConsistencyGuid", [Buffer.from("0123456789abcdef")]], // valid UTF-8 bytes: text in both
  ["description", [Buffer.from([0xef, 0xbb, 0xbf, 0x41, 0x42])]], // a byte-order mark
  ["description", [Buffer.from([0xed, 0xa0, 0x80])]], // an encoded surrogate: invalid UTF-8
  ["description", [Buffer.from([0xc0, 0xaf])]], // overlong
  ["description", [Buffer.from([0xf4, 0x90, 0x80, 0x80])]], // above U+10FFFF
  ["userCertificate;binary", [Buffer.from("text but binary type")]],
  ["empty", []],
];

describe("fast ldapts attribute decoding", () => {
  it.each(samples)("%s decodes as ldapts' own code does", (type, values) => {
    const ber = encoded(type, values);
    expect(decodeWith(fastAttributeParse, ber)).toEqual(decodeWith(originalAttributeParse, ber));
  });

  it("keeps invalid UTF-8 as bytes and valid UTF-8 as text", () => {
    const got = decodeWith(fastAttributeParse, encoded("x", [Buffer.from([0xff, 0x00]), Buffer.from("ok")]));
    expect(Buffer.isBuffer(got.values[0])).toBe(true);
    expect(got.values[1]).toBe("ok");
  });

  it("is installed on ldapts' Attribute by the reader", () => {
    expect(typeof createLdapAdSource).toBe("function"); // importing the reader installs it
    expect(originalAttributeParse).not.toBe(fastAttributeParse);
    expect(useFastAttributeDecoding()).toBe(true);
    expect(Attribute.prototype.parse).toBe(fastAttributeParse);
  });
});
