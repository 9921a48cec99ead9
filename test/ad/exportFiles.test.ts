import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAdCsvFile, splitMultiValue } from "../../ad/csvFileSource";
import { AdReadError } from "../../ad/errors";
import { guidStringToBytes } from "../../ad/ids";
import { readLdifFile } from "../../ad/ldifFileSource";
import type { AdSource, AdUser } from "../../ad/types";
import { DEMO_USERS, OUT_OF_SCOPE_USERS, seedUserDn } from "../fixtures/ad/seedData";

const FIX = join(__dirname, "../fixtures/ad");
const tmp = mkdtempSync(join(tmpdir(), "syncgap-ad-export-"));

async function all(src: AdSource): Promise<AdUser[]> {
  const out: AdUser[] = [];
  for await (const page of src.pages()) out.push(...page);
  return out;
}

async function expectAdError(p: Promise<unknown>, code: string, re?: RegExp): Promise<AdReadError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdReadError);
  expect((e as AdReadError).code).toBe(code);
  if (re) expect((e as AdReadError).message).toMatch(re);
  return e as AdReadError;
}

const byDn = (users: AdUser[]) => new Map(users.map((u) => [u.distinguishedName, u]));

describe("readLdifFile on demo.ldif (ldifde-style export of the Samba DC)", async () => {
  const users = await all(readLdifFile(join(FIX, "demo.ldif")));
  const seeds = [...DEMO_USERS, ...OUT_OF_SCOPE_USERS];

  it("reads every demo user with the seeded values", () => {
    expect(users).toHaveLength(seeds.length);
    const map = byDn(users);
    for (const s of seeds) {
      const u = map.get(seedUserDn(s));
      expect(u, seedUserDn(s)).toBeDefined();
      expect(u!.sAMAccountName).toBe(s.sAMAccountName);
      expect(u!.userPrincipalName).toBe(s.userPrincipalName);
      expect(u!.displayName).toBe(s.displayName);
      expect(u!.mobile).toBe(s.mobile);
      expect(u!.otherMobile).toEqual(s.otherMobile ?? []);
      expect(u!.enabled).toBe(!s.disabled);
      expect(u!.userAccountControl).toBe(s.disabled ? 514 : 512);
      expect(u!.consistencyGuid).toBe(s.consistencyGuid);
      expect(u!.objectGuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(u!.objectSid).toMatch(/^S-1-5-21-2718281828-3141592653-1414213562-\d+$/);
      const anchor = s.consistencyGuid ?? u!.objectGuid!;
      expect(u!.immutableId).toBe(guidStringToBytes(anchor).toString("base64"));
      expect(u!.whenChanged).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    }
  });

  it("keeps a consistency GUID whose bytes are printable ASCII as bytes", () => {
    const trent = users.find((u) => u.sAMAccountName === "trent.moss")!;
    expect(trent.immutableId).toBe(Buffer.from("0123456789abcdef").toString("base64"));
    expect(trent.consistencyGuid).toBe("33323130-3534-3736-3839-616263646566");
  });

  it("hands out pages of the requested size", async () => {
    const sizes: number[] = [];
    for await (const page of readLdifFile(join(FIX, "demo.ldif"), { pageSize: 5 }).pages()) sizes.push(page.length);
    expect(sizes).toEqual([5, 5, 5, 5, 4]);
  });

  it("reads the same users from a UTF-16LE file with BOM (ldifde -u)", async () => {
    const p = join(tmp, "demo-utf16.ldf");
    writeFileSync(
      p,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(join(FIX, "demo.ldif"), "utf8"), "utf16le")]),
    );
    expect(await all(readLdifFile(p))).toEqual(users);
  });

  it("ldapsearch output: comments (folded too), CRLF, folded and base64 DNs, ;binary, referral and trailer", async () => {
    const src = readLdifFile(join(FIX, "ldapsearch-sample.ldif"));
    const got = await all(src);
    expect(got.map((u) => u.sAMAccountName)).toEqual(["heloise.dufour", "dave.evans", "trent.moss"]);
    expect(src.stats.skippedRecords).toBe(2); // the group and the computer
    const map = byDn(users);
    for (const u of got) {
      const ref = map.get(u.distinguishedName)!;
      expect(ref, u.distinguishedName).toBeDefined();
      for (const k of [
        "objectGuid",
        "objectSid",
        "immutableId",
        "consistencyGuid",
        "mobile",
        "otherMobile",
        "displayName",
      ] as const) {
        expect(u[k], `${u.sAMAccountName}.${k}`).toEqual(ref[k]);
      }
    }
    expect(got[0]!.distinguishedName).toBe("CN=Héloïse Dœuf-Müller,OU=Demo,OU=Corp Users,DC=corp,DC=example,DC=test");
  });

  it("rejects change records, bad lines and missing files with AD_BAD_EXPORT", async () => {
    const mod = join(tmp, "modify.ldif");
    writeFileSync(mod, "dn: CN=x,DC=corp\nchangetype: modify\nreplace: mobile\nmobile: 1\n-\n");
    await expectAdError(all(readLdifFile(mod)), "AD_BAD_EXPORT", /changes, not an export/);
    const bad = join(tmp, "bad.ldif");
    writeFileSync(bad, "version: 1\n\ndn: CN=x,DC=corp\nobjectClass: user\nthis line has no colon\n");
    const e = await expectAdError(all(readLdifFile(bad)), "AD_BAD_EXPORT", /line 5/);
    expect(e.server).toBe(`${bad}:5`);
    const cont = join(tmp, "cont.ldif");
    writeFileSync(cont, " starts with a continuation\n");
    await expectAdError(all(readLdifFile(cont)), "AD_BAD_EXPORT", /continuation/);
    await expectAdError(all(readLdifFile(join(tmp, "nope.ldif"))), "AD_BAD_EXPORT", /ENOENT/);
  });
});

describe("readAdCsvFile (Get-ADUser | Export-Csv)", async () => {
  const ldif = byDn(await all(readLdifFile(join(FIX, "demo.ldif"))));

  it("recommended export (joined otherMobile, base64 consistency GUID) matches the LDIF", async () => {
    const users = await all(readAdCsvFile(join(FIX, "export-joined.csv")));
    expect(users).toHaveLength(ldif.size);
    for (const u of users) {
      const ref = ldif.get(u.distinguishedName)!;
      expect(ref, u.distinguishedName).toBeDefined();
      const { whenChanged: _a, ...rest } = u;
      const { whenChanged: _b, ...refRest } = ref;
      expect(rest).toEqual(refRest);
      expect(u.whenChanged).toMatch(/^\d{1,2}\/\d{1,2}\/\d{4} /); // culture-formatted, kept as written
    }
  });

  it("';'-delimited, UTF-8 BOM, #TYPE line, decimal byte list and {a, b} otherMobile", async () => {
    const users = await all(readAdCsvFile(join(FIX, "export-semicolon-bom.csv")));
    expect(users).toHaveLength(ldif.size);
    for (const u of users) {
      const ref = ldif.get(u.distinguishedName)!;
      for (const k of [
        "enabled",
        "mobile",
        "otherMobile",
        "objectGuid",
        "consistencyGuid",
        "immutableId",
        "objectSid",
        "sAMAccountName",
        "userPrincipalName",
      ] as const) {
        expect(u[k], `${u.sAMAccountName}.${k}`).toEqual(ref[k]);
      }
    }
    const zed = users.find((u) => u.sAMAccountName === "zed.reyes")!;
    expect(zed.otherMobile).toEqual(["+14255550220", "+14255550320", "+14255550420"]);
  });

  it("a plain Windows PowerShell 5.1 export loses otherMobile and the consistency GUID: clear errors", async () => {
    const p = join(FIX, "export-ps51-default.csv");
    await expectAdError(all(readAdCsvFile(p)), "AD_BAD_EXPORT", /otherMobile -join ';'/);
    const src = readAdCsvFile(p, { unexportedMultiValue: "empty" });
    await expectAdError(all(src), "AD_BAD_EXPORT", /System\.Byte\[\].*ToBase64String/);
    expect(src.warnings[0]).toMatch(/otherMobile was not exported/);
  });

  it("the same export without consistency GUIDs reads with unexportedMultiValue: empty", async () => {
    const lines = readFileSync(join(FIX, "export-ps51-default.csv"), "utf8").split("\r\n");
    const p = join(tmp, "ps51-no-cg.csv");
    writeFileSync(p, lines.filter((l) => !l.includes("System.Byte[]")).join("\r\n"));
    const src = readAdCsvFile(p, { unexportedMultiValue: "empty" });
    const users = await all(src);
    expect(users.length).toBe(ldif.size - 3);
    expect(users.every((u) => u.otherMobile.length === 0)).toBe(true);
    const alice = users.find((u) => u.sAMAccountName === "alice.baker")!;
    expect(alice.immutableId).toBe(ldif.get(alice.distinguishedName)!.immutableId);
    // Windows PowerShell 5.1's Export-Csv writes ASCII by default: non-ASCII names come out as "?"
    const heloise = users.find((u) => u.sAMAccountName === "heloise.dufour")!;
    expect(heloise.distinguishedName).toBe("CN=H?lo?se D?uf-M?ller,OU=Demo,OU=Corp Users,DC=corp,DC=example,DC=test");
    expect(users.find((u) => u.sAMAccountName === "frank.green")!.enabled).toBe(false);
  });

  it("UTF-16LE (Export-Csv -Encoding Unicode) reads the same", async () => {
    const p = join(tmp, "joined-utf16.csv");
    writeFileSync(
      p,
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(readFileSync(join(FIX, "export-joined.csv"), "utf8"), "utf16le"),
      ]),
    );
    expect(await all(readAdCsvFile(p))).toEqual(await all(readAdCsvFile(join(FIX, "export-joined.csv"))));
  });

  it("UTF-16BE with BOM reads the same", async () => {
    const p = join(tmp, "joined-utf16be.csv");
    const le = Buffer.from(readFileSync(join(FIX, "export-joined.csv"), "utf8"), "utf16le");
    writeFileSync(p, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]));
    expect(await all(readAdCsvFile(p))).toEqual(await all(readAdCsvFile(join(FIX, "export-joined.csv"))));
  });

  it("rejects a CSV that is not a user export", async () => {
    const p = join(tmp, "other.csv");
    writeFileSync(p, '"Name","Enabled"\n"x","True"\n');
    await expectAdError(all(readAdCsvFile(p)), "AD_BAD_EXPORT", /DistinguishedName/);
    const q = join(tmp, "noenabled.csv");
    writeFileSync(q, '"DistinguishedName","mobile"\n"CN=x,DC=corp","1"\n');
    await expectAdError(all(readAdCsvFile(q)), "AD_BAD_EXPORT", /Enabled nor a userAccountControl/);
    const r = join(tmp, "broken.csv");
    writeFileSync(r, '"DistinguishedName","Enabled"\n"CN=x,DC=corp","True\n');
    await expectAdError(all(readAdCsvFile(r)), "AD_BAD_EXPORT", /quoted field is not closed.*cut/);
  });

  it("reads department from LDIF and CSV, and refuses one longer than AD allows", async () => {
    const ldif = join(tmp, "department.ldif");
    writeFileSync(
      ldif,
      "dn: CN=Ann,OU=Sales,DC=corp\nobjectClass: user\nsAMAccountName: ann\ndepartment: Sales\nmobile: +1 425 555 0100\n\n" +
        "dn: CN=Bob,OU=IT,DC=corp\nobjectClass: user\nsAMAccountName: bob\n\n",
    );
    expect((await all(readLdifFile(ldif))).map((u) => u.department)).toEqual(["Sales", undefined]);
    const csv = join(tmp, "department.csv");
    writeFileSync(
      csv,
      '"DistinguishedName","SamAccountName","Enabled","mobile","Department"\n' +
        '"CN=Ann,OU=Sales,DC=corp","ann","True","+1 425 555 0100","Sales"\n"CN=Bob,OU=IT,DC=corp","bob","True","",""\n',
    );
    expect((await all(readAdCsvFile(csv))).map((u) => u.department)).toEqual(["Sales", undefined]);
    writeFileSync(
      ldif,
      `dn: CN=Ann,DC=corp\nobjectClass: user\nsAMAccountName: ann\ndepartment: ${"x".repeat(65)}\n\n`,
    );
    await expectAdError(all(readLdifFile(ldif)), "AD_BAD_ENTRY", /department of CN=Ann,DC=corp is 65 characters/);
  });

  it("splits joined multi-values", () => {
    expect(splitMultiValue("a;b")).toEqual(["a", "b"]);
    expect(splitMultiValue("{+1 425 555 0100, +14255550101}")).toEqual(["+1 425 555 0100", "+14255550101"]);
    expect(splitMultiValue("a\r\nb")).toEqual(["a", "b"]);
    expect(splitMultiValue(" ")).toEqual([]);
  });
});
