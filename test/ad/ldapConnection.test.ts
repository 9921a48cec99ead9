/**
 * What syncgap's LDAP connection asks of a DC in every search, seen on the wire by a minimal LDAPS server: no
 * client-requested time limit (ldapts would send 10 s, which cut a 100,000-user DirSync read off on Samba).
 */
import { afterAll, describe, expect, it } from "vitest";
import { LdapConnection } from "../../ad/ldapConnection";
import { createLdapAdSource } from "../../ad/ldapReader";
import { makeTestCa } from "../support/certs";
import { type FakeLdap, startFakeLdap } from "../support/fakeLdap";

const ca = makeTestCa("fake DC CA");
const servers: FakeLdap[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const USERS_DN = "OU=Corp Users,DC=corp,DC=example,DC=test";
const user = {
  dn: `CN=u1,${USERS_DN}`,
  attributes: [
    ["sAMAccountName", [Buffer.from("u1")]],
    ["objectGUID", [Buffer.alloc(16, 1)]],
  ] as [string, Buffer[]][],
};

describe("searches ask the DC for no time limit of their own", () => {
  it("the rootDSE, the paged read, a lookup and a read of the rootDSE all send timeLimit 0", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0, entries: [user] }, ca);
    servers.push(fake);
    const src = createLdapAdSource({
      url: fake.url,
      caPem: ca.caPem,
      bindDN: "svc@corp.example.test",
      password: "S3cret-Pa55word!",
      baseDNs: [USERS_DN],
      pageSize: 1,
    });
    expect((await src.readAll()).map((u) => u.sAMAccountName)).toEqual(["u1"]);
    await src.findUsers("sAMAccountName", "u1");
    await src.readRootDse(["highestCommittedUSN"]);
    // auto: the rootDSE (no DirSync offered), one page; findUsers: one page; readRootDse
    expect(fake.searches.map((s) => s.baseObject)).toEqual(["", USERS_DN, USERS_DN, ""]);
    expect(fake.searches.map((s) => s.timeLimit)).toEqual([0, 0, 0, 0]);
    expect(fake.searches.map((s) => s.sizeLimit)).toEqual([0, 0, 0, 0]);
  });

  it("a time limit a caller gives is still sent", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0 }, ca);
    servers.push(fake);
    const connection = new LdapConnection({
      url: fake.url,
      caPem: ca.caPem,
      bindDN: "svc@corp.example.test",
      password: "S3cret-Pa55word!",
    });
    const client = await connection.connect();
    try {
      await client.search("", { scope: "base", timeLimit: 7 });
      for await (const _ of client.searchPaginated(USERS_DN, { timeLimit: 9, paged: { pageSize: 5 } })) {
        // one empty page
      }
    } finally {
      await client.unbind();
    }
    expect(fake.searches.map((s) => s.timeLimit)).toEqual([7, 9]);
  });
});
