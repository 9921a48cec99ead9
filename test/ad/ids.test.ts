import { Filter } from "ldapts";
import { describe, expect, it } from "vitest";
import { escapeDnValue } from "../../ad/escape";
import {
  guidBytesToString,
  guidStringFromImmutableId,
  guidStringToBytes,
  immutableIdFromBytes,
  immutableIdFromGuidString,
  normalizeGuidString,
  sidBytesToString,
  sidStringToBytes,
} from "../../ad/ids";
import { foldLdifLine, isLdifSafeString, ldifAttr } from "../../ad/ldifWriter";
import { binaryValue, generalizedTimeToIso } from "../../ad/userMapping";

describe("GUIDs", () => {
  it("use .NET byte order: first three groups little-endian", () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    // System.Guid(byte[]) with bytes 01..10 prints 04030201-0605-0807-090a-0b0c0d0e0f10
    expect(guidBytesToString(bytes)).toBe("04030201-0605-0807-090a-0b0c0d0e0f10");
    expect([...guidStringToBytes("04030201-0605-0807-090a-0b0c0d0e0f10")]).toEqual([...bytes]);
  });

  it("turn an objectGUID string into Entra's onPremisesImmutableId", () => {
    // [Convert]::ToBase64String(([GUID]"bcd2e574-8d58-4136-a9df-8a19b145db79").ToByteArray())
    expect(guidStringToBytes("bcd2e574-8d58-4136-a9df-8a19b145db79").toString("hex")).toBe(
      "74e5d2bc588d3641a9df8a19b145db79",
    );
    expect(immutableIdFromGuidString("bcd2e574-8d58-4136-a9df-8a19b145db79")).toBe("dOXSvFiNNkGp34oZsUXbeQ==");
    expect(guidStringFromImmutableId("dOXSvFiNNkGp34oZsUXbeQ==")).toBe("bcd2e574-8d58-4136-a9df-8a19b145db79");
    expect(immutableIdFromBytes(guidStringToBytes("5b1ed3a2-9c4f-4e1b-8a47-2f0c9d6e7a31"))).toBe(
      "otMeW0+cG06KRy8MnW56MQ==",
    );
  });

  it("turn every GUID string into the immutable id of its bytes, in any case", () => {
    for (let k = 0; k < 200; k++) {
      const bytes = Buffer.from(Array.from({ length: 16 }, (_, i) => (k * 37 + i * 101) & 0xff));
      const s = guidBytesToString(bytes);
      expect(s).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(guidStringToBytes(s).equals(bytes)).toBe(true);
      expect(immutableIdFromGuidString(s)).toBe(bytes.toString("base64"));
      expect(immutableIdFromGuidString(s.toUpperCase())).toBe(bytes.toString("base64"));
      expect(immutableIdFromGuidString(`{${s}}`)).toBe(bytes.toString("base64"));
    }
    expect(() => immutableIdFromGuidString("bcd2e574-8d58-4136-a9df-8a19b145dbxx")).toThrow(SyntaxError);
    expect(() => immutableIdFromGuidString("bcd2e574+8d58-4136-a9df-8a19b145db79")).toThrow(SyntaxError);
  });

  it("accept braces and upper case, reject garbage", () => {
    expect(normalizeGuidString("{BCD2E574-8D58-4136-A9DF-8A19B145DB79}")).toBe("bcd2e574-8d58-4136-a9df-8a19b145db79");
    expect(() => guidStringToBytes("not-a-guid")).toThrow(SyntaxError);
    expect(() => guidBytesToString(new Uint8Array(15))).toThrow(RangeError);
  });

  it("immutableIdFromBytes works on a Buffer slice of a larger pool", () => {
    const pool = Buffer.alloc(64, 0xaa);
    const slice = pool.subarray(10, 26);
    slice.fill(0x01);
    expect(immutableIdFromBytes(slice)).toBe(Buffer.alloc(16, 1).toString("base64"));
  });
});

describe("SIDs", () => {
  const vectors: [string, string][] = [
    ["S-1-1-0", "010100000000000100000000"], // Everyone
    ["S-1-5-18", "010100000000000512000000"], // Local System
    ["S-1-5-32-544", "01020000000000052000000020020000"], // BUILTIN\Administrators
    // the user RID 1102 in the test domain (as Samba stores it)
    [
      "S-1-5-21-2718281828-3141592653-1414213562-1102",
      "010500000000000515000000" + "64b005a2" + "4de640bb" + "ba2f4b54" + "4e040000",
    ],
  ];
  it.each(vectors)("%s <-> bytes", (sid, hex) => {
    expect(sidBytesToString(Buffer.from(hex, "hex"))).toBe(sid);
    expect(sidStringToBytes(sid).toString("hex")).toBe(hex);
  });

  it("writes identifier authorities of 2^32 and above in hex", () => {
    const b = Buffer.from("0100" + "010000000000" + "", "hex");
    expect(sidBytesToString(b)).toBe("S-1-0x010000000000");
    expect(sidStringToBytes("S-1-0x010000000000").toString("hex")).toBe("0100010000000000");
  });

  it("writes every SID as the SDDL string, sub-authorities unsigned, up to the 255 a count byte allows", () => {
    // The reference: the SDDL form as MS-DTYP 2.4.2.1 spells it, written the plain way.
    const reference = (b: Buffer) => {
      let auth = 0;
      for (let i = 2; i < 8; i++) auth = auth * 256 + b[i]!;
      const subs = Array.from({ length: b[1]! }, (_, i) => String(b.readUInt32LE(8 + 4 * i)));
      return [
        "S",
        String(b[0]),
        auth >= 2 ** 32 ? `0x${auth.toString(16).toUpperCase().padStart(12, "0")}` : String(auth),
        ...subs,
      ].join("-");
    };
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (const count of [0, 1, 4, 5, 15, 255]) {
      for (let k = 0; k < 20; k++) {
        const b = Buffer.alloc(8 + 4 * count);
        b[0] = rnd() & 0xff;
        b[1] = count;
        for (let i = 2; i < b.length; i++) b[i] = rnd() >>> 24;
        if (k % 3 === 0) b.fill(0, 2, 4); // authorities below 2^32, as every real one
        if (k === 1) b.fill(0xff, 8); // 4294967295
        expect(sidBytesToString(b)).toBe(reference(b));
        // the users of one domain: the same SID but for the RID, one after the other
        for (const rid of [0, 9, 10, 1102, 4294967295]) {
          if (count === 0) break;
          b.writeUInt32LE(rid, b.length - 4);
          expect(sidBytesToString(b)).toBe(reference(b));
        }
      }
    }
  });

  it("rejects truncated bytes and bad strings", () => {
    expect(() => sidBytesToString(Buffer.from("0105000000000005150000", "hex"))).toThrow(RangeError);
    expect(() => sidStringToBytes("X-1-5")).toThrow(SyntaxError);
    expect(() => sidStringToBytes("S-1-5-4294967296")).toThrow(RangeError);
  });
});

// The reader escapes filter values with ldapts' Filter.escape: these are the RFC 4515 escapes it relies on.
describe("Filter.escape from ldapts (RFC 4515)", () => {
  it.each([
    ["Parens R Us (for all your parenthetical needs)", "Parens R Us \\28for all your parenthetical needs\\29"],
    ["*", "\\2a"],
    ["C:\\MyFile", "C:\\5cMyFile"],
    ["a\0b", "a\\00b"],
    ["Lučić", "Lučić"],
    ["*)(objectClass=*", "\\2a\\29\\28objectClass=\\2a"],
  ])("%j -> %j", (input, out) => {
    expect(Filter.escape(input)).toBe(out);
  });
  it("escapes bytes as \\hh", () => {
    expect(Filter.escape(Buffer.from([0, 0, 0, 4]))).toBe("\\00\\00\\00\\04");
    expect(Filter.escape(guidStringToBytes("bcd2e574-8d58-4136-a9df-8a19b145db79"))).toBe(
      "\\74\\e5\\d2\\bc\\58\\8d\\36\\41\\a9\\df\\8a\\19\\b1\\45\\db\\79",
    );
  });
});

describe("escapeDnValue (RFC 4514)", () => {
  it.each([
    ["Smith, Wendy (Ops)", "Smith\\, Wendy (Ops)"],
    ["#hash", "\\#hash"],
    [" lead", "\\ lead"],
    ["trail ", "trail\\ "],
    ['a+b="c"<d>;e\\', 'a\\+b\\=\\"c\\"\\<d\\>\\;e\\\\'],
  ])("%j -> %j", (input, out) => {
    expect(escapeDnValue(input)).toBe(out);
  });
});

describe("LDIF writing", () => {
  it("base64-encodes only what RFC 2849 requires", () => {
    expect(isLdifSafeString("Alice Baker")).toBe(true);
    expect(isLdifSafeString(" lead")).toBe(false);
    expect(isLdifSafeString(":colon")).toBe(false);
    expect(isLdifSafeString("<less")).toBe(false);
    expect(isLdifSafeString("trail ")).toBe(false);
    expect(isLdifSafeString("Zoë")).toBe(false);
    expect(ldifAttr("cn", "Zoë")).toBe(`cn:: ${Buffer.from("Zoë").toString("base64")}`);
    expect(ldifAttr("x", Uint8Array.from([1, 2]))).toBe("x:: AQI=");
  });
  it("folds at 76 columns with one-space continuations", () => {
    const line = "description: " + "x".repeat(200);
    const folded = foldLdifLine(line);
    expect(folded.split("\n").every((l) => l.length <= 76)).toBe(true);
    expect(
      folded
        .split("\n")
        .map((l, i) => (i ? l.slice(1) : l))
        .join(""),
    ).toBe(line);
  });
});

describe("binary values from text exports", () => {
  const guid = "bcd2e574-8d58-4136-a9df-8a19b145db79";
  const hex = "74e5d2bc588d3641a9df8a19b145db79";
  const bytes = Buffer.from(hex, "hex");
  it.each([
    ["GUID string", guid],
    ["base64", bytes.toString("base64")],
    ["decimal list (-join ' ')", [...bytes].join(" ")],
    ["hex list (ADUC attribute editor)", hex.match(/../g)!.join(" ").toUpperCase()],
    ["braced decimal list", `{${[...bytes].join(", ")}}`],
  ])("%s", (_name, text) => {
    expect(binaryValue(text, "mS-DS-ConsistencyGuid", "test")!.toString("hex")).toBe(hex);
  });
  it("refuses Export-Csv's System.Byte[] with a remedy", () => {
    expect(() => binaryValue("System.Byte[]", "mS-DS-ConsistencyGuid", "f.csv:3")).toThrow(/ToBase64String/);
  });
  it("converts GeneralizedTime to ISO 8601", () => {
    expect(generalizedTimeToIso("20261127022806.0Z")).toBe("2026-11-27T02:28:06.000Z");
    expect(generalizedTimeToIso("11/27/2026 2:28:06 AM")).toBe("11/27/2026 2:28:06 AM");
  });
});
