/**
 * Error paths of the LDAP reader that a healthy DC does not produce on demand: configuration mistakes, a closed
 * port, a server that never answers (or answers some requests and then hangs), referrals and size limits (from a
 * minimal LDAPS server on 127.0.0.1).
 */
import { createServer } from "node:net";
import { type AndFilter, EqualityFilter } from "ldapts";
import { afterAll, describe, expect, it } from "vitest";
import { AdReadError } from "../../ad/errors";
import { compileFilter, FilterSyntaxError } from "../../ad/filter";
import { createLdapAdSource } from "../../ad/ldapReader";
import type { LdapAdSourceOptions } from "../../ad/ldapReadOptions";
import { adFingerprint, adSourceName, openAdSource, readAdSource } from "../../gap/adSources";
import { GapInputError } from "../../gap/errors";
import type { AdSourceSpec } from "../../gap/types";
import { makeTestCa } from "../support/certs";
import { type FakeEntry, type FakeLdap, startFakeLdap } from "../support/fakeLdap";

const ca = makeTestCa("fake DC CA");
const PASSWORD = "S3cret-Pa55word!";
const servers: FakeLdap[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function opts(over: Partial<LdapAdSourceOptions> = {}): LdapAdSourceOptions {
  return {
    url: "ldaps://127.0.0.1:636",
    caPem: ca.caPem,
    bindDN: "svc@corp.example.test",
    password: PASSWORD,
    baseDNs: ["OU=Corp Users,DC=corp,DC=example,DC=test"],
    ...over,
  };
}

function configError(over: Partial<LdapAdSourceOptions>): AdReadError {
  try {
    createLdapAdSource(opts(over));
  } catch (e) {
    expect(e).toBeInstanceOf(AdReadError);
    return e as AdReadError;
  }
  throw new Error("expected a configuration error");
}

async function readError(src: ReturnType<typeof createLdapAdSource>): Promise<AdReadError> {
  const e = await src.readAll().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdReadError);
  expect((e as Error).message).not.toContain(PASSWORD);
  return e as AdReadError;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("configuration", () => {
  it("refuses ldap:// without StartTLS (password in clear)", () => {
    const e = configError({ url: "ldap://127.0.0.1:389" });
    expect(e.code).toBe("AD_BAD_CONFIG");
    expect(e.message).toMatch(/clear text/);
  });
  it("refuses an empty password (unauthenticated bind would read nothing)", () => {
    expect(configError({ password: "" }).message).toMatch(/empty bind password/);
  });
  it("refuses nested base DNs (users would be read twice)", () => {
    const e = configError({
      baseDNs: ["OU=Corp Users,DC=corp,DC=example,DC=test", "ou=staff 01, ou=corp users,dc=corp,dc=example,dc=test"],
    });
    expect(e.message).toMatch(/inside/);
    const escaped = configError({
      baseDNs: ["OU=Corp\\20Users,DC=corp,DC=example,DC=test", "OU=Staff 01,OU=Corp Users,DC=corp,DC=example,DC=test"],
    });
    expect(escaped.message).toMatch(/OU=Staff 01,OU=Corp Users.* lies inside OU=Corp\\20Users/);
  });
  it("refuses the same base DN spelt twice", () => {
    const e = configError({
      baseDNs: ["OU=R\\26D,DC=corp,DC=example,DC=test", "ou = r&d , dc=corp,dc=example,dc=test"],
    });
    expect(e.code).toBe("AD_BAD_CONFIG");
    expect(e.message).toMatch(/are the same DN/);
  });
  it.each([
    ["this is not a DN", /"=" expected/],
    ["OU=Staff,,DC=corp", /attribute type .* is missing/],
    ["OU=M\\C3nchen,DC=corp", /not valid UTF-8/],
    ["OU=Staff,DC=corp,", /ends with a separator/],
    ["  ", /is empty/],
  ])("refuses a malformed base DN before connecting: %s", (dn, problem) => {
    const e = configError({ baseDNs: [dn] });
    expect(e.code).toBe("AD_BAD_BASE_DN");
    expect(e.message).toContain(JSON.stringify(dn));
    expect(e.message).toMatch(problem);
    expect(e.message).toMatch(/Write base DNs like|Give the sync-scope OU/);
  });
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("refuses timeoutMs %s", (timeoutMs) => {
    const e = configError({ timeoutMs });
    expect(e.code).toBe("AD_BAD_CONFIG");
    expect(e.message).toMatch(/timeoutMs .* is not a positive number of milliseconds/);
  });
  it("refuses no base DN, bad URLs and bad page sizes", () => {
    expect(configError({ baseDNs: [] }).code).toBe("AD_BAD_CONFIG");
    expect(configError({ url: "https://dc" }).code).toBe("AD_BAD_CONFIG");
    expect(configError({ url: "not a url" }).code).toBe("AD_BAD_CONFIG");
    expect(configError({ pageSize: 0 }).code).toBe("AD_BAD_CONFIG");
    expect(configError({ caCertPath: "/nonexistent/ca.pem" }).message).toMatch(/ENOENT/);
  });
  it("refuses a filter that does not parse", () => {
    expect(configError({ filter: "(objectClass=user" }).code).toBe("AD_BAD_FILTER");
  });
  it("caps the page size at 1000", () => {
    expect(createLdapAdSource(opts({ pageSize: 100_000 })).pageSize).toBe(1000);
    expect(createLdapAdSource(opts({ pageSize: 250 })).pageSize).toBe(250);
    expect(createLdapAdSource(opts()).pageSize).toBe(1000);
  });
  it("keeps the password out of the options and the description", () => {
    const src = createLdapAdSource(opts());
    expect(JSON.stringify(src.options)).not.toContain(PASSWORD);
    expect(src.description).toBe("ldaps://127.0.0.1:636 (OU=Corp Users,DC=corp,DC=example,DC=test)");
  });
});

describe("compileFilter", () => {
  it("turns escaped bytes into a Buffer for binary equality assertions", () => {
    const f = compileFilter(
      "(objectGUID=\\74\\e5\\d2\\bc\\58\\8d\\36\\41\\a9\\df\\8a\\19\\b1\\45\\db\\79)",
    ) as EqualityFilter;
    expect(f).toBeInstanceOf(EqualityFilter);
    expect(Buffer.isBuffer(f.value)).toBe(true);
    expect((f.value as Buffer).toString("hex")).toBe("74e5d2bc588d3641a9df8a19b145db79");
  });
  it("turns escaped UTF-8 back into text, keeps literal text and ASCII escapes", () => {
    const f = compileFilter("(&(cn=H\\c3\\a9lo\\c3\\afse)(sn=Müller)(displayName=a\\2ab\\28c\\29))") as AndFilter;
    const [a, b, c] = f.filters as EqualityFilter[];
    expect(a!.value).toBe("Héloïse");
    expect(b!.value).toBe("Müller");
    expect(c!.value).toBe("a*b(c)");
  });
  it("refuses binary bytes in substring assertions and broken filters", () => {
    expect(() => compileFilter("(objectGUID=\\ff*)")).toThrow(FilterSyntaxError);
    expect(() => compileFilter("(cn=a")).toThrow(FilterSyntaxError);
  });
});

const oneUser: FakeEntry = {
  dn: "CN=u1,OU=Corp Users,DC=corp,DC=example,DC=test",
  attributes: [
    ["sAMAccountName", [Buffer.from("u1")]],
    ["objectGUID", [Buffer.alloc(16, 1)]],
  ],
};

describe("server errors", () => {
  it("unreachable: a closed port is AD_UNREACHABLE naming host and port", async () => {
    const port = await freePort();
    const e = await readError(createLdapAdSource(opts({ url: `ldaps://127.0.0.1:${port}` })));
    expect(e.code).toBe("AD_UNREACHABLE");
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.server).toBe(`ldaps://127.0.0.1:${port}`);
  });

  it("a server that accepts but never answers is AD_TIMEOUT (connect + TLS handshake)", async () => {
    const silent = await startFakeLdap({ kind: "silent" });
    servers.push(silent);
    const e = await readError(createLdapAdSource(opts({ url: silent.url, connectTimeoutMs: 300 })));
    expect(e.code).toBe("AD_TIMEOUT");
  });

  it("a server that never answers a request is AD_TIMEOUT (StartTLS request)", async () => {
    const silent = await startFakeLdap({ kind: "silent" });
    servers.push(silent);
    const src = createLdapAdSource(opts({ url: `ldap://127.0.0.1:${silent.port}`, startTls: true, timeoutMs: 300 }));
    const e = await readError(src);
    expect(e.code).toBe("AD_TIMEOUT");
    expect(e.message).toMatch(/no answer from the DC within 0\.3 s while trying to start TLS/);
  });

  it("a referral (LDAP 10) for the base DN is AD_REFERRAL", async () => {
    const fake = await startFakeLdap(
      { kind: "searchResult", code: 10, referral: ["ldap://child.corp.example.test/OU=X"] },
      ca,
    );
    servers.push(fake);
    const e = await readError(createLdapAdSource(opts({ url: fake.url })));
    expect(e.code).toBe("AD_REFERRAL");
    expect(e.ldapCode).toBe(10);
    expect(e.message).toMatch(/global catalog/);
  });

  it("a size limit (LDAP 4) is AD_SIZE_LIMIT, not a short list", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 4, message: "Size limit exceeded" }, ca);
    servers.push(fake);
    const e = await readError(createLdapAdSource(opts({ url: fake.url })));
    expect(e.code).toBe("AD_SIZE_LIMIT");
  });

  it("an administrative limit (LDAP 11) is AD_SIZE_LIMIT", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 11 }, ca);
    servers.push(fake);
    expect((await readError(createLdapAdSource(opts({ url: fake.url })))).code).toBe("AD_SIZE_LIMIT");
  });

  it("a server time limit (LDAP 3) is AD_TIMEOUT", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 3 }, ca);
    servers.push(fake);
    expect((await readError(createLdapAdSource(opts({ url: fake.url })))).code).toBe("AD_TIMEOUT");
  });

  it("insufficient access (LDAP 50) is AD_ACCESS_DENIED", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 50 }, ca);
    servers.push(fake);
    expect((await readError(createLdapAdSource(opts({ url: fake.url })))).code).toBe("AD_ACCESS_DENIED");
  });

  it("a base DN under which the DC returns no user is AD_EMPTY_SCOPE, never an empty success", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0 }, ca);
    servers.push(fake);
    const src = createLdapAdSource(opts({ url: fake.url, readMode: "paged" }));
    const e = await readError(src);
    expect(e.code).toBe("AD_EMPTY_SCOPE");
    expect(e.message).toMatch(/no user under base DN OU=Corp Users,DC=corp,DC=example,DC=test matches the filter/);
    expect(e.message).toMatch(/Check the spelling of the base DN/);
    expect(src.stats.requests).toBe(1);
    expect(src.stats.method).toBe("paged");
  });

  it.each([true, false])(
    "an entry the mapping refuses ends the read with AD_BAD_ENTRY and no users (streamed: %s)",
    async (streamEntries) => {
      const user = (cn: string, guid: Buffer): FakeEntry => ({
        dn: `CN=${cn},OU=Corp Users,DC=corp,DC=example,DC=test`,
        attributes: [
          ["sAMAccountName", [Buffer.from(cn)]],
          ["objectGUID", [guid]],
        ],
      });
      const good = (i: number) => user(`u${i}`, Buffer.alloc(16, i));
      const entries = [good(1), good(2), user("broken", Buffer.from([1, 2, 3, 4, 5])), good(3)];
      const fake = await startFakeLdap({ kind: "searchResult", code: 0, entries }, ca);
      servers.push(fake);
      const src = createLdapAdSource(opts({ url: fake.url, readMode: "paged", pageSize: 1, streamEntries }));
      const e = await readError(src);
      expect(e.code).toBe("AD_BAD_ENTRY");
      expect(e.message).toMatch(/objectGUID of CN=broken,OU=Corp Users.* has 5 bytes, not 16/);
      // the same entries without the broken one: all of them, in order
      const ok = await startFakeLdap({ kind: "searchResult", code: 0, entries: [good(1), good(2), good(3)] }, ca);
      servers.push(ok);
      const read = await createLdapAdSource(opts({ url: ok.url, readMode: "paged", streamEntries })).readAll();
      expect(read.map((u) => u.sAMAccountName)).toEqual(["u1", "u2", "u3"]);
    },
  );

  it("auto reads paged from a server whose rootDSE does not offer DirSync, and says so", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0, entries: [oneUser] }, ca);
    servers.push(fake);
    const src = createLdapAdSource(opts({ url: fake.url }));
    expect((await src.readAll()).map((u) => u.sAMAccountName)).toEqual(["u1"]);
    expect(src.stats.method).toBe("paged");
    expect(src.stats.fallback).toMatch(/does not list the DirSync control \(1\.2\.840\.113556\.1\.4\.841\)/);
    expect(src.stats.requests).toBe(2); // the rootDSE, then the one (empty) page
  });

  it("readMode dirsync on such a server is an error that names the way out", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0 }, ca);
    servers.push(fake);
    const e = await readError(createLdapAdSource(opts({ url: fake.url, readMode: "dirsync" })));
    expect(e.code).toBe("AD_PROTOCOL");
    expect(e.message).toMatch(/DirSync/);
    expect(e.message).toMatch(/paged/);
  });

  it("a certificate from another CA is AD_TLS_UNTRUSTED", async () => {
    const fake = await startFakeLdap({ kind: "searchResult", code: 0 }, ca);
    servers.push(fake);
    const other = makeTestCa("other CA");
    const e = await readError(createLdapAdSource(opts({ url: fake.url, caPem: other.caPem })));
    expect(e.code).toBe("AD_TLS_UNTRUSTED");
  });
});

describe("a DC that accepts the connection and then never answers: AD_TIMEOUT within timeoutMs", () => {
  const timeoutMs = 300;
  const mute = async (answer: ("bind" | "startTls")[], tls = true) => {
    const server = await startFakeLdap({ kind: "mute", answer }, tls ? ca : undefined);
    servers.push(server);
    return server;
  };
  const timedOut = (e: AdReadError, url: string, what: RegExp) => {
    expect(e.code).toBe("AD_TIMEOUT");
    expect(e.server).toBe(url);
    expect(e.message).toContain(url);
    expect(e.message).toMatch(what);
    expect(e.remedy).toMatch(/Check that the DC is up and answers LDAPS? on 127\.0\.0\.1:\d+/);
    expect(e.remedy).toMatch(/raise the timeout \(timeoutMs, --ad-timeout-seconds\)/);
  };

  it("TLS done, the bind never answered", async () => {
    const server = await mute([]);
    const e = await readError(createLdapAdSource(opts({ url: server.url, timeoutMs })));
    timedOut(
      e,
      server.url,
      /no answer from the DC within 0\.3 s while trying to bind \(BindRequest: Operation timed out\)/,
    );
  });

  it("bound, the rootDSE never answered (auto and dirsync)", async () => {
    const server = await mute(["bind"]);
    for (const readMode of ["auto", "dirsync"] as const) {
      const e = await readError(createLdapAdSource(opts({ url: server.url, timeoutMs, readMode })));
      timedOut(e, server.url, /within 0\.3 s while trying to read the rootDSE/);
    }
  });

  it("bound, the paged search never answered", async () => {
    const server = await mute(["bind"]);
    const e = await readError(createLdapAdSource(opts({ url: server.url, timeoutMs, readMode: "paged" })));
    timedOut(e, server.url, /within 0\.3 s while trying to search OU=Corp Users,DC=corp,DC=example,DC=test/);
  });

  it("bound, a user lookup never answered", async () => {
    const server = await mute(["bind"]);
    const e = await createLdapAdSource(opts({ url: server.url, timeoutMs }))
      .findUsers("sAMAccountName", "ann")
      .then(
        () => undefined,
        (err: AdReadError) => err,
      );
    expect(e).toBeInstanceOf(AdReadError);
    timedOut(e as AdReadError, server.url, /within 0\.3 s while trying to search OU=Corp Users/);
  });

  it("StartTLS answered, then the TLS handshake stalls (ldapts does not time it: the reader's deadline does)", async () => {
    const server = await mute(["startTls"], false);
    const url = `ldap://127.0.0.1:${server.port}`;
    const e = await readError(createLdapAdSource(opts({ url, startTls: true, timeoutMs })));
    timedOut(e, url, /within 0\.3 s while trying to start TLS \(StartTLS: Operation timed out after 300 ms\)/);
  });

  it("the connect timeout is timeoutMs when that is shorter than 10 s (no TLS handshake at all)", async () => {
    const silent = await startFakeLdap({ kind: "silent" });
    servers.push(silent);
    const e = await readError(createLdapAdSource(opts({ url: silent.url, timeoutMs })));
    expect(e.code).toBe("AD_TIMEOUT");
    expect(e.message).toMatch(/did not complete the TCP and TLS connection within 0\.3 s/);
  });

  it("readRootDse (for the delta fingerprint) has the same timeout and errors", async () => {
    const server = await mute(["bind"]);
    const e = await createLdapAdSource(opts({ url: server.url, timeoutMs }))
      .readRootDse(["highestCommittedUSN"])
      .then(
        () => undefined,
        (err: AdReadError) => err,
      );
    expect(e).toBeInstanceOf(AdReadError);
    timedOut(e as AdReadError, server.url, /within 0\.3 s while trying to read the rootDSE/);
  });

  describe("through the gap layer (exit 2: GapInputError naming the AD side)", () => {
    const spec = (url: string): AdSourceSpec => ({
      kind: "ldap",
      url,
      bindDN: "svc@corp.example.test",
      baseDNs: ["OU=Corp Users,DC=corp,DC=example,DC=test"],
      caCertPath: ca.caCertPath,
      timeoutMs,
    });
    const env = { SYNCGAP_AD_PASSWORD: PASSWORD };

    // These two would also pass after the fingerprint's old fixed 30 s; the test timeout (far above 0.3 s, below
    // 30 s) is what shows that spec.timeoutMs reached the client.
    const sooner = { timeout: 15_000 };

    it("the read: spec.timeoutMs reaches the reader", sooner, async () => {
      const server = await mute(["bind"]);
      const s = spec(server.url);
      const e = await readAdSource(await openAdSource(s, env), adSourceName(s)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(GapInputError);
      expect((e as GapInputError).source).toBe(`AD ${server.url} (OU=Corp Users,DC=corp,DC=example,DC=test)`);
      expect((e as Error).message).toMatch(/no answer from the DC within 0\.3 s while trying to read the rootDSE/);
      expect((e as Error).message).not.toContain(PASSWORD);
    });

    it.each([
      ["the bind", [] as "bind"[]],
      ["the rootDSE", ["bind" as const]],
    ])("the delta fingerprint: %s never answered", sooner, async (_what, answer) => {
      const server = await mute(answer);
      const e = await adFingerprint(spec(server.url), env).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(GapInputError);
      expect((e as GapInputError).source).toBe(`AD ${server.url} (OU=Corp Users,DC=corp,DC=example,DC=test)`);
      expect((e as Error).message).toMatch(/Operation timed out/);
      expect((e as GapInputError).remedy).toMatch(/check --ad-url/);
      expect((e as Error).message).not.toContain(PASSWORD);
    });
  });
});
