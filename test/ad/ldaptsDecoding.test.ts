/** The faster ldapts entry decoding (ad/ldaptsDecoding.ts) gives exactly what ldapts' own code gives. */
import { Attribute, BerReader, BerWriter, SearchEntry } from "ldapts";
import { describe, expect, it } from "vitest";
import { createLdapAdSource } from "../../ad/ldapReader";
import {
  fastAttributeParse,
  fastToObject,
  originalAttributeParse,
  originalToObject,
  useFastAttributeDecoding,
} from "../../ad/ldaptsDecoding";

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
  ["description", [Buffer.from("a real \uFFFD replacement character")]], // valid UTF-8 that decodes to U+FFFD
  ["description", [Buffer.from([0xef, 0xbb, 0xbf, 0xff])]], // a byte-order mark, then an invalid byte
  ["userCertificate;binary", [Buffer.from("text but binary type")]],
  ["USERCERTIFICATE;BINARY", [Buffer.from("text but binary type")]],
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

  it("is installed on ldapts' Attribute and SearchEntry by the reader", () => {
    expect(typeof createLdapAdSource).toBe("function"); // importing the reader installs it
    expect(originalAttributeParse).not.toBe(fastAttributeParse);
    expect(originalToObject).not.toBe(fastToObject);
    expect(useFastAttributeDecoding()).toBe(true);
    expect(Attribute.prototype.parse).toBe(fastAttributeParse);
    expect(SearchEntry.prototype.toObject).toBe(fastToObject);
  });
});

/** A search entry as ldapts builds it from the wire (each attribute decoded by ldapts' own parse). */
function entry(name: string, attrs: [string, Buffer[]][]): SearchEntry {
  const attributes = attrs.map(([type, values]) => {
    const a = new Attribute();
    originalAttributeParse.call(a, new BerReader(encoded(type, values)));
    return a;
  });
  return new SearchEntry({ messageId: 1, name, attributes });
}

const requested = ["userPrincipalName", "mobile", "otherMobile", "objectGUID", "mS-DS-ConsistencyGuid", "sn"];
const explicit = ["objectGUID", "objectSid", "objectguid"];
const entries: [string, SearchEntry][] = [
  [
    "a typical user",
    entry("CN=Ann,OU=Corp Users,DC=corp,DC=example,DC=test", [
      ["userPrincipalName", [Buffer.from("ann@corp.example.test")]],
      ["objectGUID", [Buffer.from("0123456789abcdef")]], // valid UTF-8, still bytes: explicitly binary
      ["objectSid", [Buffer.from("010500000000000515000000a2b0056401e6", "hex")]],
      ["otherMobile", [Buffer.from("+1 425 555 0100"), Buffer.from("+44 7700 900123")]],
      ["instanceType", [Buffer.from("4")]],
    ]),
  ],
  [
    "names in another case than requested",
    entry("CN=Bo", [
      ["USERPRINCIPALNAME", [Buffer.from("bo@corp.example.test")]],
      ["Mobile", [Buffer.from("+1 206 555 0100")]],
    ]),
  ],
  ["no attributes", entry("CN=Empty", [])],
  ["an attribute without values", entry("CN=C", [["mobile", []]])],
  [
    "a value that is not UTF-8 in a text attribute",
    entry("CN=D", [["displayName", [Buffer.from("ok"), Buffer.from([0xff, 0xfe])]]]),
  ],
  ["a dotless capital I (locale-sensitive lower-casing)", entry("CN=E", [["SİCİL", [Buffer.from("1")]]])],
];

describe("fast ldapts search-entry objects", () => {
  it.each(entries)("%s gives ldapts' own object", (_, e) => {
    const want = originalToObject.call(e, requested, explicit);
    const got = fastToObject.call(e, requested, explicit);
    expect(got).toEqual(want);
    expect(Object.keys(got)).toEqual(Object.keys(want)); // same key order: reports iterate it
  });

  it("fills every requested attribute that did not come back, in any case", () => {
    const got = fastToObject.call(entries[1]![1], requested, explicit);
    expect(got).not.toHaveProperty("userPrincipalName"); // came back as USERPRINCIPALNAME
    expect(got.sn).toEqual([]);
  });
});
