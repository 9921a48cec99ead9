/** DirSync helpers (ad/dirsync.ts): the control's encoding, DN scope tests, base DNs by naming context. */
import { BerReader, BerWriter } from "ldapts";
import { describe, expect, it } from "vitest";
import {
  baseDnsByNamingContext,
  DIRSYNC_OBJECT_SECURITY,
  DIRSYNC_OID,
  DirSyncControl,
  isSameOrBelow,
  normalizeDn,
  scopeTest,
} from "../../ad/dirsync";

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

describe("DN scope", () => {
  const base = "OU=Corp Users,DC=corp,DC=example,DC=test";
  const cases: [string, boolean][] = [
    ["CN=Ann,OU=Corp Users,DC=corp,DC=example,DC=test", true],
    ["cn=ann,ou=corp users,dc=CORP,dc=example,dc=test", true],
    ["CN=Ann, OU=Corp Users, DC=corp, DC=example, DC=test", true],
    [" CN=Ann ,OU=Corp Users ,DC=corp,DC=example,DC=test ", true],
    ["OU=Corp Users,DC=corp,DC=example,DC=test", true],
    ["CN=Smith\\, Ann,OU=Corp Users,DC=corp,DC=example,DC=test", true],
    ["CN=Ann,OU=Other,DC=corp,DC=example,DC=test", false],
    ["CN=Ann,OU=Corp Users2,DC=corp,DC=example,DC=test", false],
    ["CN=Ann,OU=Xcorp Users,DC=corp,DC=example,DC=test", false],
    ["CN=x\\,OU=Corp Users,DC=corp,DC=example,DC=test", false], // one RDN, "x,OU=Corp Users", under the domain
    ["CN=x\\\\,OU=Corp Users,DC=corp,DC=example,DC=test", true], // an escaped backslash, then a real comma
    ["CN=Ann,OU=Corp Users,DC=corp,DC=example", false],
    ["CN=Zoë,OU=Corp Users,DC=corp,DC=example,DC=test", true],
  ];

  it.each(cases)("%s lies under the base: %s", (dn, want) => {
    expect(isSameOrBelow(dn, base)).toBe(want);
    expect(scopeTest([base])(dn)).toBe(want);
  });

  it("the fast test agrees with comparing normalised DNs", () => {
    const test = scopeTest([base, "OU=Staff, DC=corp,DC=example,DC=test"]);
    const bases = [normalizeDn(base), normalizeDn("OU=Staff,DC=corp,DC=example,DC=test")];
    const rdns = (dn: string) => normalizeDn(dn).split(/(?<!\\),/); // (misreads an escaped backslash before a comma; filtered out below)
    const under = (dn: string, b: string) => {
      const [d, a] = [rdns(dn), rdns(b)];
      return d.length >= a.length && d.slice(d.length - a.length).join(",") === a.join(",");
    };
    for (const [dn] of cases.filter(([dn]) => !dn.includes("\\\\"))) {
      expect(test(dn)).toBe(bases.some((b) => under(dn, b)));
    }
    expect(test("CN=Bo,ou=STAFF,DC=corp,DC=example,DC=test")).toBe(true);
  });
});

describe("baseDnsByNamingContext", () => {
  const ncs = ["DC=corp,DC=example,DC=test", "CN=Configuration,DC=corp,DC=example,DC=test", "DC=example,DC=test"];

  it("puts each base DN in the longest naming context that holds it", () => {
    const plan = baseDnsByNamingContext(
      ["OU=A,DC=corp,DC=example,DC=test", "OU=B,DC=corp,DC=example,DC=test", "OU=C,DC=example,DC=test"],
      ncs,
    );
    expect([...(plan ?? [])]).toEqual([
      ["DC=corp,DC=example,DC=test", ["OU=A,DC=corp,DC=example,DC=test", "OU=B,DC=corp,DC=example,DC=test"]],
      ["DC=example,DC=test", ["OU=C,DC=example,DC=test"]],
    ]);
  });

  it("is undefined for a base DN that no naming context holds", () => {
    expect(baseDnsByNamingContext(["OU=A,DC=other,DC=test"], ncs)).toBeUndefined();
  });
});
