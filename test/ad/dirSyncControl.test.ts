/** DirSync helpers (ad/dirSyncControl.ts): the control's encoding, base DNs by naming context. */
import { BerReader, BerWriter } from "ldapts";
import { describe, expect, it } from "vitest";
import { baseDnsByNamingContext, DIRSYNC_OBJECT_SECURITY, DIRSYNC_OID, DirSyncControl } from "../../ad/dirSyncControl";

describe("DirSyncControl", () => {
  it("writes MS-ADTS' request value: flags, max bytes, cookie", () => {
    const control = new DirSyncControl({ cookie: Buffer.from("c00k1e") });
    const w = new BerWriter();
    control.writeControl(w);
    const outer = new BerReader(w.buffer);
    const value = new BerReader(outer.readString(0x04, true) as Buffer);
    value.readSequence();
    expect(value.readInt()).toBe(DIRSYNC_OBJECT_SECURITY);
    expect(value.readInt()).toBe(control.maxBytes);
    expect(Buffer.from(value.readString(0x04, true) as Buffer).toString()).toBe("c00k1e");
    expect(control.type).toBe(DIRSYNC_OID);
    expect(control.critical).toBe(true);
  });

  it("reads the DC's response value: MoreResults and the new cookie", () => {
    const w = new BerWriter();
    w.startSequence();
    w.writeInt(1);
    w.writeInt(0);
    w.writeBuffer(Buffer.from([1, 2, 3]), 0x04);
    w.endSequence();
    const control = new DirSyncControl();
    control.parseControl(new BerReader(w.buffer));
    expect(control.response).toEqual({ moreResults: true, cookie: Buffer.from([1, 2, 3]) });
  });
});

describe("baseDnsByNamingContext", () => {
  const ncs = ["DC=corp,DC=example,DC=test", "CN=Configuration,DC=corp,DC=example,DC=test", "DC=example,DC=test"];

  it("puts each base DN in the longest naming context that holds it", () => {
    const { byNc, outside } = baseDnsByNamingContext(
      ["OU=A,DC=corp,DC=example,DC=test", "OU=B,DC=corp,DC=example,DC=test", "OU=C,DC=example,DC=test"],
      ncs,
    );
    expect([...byNc]).toEqual([
      ["DC=corp,DC=example,DC=test", ["OU=A,DC=corp,DC=example,DC=test", "OU=B,DC=corp,DC=example,DC=test"]],
      ["DC=example,DC=test", ["OU=C,DC=example,DC=test"]],
    ]);
    expect(outside).toEqual([]);
  });

  it("compares parsed DNs: a base spelt differently from the DC's naming context still lies in it", () => {
    const bases = [
      "OU=MC3BCnchen,DC=corp,DC=example,DC=test",
      "OU = R\x16D , dc=CORP , dc=example,dc=test",
      "ou=corp users,dc=corp,dc=example,dc=test",
      "OU=x,CN=configuration;DC=corp;DC=example;DC=test",
    ];
    const { byNc, outside } = baseDnsByNamingContext(bases, ncs);
    expect([...byNc]).toEqual([
      ["DC=corp,DC=example,DC=test", bases.slice(0, 3)],
      ["CN=Configuration,DC=corp,DC=example,DC=test", [bases[3]]],
    ]);
    expect(outside).toEqual([]);
  });

  it("names the base DNs that no naming context holds", () => {
    const { byNc, outside } = baseDnsByNamingContext(
      ["OU=A,DC=other,DC=test", "OU=B,DC=corp,DC=example,DC=test", "OU=C,DC=corp\\,example,DC=test"],
      ncs,
    );
    expect(outside).toEqual(["OU=A,DC=other,DC=test", "OU=C,DC=corp\\,example,DC=test"]);
    expect([...byNc.keys()]).toEqual(["DC=corp,DC=example,DC=test"]);
  });

  it("ignores a naming context that does not parse, and maps objects through dnOf", () => {
    const { byNc, outside } = baseDnsByNamingContext(
      [{ dn: "OU=A,DC=corp,DC=example,DC=test" }],
      ["DC=corp\\", "DC=corp,DC=example,DC=test"],
      (b) => b.dn,
    );
    expect([...byNc]).toEqual([["DC=corp,DC=example,DC=test", [{ dn: "OU=A,DC=corp,DC=example,DC=test" }]]]);
    expect(outside).toEqual([]);
  });
});
