/**
 * The LDAP reader against a real Samba AD DC (started by scripts/samba-dc.sh, seeded with 1,500 generated users and
 * the demo users). Nothing here is mocked.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdReadError } from "../../ad/errors";
import { guidStringToBytes } from "../../ad/ids";
import { createLdapAdSource } from "../../ad/ldapReader";
import { DEFAULT_USER_FILTER, type LdapAdSourceOptions } from "../../ad/ldapReadOptions";
import { tapSearchEntries } from "../../ad/ldaptsDecoding";
import { readLdifFile } from "../../ad/ldifFileSource";
import { parseLdif } from "../../ad/ldifTextParser";
import type { AdUser } from "../../ad/types";
import { DEMO_OU, DEMO_USERS, generatedUser, OUT_OF_SCOPE_USERS, seedUserDn } from "../fixtures/ad/seedData";
import { type AdminLdap, adminLdap } from "../support/adminLdap";
import { makeTestCa } from "../support/certs";
import { acquireDc } from "../support/dc";
import type { SambaDc } from "../support/sambaDc";

let dc: SambaDc;
beforeAll(async () => {
  dc = await acquireDc();
});
afterAll(async () => {
  await dc?.stop();
});

function opts(over: Partial<LdapAdSourceOptions> = {}): LdapAdSourceOptions {
  return {
    url: dc.url,
    caPem: dc.caPem,
    bindDN: dc.bindUPN,
    password: dc.password,
    baseDNs: [dc.usersDN],
    ...over,
  };
}

async function errorOf(p: Promise<unknown>): Promise<AdReadError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdReadError);
  return e as AdReadError;
}

const GENERATED = 1500;

describe("paged read of the sync scope", () => {
  let users: AdUser[];
  let pageSizes: number[];
  let stats: { pages: number; requests: number; largestPage: number };

  beforeAll(async () => {
    const src = createLdapAdSource(opts({ pageSize: 200, readMode: "paged" }));
    users = [];
    pageSizes = [];
    for await (const page of src.pages()) {
      pageSizes.push(page.length);
      users.push(...page);
    }
    stats = src.stats;
  });

  it("uses the paged results control: 1,522 users in pages of at most 200", () => {
    expect(users).toHaveLength(GENERATED + DEMO_USERS.length);
    expect(pageSizes.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...pageSizes)).toBe(200);
    expect(stats.pages).toBe(pageSizes.length);
    expect(stats.requests).toBeGreaterThanOrEqual(8); // one search request per page
    expect(stats.largestPage).toBe(200);
  });

  it("caps the page size at AD's MaxPageSize (1,000)", async () => {
    const src = createLdapAdSource(opts({ pageSize: 5000, readMode: "paged" }));
    expect(src.pageSize).toBe(1000);
    const sizes: number[] = [];
    for await (const page of src.pages()) sizes.push(page.length);
    expect(sizes).toEqual([1000, 522]);
  });

  it("DirSync (the default on a DC that offers it) reads exactly the same users, in one search", async () => {
    const src = createLdapAdSource(opts({ pageSize: 200 }));
    const viaDirSync: AdUser[] = [];
    const sizes: number[] = [];
    for await (const page of src.pages()) {
      sizes.push(page.length);
      viaDirSync.push(...page);
    }
    expect(src.stats.method).toBe("dirsync");
    expect(src.stats.fallback).toBeUndefined();
    expect(src.stats.requests).toBe(3); // rootDSE, the base DN's existence, one DirSync search of the domain
    // the domain's other users (out of scope OU, service and built-in accounts) came back and were dropped
    expect(src.stats.outOfScope).toBeGreaterThanOrEqual(OUT_OF_SCOPE_USERS.length + 1);
    expect(Math.max(...sizes)).toBe(200);
    const byDn = (list: AdUser[]) => [...list].sort((a, b) => a.distinguishedName.localeCompare(b.distinguishedName));
    const norm = (u: AdUser) => ({ ...u, otherMobile: [...u.otherMobile].sort() });
    expect(byDn(viaDirSync).map(norm)).toEqual(byDn(users).map(norm));
  });

  it.each(["dirsync", "paged"] as const)("%s: entries collected by ldapts give the same users", async (readMode) => {
    const streamed = createLdapAdSource(opts({ readMode, pageSize: 200 }));
    const collected = createLdapAdSource(opts({ readMode, pageSize: 200, streamEntries: false }));
    const [a, b] = [await streamed.readAll(), await collected.readAll()];
    expect(a).toHaveLength(users.length);
    expect(b).toEqual(a);
    const counts = ({ pages, requests, users, largestPage, outOfScope, method }: typeof streamed.stats) => ({
      pages,
      requests,
      users,
      largestPage,
      outOfScope,
      method,
    });
    expect(counts(collected.stats)).toEqual(counts(streamed.stats));
  });

  it("tapSearchEntries hands over every entry and keeps at most one in ldapts' result", async () => {
    const client = new Client({ url: dc.url, tlsOptions: { ca: dc.caPem }, strictDN: false });
    try {
      await client.bind(dc.bindDN, dc.password);
      const seen: string[] = [];
      const tap = tapSearchEntries(client, (e) => seen.push(e.name));
      expect(tap).toBeDefined();
      const res = await client.search(dc.usersDN, { scope: "sub", filter: DEFAULT_USER_FILTER, attributes: ["cn"] });
      tap?.off();
      expect(seen).toHaveLength(users.length);
      expect(res.searchEntries.length).toBeLessThanOrEqual(1);
      const again = await client.search(dc.usersDN, { scope: "sub", filter: DEFAULT_USER_FILTER, attributes: ["cn"] });
      expect(again.searchEntries).toHaveLength(users.length); // off() restores ldapts' own collecting
      expect(seen).toHaveLength(users.length);
    } finally {
      await client.unbind();
    }
  });

  it("readMode dirsync keeps several base DNs apart and checks each exists", async () => {
    const outOu = `OU=Out Of Scope,${dc.baseDN}`;
    const src = createLdapAdSource(opts({ baseDNs: [DEMO_OU, outOu], readMode: "dirsync" }));
    const got = await src.readAll();
    expect(got).toHaveLength(DEMO_USERS.length + OUT_OF_SCOPE_USERS.length);
    expect(src.stats.requests).toBe(4);
    const e = await errorOf(
      createLdapAdSource(opts({ baseDNs: [`OU=Does Not Exist,${dc.baseDN}`], readMode: "dirsync" })).readAll(),
    );
    expect(e.code).toBe("AD_BAD_BASE_DN");
  });

  it("returns every user once and nothing outside the base DN", () => {
    const dns = new Set(users.map((u) => u.distinguishedName));
    expect(dns.size).toBe(users.length);
    for (const u of OUT_OF_SCOPE_USERS) expect(dns.has(seedUserDn(u))).toBe(false);
    expect(users.some((u) => u.sAMAccountName === "svc-syncgap")).toBe(false);
  });

  it("reads the seeded values of generated users", () => {
    const bySam = new Map(users.map((u) => [u.sAMAccountName, u]));
    for (const i of [0, 1, 7, 42, 500, 999, 1499]) {
      const s = generatedUser(1, i, GENERATED);
      const u = bySam.get(s.sAMAccountName)!;
      expect(u, s.sAMAccountName).toBeDefined();
      expect(u.distinguishedName).toBe(seedUserDn(s));
      expect(u.displayName).toBe(s.displayName);
      expect(u.userPrincipalName).toBe(s.userPrincipalName);
      expect(u.mobile).toBe(s.mobile);
      expect(u.otherMobile.sort()).toEqual([...(s.otherMobile ?? [])].sort());
      expect(u.enabled).toBe(!s.disabled);
      expect(u.consistencyGuid).toBe(s.consistencyGuid);
    }
  });

  it("covers the interesting cases in the generated population", () => {
    expect(users.filter((u) => !u.enabled).length).toBeGreaterThan(50);
    expect(users.filter((u) => u.consistencyGuid).length).toBeGreaterThan(50);
    expect(users.filter((u) => u.otherMobile.length > 1).length).toBeGreaterThan(20);
    expect(users.filter((u) => u.mobile === undefined).length).toBeGreaterThan(100);
    expect(users.filter((u) => u.userPrincipalName?.endsWith("@legacy.example.test")).length).toBeGreaterThan(50);
    expect(users.filter((u) => /[^\x00-\x7f]/.test(u.displayName ?? "")).length).toBeGreaterThan(50);
  });

  it("decodes multi-valued otherMobile", () => {
    const zed = users.find((u) => u.sAMAccountName === "zed.reyes")!;
    expect(zed.otherMobile.sort()).toEqual(["+14255550220", "+14255550320", "+14255550420"]);
    const dave = users.find((u) => u.sAMAccountName === "dave.evans")!;
    expect(dave.otherMobile.sort()).toEqual(["+1 425 555 0303", "+14255550203"]);
    expect(users.find((u) => u.sAMAccountName === "alice.baker")!.otherMobile).toEqual([]);
  });

  it("matches ldbsearch on objectGUID, objectSid and mS-DS-ConsistencyGuid (read from sam.ldb)", async () => {
    const out = execFileSync(
      "ldbsearch",
      [
        "-H",
        dc.samLdb,
        "-b",
        dc.usersDN,
        "(&(objectCategory=person)(objectClass=user))",
        "objectGUID",
        "objectSid",
        "mS-DS-ConsistencyGuid",
      ],
      { env: { ...process.env, SMB_CONF_PATH: join(dc.dir, "smb.conf") }, maxBuffer: 64 * 1024 * 1024 },
    ).toString("utf8");
    const ldb = new Map<string, { guid: string; sid: string; cg?: Buffer }>();
    for await (const rec of parseLdif(Readable.from(out.split("\n")), {
      binaryAttributes: new Set(["ms-ds-consistencyguid"]),
    })) {
      ldb.set(rec.dn.toLowerCase(), {
        guid: String(rec.attrs.get("objectguid")![0]),
        sid: String(rec.attrs.get("objectsid")![0]),
        cg: rec.attrs.get("ms-ds-consistencyguid")?.[0] as Buffer | undefined,
      });
    }
    expect(ldb.size).toBe(users.length);
    let withCg = 0;
    for (const u of users) {
      const l = ldb.get(u.distinguishedName.toLowerCase())!;
      expect(l, u.distinguishedName).toBeDefined();
      expect(u.objectGuid).toBe(l.guid); // ldbsearch prints GUIDs in the same (.NET) byte order
      expect(u.objectSid).toBe(l.sid);
      if (l.cg) {
        withCg++;
        expect(u.immutableId).toBe(l.cg.toString("base64"));
      } else {
        expect(u.immutableId).toBe(guidStringToBytes(l.guid).toString("base64"));
      }
    }
    expect(withCg).toBeGreaterThan(50);
  });

  it("keeps binary attributes binary even when their bytes are valid UTF-8", () => {
    const trent = users.find((u) => u.sAMAccountName === "trent.moss")!;
    expect(trent.immutableId).toBe(Buffer.from("0123456789abcdef").toString("base64"));
    expect(trent.consistencyGuid).toBe("33323130-3534-3736-3839-616263646566");
  });

  it("agrees with demo.ldif on SIDs and consistency GUIDs (fixed domain SID, same add order)", async () => {
    const demo = new Map<string, AdUser>();
    for await (const page of readLdifFile(join(__dirname, "../fixtures/ad/demo.ldif")).pages()) {
      for (const u of page) demo.set(u.distinguishedName, u);
    }
    const live = users.filter((u) => u.distinguishedName.endsWith(DEMO_OU));
    expect(live).toHaveLength(DEMO_USERS.length);
    for (const u of live) {
      const d = demo.get(u.distinguishedName)!;
      expect(d.objectSid).toBe(u.objectSid);
      expect(d.consistencyGuid).toBe(u.consistencyGuid);
      expect(d.mobile).toBe(u.mobile);
      expect(d.otherMobile.sort()).toEqual(u.otherMobile.sort());
      if (u.consistencyGuid) expect(d.immutableId).toBe(u.immutableId);
    }
  });
});

describe("binding", () => {
  it.each([
    ["UPN", () => dc.bindUPN],
    ["DN", () => dc.bindDN],
    ["DOMAIN\\user", () => `${dc.netbios}\\svc-syncgap`],
  ])("binds as %s", async (_name, who) => {
    await createLdapAdSource(opts({ bindDN: who() })).verify();
  });

  it("reads over ldap:// with StartTLS", async () => {
    const src = createLdapAdSource(opts({ url: dc.ldapUrl, startTls: true, baseDNs: [DEMO_OU] }));
    expect((await src.readAll()).length).toBe(DEMO_USERS.length);
  });

  it("trusts the CA given as a file, and checks the certificate name", async () => {
    await createLdapAdSource(opts({ caPem: undefined, caCertPath: dc.caCertPath, servername: "localhost" })).verify();
    const e = await errorOf(createLdapAdSource(opts({ servername: "dc9.elsewhere.test" })).verify());
    expect(e.code).toBe("AD_TLS_UNTRUSTED");
    expect(e.message).toMatch(/servername/);
  });

  it("refuses a DC whose certificate another CA issued", async () => {
    const other = makeTestCa("some other CA");
    const e = await errorOf(createLdapAdSource(opts({ caPem: other.caPem })).verify());
    expect(e.code).toBe("AD_TLS_UNTRUSTED");
    expect(e.server).toBe(dc.url);
    expect(e.message).toMatch(/caCertPath or caPem/);
    // the same through StartTLS
    const e2 = await errorOf(
      createLdapAdSource(opts({ url: dc.ldapUrl, startTls: true, caPem: other.caPem })).verify(),
    );
    expect(e2.code).toBe("AD_TLS_UNTRUSTED");
  });

  it("refuses an untrusted DC when no CA is given (system store only)", async () => {
    const e = await errorOf(createLdapAdSource(opts({ caPem: undefined })).verify());
    expect(e.code).toBe("AD_TLS_UNTRUSTED");
  });

  it("reports a wrong password as AD_BAD_CREDENTIALS without the password", async () => {
    const wrong = "Wr0ng-but-secret-Pa55!";
    const e = await errorOf(createLdapAdSource(opts({ password: wrong })).readAll());
    expect(e.code).toBe("AD_BAD_CREDENTIALS");
    expect(e.ldapCode).toBe(49);
    expect(e.message).toContain(dc.url);
    expect(e.message).toContain(dc.bindUPN);
    expect(e.message).not.toContain(wrong);
    expect(JSON.stringify(e)).not.toContain(wrong);
    expect(String(e.cause)).not.toContain(wrong);
  });

  it("reports an unknown user as AD_BAD_CREDENTIALS", async () => {
    const e = await errorOf(createLdapAdSource(opts({ bindDN: "nobody@corp.example.test" })).verify());
    expect(e.code).toBe("AD_BAD_CREDENTIALS");
  });
});

describe("scope and limits", () => {
  it("a base DN that does not exist is an error, not zero users", async () => {
    const e = await errorOf(createLdapAdSource(opts({ baseDNs: [`OU=Does Not Exist,${dc.baseDN}`] })).readAll());
    expect(e.code).toBe("AD_BAD_BASE_DN");
    expect(e.message).toContain("OU=Does Not Exist");
  });

  it("a malformed base DN is AD_BAD_BASE_DN, before anything is sent", () => {
    let e: unknown;
    try {
      createLdapAdSource(opts({ baseDNs: ["this is not a DN"] }));
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(AdReadError);
    expect((e as AdReadError).code).toBe("AD_BAD_BASE_DN");
    expect((e as Error).message).toMatch(/base DN "this is not a DN" is not a valid DN: "=" expected/);
  });

  it("several base DNs are read one after the other", async () => {
    const src = createLdapAdSource(opts({ baseDNs: [DEMO_OU, `OU=Out Of Scope,${dc.baseDN}`] }));
    const got = await src.readAll();
    expect(got).toHaveLength(DEMO_USERS.length + OUT_OF_SCOPE_USERS.length);
  });

  it("maxUsers turns a too-large result into AD_SIZE_LIMIT instead of a truncated list", async () => {
    const e = await errorOf(createLdapAdSource(opts({ maxUsers: 300, pageSize: 100 })).readAll());
    expect(e.code).toBe("AD_SIZE_LIMIT");
  });

  it("stops cleanly when the consumer stops early", async () => {
    const src = createLdapAdSource(opts({ pageSize: 100 }));
    let n = 0;
    for await (const page of src.pages()) {
      n += page.length;
      break;
    }
    expect(n).toBe(100);
  });
});

describe("filter escaping (live)", () => {
  it("finds a user whose name holds * ( ) \\ by exact match", async () => {
    const src = createLdapAdSource(opts());
    const found = await src.findUsers("displayName", "Star*Man (test)\\");
    expect(found.map((u) => u.sAMAccountName)).toEqual(["star.man"]);
    const wendy = await src.findUsers("displayName", "Smith, Wendy (Ops)");
    expect(wendy.map((u) => u.sAMAccountName)).toEqual(["wendy.smith"]);
  });

  it("treats injected filter syntax as a literal value", async () => {
    const src = createLdapAdSource(opts());
    expect(await src.findUsers("sAMAccountName", "*")).toEqual([]);
    expect(await src.findUsers("sAMAccountName", "alice.baker)(sAMAccountName=*")).toEqual([]);
    expect(await src.findUsers("displayName", "Star*")).toEqual([]);
  });

  it("finds users by objectGUID, objectSid and mS-DS-ConsistencyGuid (binary assertions)", async () => {
    const src = createLdapAdSource(opts({ baseDNs: [DEMO_OU] }));
    const [erin] = await src.findUsers("sAMAccountName", "erin.fox");
    expect(erin).toBeDefined();
    expect((await src.findUsers("objectGUID", erin!.objectGuid!)).map((u) => u.sAMAccountName)).toEqual(["erin.fox"]);
    expect((await src.findUsers("objectSid", erin!.objectSid!)).map((u) => u.sAMAccountName)).toEqual(["erin.fox"]);
    expect(
      (await src.findUsers("mS-DS-ConsistencyGuid", "5b1ed3a2-9c4f-4e1b-8a47-2f0c9d6e7a31")).map(
        (u) => u.sAMAccountName,
      ),
    ).toEqual(["erin.fox"]);
  });

  it("sends escaped UTF-8 in a filter string as the bytes it stands for", async () => {
    // "Héloïse Dœuf-Müller" with every non-ASCII byte escaped (RFC 4515 allows both forms)
    const filter = "(&(objectClass=user)(displayName=H\\c3\\a9lo\\c3\\afse D\\c5\\93uf-M\\c3\\bcller))";
    const got = await createLdapAdSource(opts({ filter })).readAll();
    expect(got.map((u) => u.sAMAccountName)).toEqual(["heloise.dufour"]);
    const literal = await createLdapAdSource(opts({ filter: "(&(objectClass=user)(displayName=Héloïse*))" })).readAll();
    expect(literal.map((u) => u.sAMAccountName)).toEqual(["heloise.dufour"]);
  });

  it("a custom filter narrows the read", async () => {
    const src = createLdapAdSource(
      opts({ filter: "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))" }),
    );
    const got = await src.readAll();
    expect(got.length).toBeGreaterThan(1000);
    expect(got.every((u) => u.enabled)).toBe(true);
  });
});

describe("base DNs spelt differently from the DC's DNs (RFC 4514), and scopes that read no user", () => {
  let admin: AdminLdap;
  let root: string;
  let munich: string;
  let rnd: string;
  let empty: string;

  beforeAll(async () => {
    admin = await adminLdap(dc);
    root = `OU=syncgap DN tests,${dc.baseDN}`;
    await admin.remove(root); // left over from an interrupted run
    await admin.addOu("syncgap DN tests", dc.baseDN);
    munich = await admin.addOu("München", root);
    await admin.addUser("Zoë Ähre", munich);
    await admin.addUser("Jörg Öz", munich);
    rnd = await admin.addOu("R&D", root);
    await admin.addUser("Ann Lab", rnd);
    empty = await admin.addOu("Empty", root);
  });
  afterAll(async () => {
    await admin?.remove(root);
    await admin?.close();
  });

  const modes = ["dirsync", "paged"] as const;
  const dns = async (baseDNs: string[], readMode: (typeof modes)[number]) => {
    const src = createLdapAdSource(opts({ baseDNs, readMode }));
    const users = await src.readAll();
    expect(src.stats.method).toBe(readMode);
    return users.map((u) => u.distinguishedName).sort();
  };

  describe.each(modes)("%s", (readMode) => {
    it("OU=M\\C3\\BCnchen (hex-escaped UTF-8), lower case and spaces read the same users as OU=München", async () => {
      const want = await dns([munich], readMode);
      expect(want).toHaveLength(2);
      const rootLower = `ou = syncgap dn tests , dc=corp,dc=example,dc=test`;
      for (const spelt of [`OU=M\\C3\\BCnchen,${root}`, `ou=m\\c3\\bcnchen,${rootLower}`, `OU="München" ; ${root}`]) {
        expect(await dns([spelt], readMode), spelt).toEqual(want);
      }
    });

    it("OU=R\\26D reads the same users as OU=R&D", async () => {
      const want = await dns([rnd], readMode);
      expect(want).toEqual([`CN=Ann Lab,${rnd}`]);
      expect(await dns([`OU=R\\26D,${root}`], readMode)).toEqual(want);
      expect(await dns([`ou=r&d,${root}`], readMode)).toEqual(want);
    });

    it("OU = Corp Users , DC=corp,… and lower case read the same users as the canonical spelling", async () => {
      const want = await dns([dc.usersDN], readMode);
      expect(want).toHaveLength(GENERATED + DEMO_USERS.length);
      for (const spelt of [
        "OU = Corp Users , DC=corp , DC=example , DC=test",
        "ou=corp users,dc=corp,dc=example,dc=test",
      ]) {
        expect(await dns([spelt], readMode), spelt).toEqual(want);
      }
    });

    it("an OU that exists but holds no users is AD_EMPTY_SCOPE naming it, never zero users", async () => {
      const e = await errorOf(createLdapAdSource(opts({ baseDNs: [empty], readMode })).readAll());
      expect(e.code).toBe("AD_EMPTY_SCOPE");
      expect(e.message).toContain(`base DN ${empty}`);
      expect(e.message).toMatch(/Check the spelling of the base DN/);
      if (readMode === "dirsync") {
        // the DC sent the domain's users (seed, demo, service account, built-ins, the test OUs), none in scope
        const n = Number(
          /returned ([\d,]+) entries matching the filter, none of them/.exec(e.message)?.[1]?.replace(/,/g, ""),
        );
        expect(n).toBeGreaterThanOrEqual(GENERATED + DEMO_USERS.length + OUT_OF_SCOPE_USERS.length + 3);
      } else {
        expect(e.message).toMatch(/no user under base DN .* matches the filter/);
      }
    });

    it("with several base DNs, AD_EMPTY_SCOPE names only the empty one", async () => {
      const e = await errorOf(createLdapAdSource(opts({ baseDNs: [DEMO_OU, empty, munich], readMode })).readAll());
      expect(e.code).toBe("AD_EMPTY_SCOPE");
      expect(e.message).toContain(empty);
      expect(e.message).not.toContain(DEMO_OU);
      expect(e.message).not.toContain("München");
    });

    it("a misspelt OU is AD_BAD_BASE_DN (the DC says noSuchObject), never zero users", async () => {
      const e = await errorOf(createLdapAdSource(opts({ baseDNs: [`OU=Muenchen,${root}`], readMode })).readAll());
      expect(e.code).toBe("AD_BAD_BASE_DN");
      expect(e.ldapCode).toBe(32);
      expect(e.message).toContain(`base DN OU=Muenchen,${root} does not exist`);
    });
  });

  it("a base DN in no naming context of the DC: dirsync says so; auto reads paged and the DC's noSuchObject says so", async () => {
    const other = "OU=Staff,DC=other,DC=test";
    const e = await errorOf(createLdapAdSource(opts({ baseDNs: [other], readMode: "dirsync" })).readAll());
    expect(e.code).toBe("AD_BAD_BASE_DN");
    expect(e.message).toContain(
      `base DN ${other} lies in no naming context this DC holds (DC=corp,DC=example,DC=test;`,
    );
    expect(e.remedy).toMatch(/Check the DC=… part of the base DN/);
    const src = createLdapAdSource(opts({ baseDNs: [other] }));
    const auto = await errorOf(src.readAll());
    expect(src.stats.fallback).toMatch(/lies in no naming context this DC holds: read with a paged search instead/);
    expect(auto.code).toBe("AD_BAD_BASE_DN");
    expect(auto.message).toMatch(/does not exist \(LDAP 32 noSuchObject\): it lies in no naming context this DC holds/);
  });
});
