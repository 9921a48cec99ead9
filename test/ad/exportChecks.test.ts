/**
 * The export readers' duplicate check (ad/exportChecks.ts) over many entries: its tables grow as entries come, and
 * the second DN or objectGUID is found wherever the first was, with the first one's line; equal hashes of different
 * entries are not taken for duplicates.
 */
import { describe, expect, it } from "vitest";
import { AdReadError } from "../../ad/errors";
import { DuplicateCheck } from "../../ad/exportChecks";
import { guidBytesToString } from "../../ad/ids";
import type { AdUser } from "../../ad/types";

const guid = (i: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(i, 12); // like the bench data: GUIDs that differ only in their last bytes
  return guidBytesToString(b);
};
const user = (i: number, over: Partial<AdUser> = {}): AdUser => ({
  distinguishedName: `CN=User ${i},OU=Demo,DC=corp,DC=example,DC=test`,
  objectGuid: guid(i),
  otherMobile: [],
  enabled: true,
  ...over,
});

function failAt(users: AdUser[]): AdReadError | undefined {
  const c = new DuplicateCheck("users.ldif");
  try {
    users.forEach((u, i) => {
      c.check(u, 10 * i + 3);
    });
  } catch (e) {
    expect(e).toBeInstanceOf(AdReadError);
    return e as AdReadError;
  }
  return undefined;
}

describe("the export readers' duplicate check", () => {
  const many = Array.from({ length: 50_000 }, (_, i) => user(i));

  it("passes 50,000 different entries, with and without objectGUID", () => {
    expect(failAt(many)).toBeUndefined();
    expect(failAt(many.map((u, i) => (i % 3 ? u : { ...u, objectGuid: undefined })))).toBeUndefined();
  });

  it("finds a second DN and names the first one's line", () => {
    const users = [...many.slice(0, 40_000), user(123, { objectGuid: guid(99_999) })];
    expect(failAt(users)?.message).toContain(
      "CN=User 123,OU=Demo,DC=corp,DC=example,DC=test appears twice (first at users.ldif:1233)",
    );
  });

  it("finds a second objectGUID under another DN, written in any case", () => {
    const users = [...many.slice(0, 40_000), user(77_777, { objectGuid: guid(31_000).toUpperCase() })];
    const e = failAt(users);
    expect(e?.message).toContain(`objectGUID ${guid(31_000).toUpperCase()} of CN=User 77777`);
    expect(e?.message).toContain("appears twice (first at users.ldif:310003): the same object under two DNs");
  });

  it("tells apart DNs that differ only in case (AD compares them case-insensitively; the check, as before, does not)", () => {
    expect(failAt([user(1), user(2, { distinguishedName: user(1).distinguishedName.toUpperCase() })])).toBeUndefined();
  });

  it("finds a DN twice also when it holds a lone surrogate, and tells two such DNs apart", () => {
    const odd = (c: string) => user(5, { distinguishedName: `CN=Odd ${c},OU=Demo,DC=corp`, objectGuid: undefined });
    expect(failAt([user(1), odd("\ud800"), odd("\udc00")])).toBeUndefined();
    expect(failAt([user(1), odd("\ud800"), user(2), odd("\ud800")])?.message).toContain(
      "appears twice (first at users.ldif:13)",
    );
  });
});
