/**
 * Graph /users through the real Graph client: paging with PageIterator, $select/$filter/$top/$count and the
 * advanced-query rules, single-user GET/PATCH, delta, $batch, and Graph-shaped errors for bad input.
 */
import { type GraphError, PageIterator } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  ADMIN_UPN,
  APP_ID,
  appToken,
  graphClient,
  READONLY_APP_ID,
  raw,
  secretCredential,
  startTestEmulator,
} from "../support/emulatorTenant";

let emu: RunningEmulator;
let token: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  // 1,200 synced users (generated) + the 2 seeded cloud users
  await emu.admin.generateUsers({ count: 1200 });
  await emu.admin.patchUser("user7@corp.example.test", { accountEnabled: false });
  token = await appToken(emu);
});
afterAll(async () => {
  await emu?.stop();
});

const graphErr = (e: unknown) => e as GraphError & { body: string };

describe("GET /users", () => {
  it("pages every user with PageIterator ($top=999, $select), nextLink absolute on the emulator", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const first = await client
      .api("/users")
      .select(["id", "userPrincipalName", "onPremisesImmutableId"])
      .top(999)
      .get();
    expect(first.value).toHaveLength(999);
    expect(first["@odata.nextLink"]).toMatch(new RegExp(`^${emu.baseUrl}/v1.0/users\\?.*\\$skiptoken=`));
    expect(Object.keys(first.value[0]).sort()).toEqual(["id", "onPremisesImmutableId", "userPrincipalName"]);
    const seen = new Set<string>();
    const it2 = new PageIterator(client, first, (u: { id: string }) => {
      seen.add(u.id);
      return true;
    });
    await it2.iterate();
    expect(seen.size).toBe(1202);
  });

  it("default page is 100 and the default property set is Graph's", async () => {
    const r = await raw(emu, "GET", "/v1.0/users", { token });
    const b = r.body as { value: Record<string, unknown>[]; "@odata.nextLink": string; "@odata.context": string };
    expect(b.value).toHaveLength(100);
    expect(Object.keys(b.value[0]).sort()).toEqual(
      [
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
      ].sort(),
    );
    expect(b["@odata.context"]).toBe(`${emu.baseUrl}/v1.0/$metadata#users`);
    expect(r.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get("client-request-id")).toBe(r.headers.get("request-id"));
  });

  it("echoes client-request-id", async () => {
    const r = await raw(emu, "GET", "/v1.0/users?$top=1", { token, headers: { "client-request-id": "my-id-123" } });
    expect(r.headers.get("client-request-id")).toBe("my-id-123");
  });

  it("filters that work by default", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const synced = await client.api("/users").filter("onPremisesSyncEnabled eq true").select("id").top(999).get();
    expect(synced.value).toHaveLength(999);
    const one = await client
      .api("/users")
      .filter("userPrincipalName eq 'USER12@corp.example.test'")
      .select("userPrincipalName")
      .get();
    expect(one.value).toEqual([{ userPrincipalName: "user12@corp.example.test" }]);
    const sw = await client.api("/users").filter("startswith(userPrincipalName,'user11')").select("id").top(999).get();
    expect(sw.value).toHaveLength(1 + 10 + 100); // user11, user110-119, user1100-1199
    const disabled = await client.api("/users").filter("accountEnabled eq false").select("userPrincipalName").get();
    expect(disabled.value).toEqual([{ userPrincipalName: "user7@corp.example.test" }]);
    const ids = (await client.api("/users").select("id").top(3).get()).value.map((u: { id: string }) => `'${u.id}'`);
    const inRes = await client
      .api("/users")
      .filter(`id in (${ids.join(",")})`)
      .select("id")
      .get();
    expect(inRes.value).toHaveLength(3);
    const combo = await client
      .api("/users")
      .filter(
        "onPremisesSyncEnabled eq true and (startswith(userPrincipalName,'user5') or userPrincipalName eq 'user7@corp.example.test')",
      )
      .select("id")
      .top(999)
      .get();
    expect(combo.value).toHaveLength(1 + 10 + 100 + 1);
  });

  it("advanced-query filters need ConsistencyLevel: eventual and $count=true, else 400 Request_UnsupportedQuery", async () => {
    const client = graphClient(emu, secretCredential(emu));
    for (const f of [
      "mobilePhone eq '%2B1 555 0000012'",
      "onPremisesImmutableId eq 'x'",
      "accountEnabled ne true",
      "not(accountEnabled eq true)",
      "endswith(userPrincipalName,'@corp.example.test')",
    ]) {
      try {
        await client.api("/users").filter(f).get();
        expect.unreachable(f);
      } catch (e) {
        expect(graphErr(e).statusCode, f).toBe(400);
        expect(graphErr(e).code, f).toBe("Request_UnsupportedQuery");
      }
      // header alone is not enough
      await expect(client.api("/users").header("ConsistencyLevel", "eventual").filter(f).get()).rejects.toMatchObject({
        statusCode: 400,
      });
    }
    const ok = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .count(true)
      .filter("mobilePhone eq '%2B1 555 0000012'")
      .select("userPrincipalName")
      .get();
    expect(ok.value).toEqual([{ userPrincipalName: "user12@corp.example.test" }]);
    expect(ok["@odata.count"]).toBe(1);
    const ne = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .count(true)
      .filter("accountEnabled ne true")
      .select("userPrincipalName")
      .get();
    expect(ne["@odata.count"]).toBe(1);
    const ends = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .count(true)
      .filter("endswith(userPrincipalName,'9@corp.example.test')")
      .select("id")
      .top(999)
      .get();
    expect(ends["@odata.count"]).toBe(120);
  });

  it("$count=true: @odata.count with ConsistencyLevel eventual (kept across pages); ignored without it, as documented", async () => {
    const r = await raw(emu, "GET", "/v1.0/users?$count=true&$top=500&$select=id", {
      token,
      headers: { ConsistencyLevel: "eventual" },
    });
    const b = r.body as Record<string, unknown>;
    expect(b["@odata.count"]).toBe(1202);
    const next = await fetch(b["@odata.nextLink"] as string, {
      headers: { authorization: `Bearer ${token}`, ConsistencyLevel: "eventual" },
    });
    expect(((await next.json()) as Record<string, unknown>)["@odata.count"]).toBe(1202);
    const without = await raw(emu, "GET", "/v1.0/users?$count=true&$top=1", { token });
    expect(without.status).toBe(200);
    expect(without.body).not.toHaveProperty("@odata.count");
  });

  it("$orderby displayName/userPrincipalName", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const r = await client.api("/users").orderby("userPrincipalName desc").select("userPrincipalName").top(5).get();
    const got = r.value.map((u: { userPrincipalName: string }) => u.userPrincipalName);
    expect(got[0]).toBe("user9@corp.example.test");
    expect(got).toEqual([...got].sort().reverse());
    const n = new Set<string>();
    await new PageIterator(
      client,
      await client.api("/users").orderby("displayName").select("id").top(400).get(),
      (u: { id: string }) => {
        n.add(u.id);
        return true;
      },
    ).iterate();
    expect(n.size).toBe(1202);
    await expect(
      client.api("/users").orderby("displayName").filter("accountEnabled eq true").get(),
    ).rejects.toMatchObject({ statusCode: 400, code: "Request_UnsupportedQuery" });
  });

  it("bad input gets Graph-shaped 400s", async () => {
    const cases: [string, number, string, RegExp][] = [
      ["/v1.0/users?$top=1000", 400, "Request_BadRequest", /between 1 and 999/],
      ["/v1.0/users?$top=0", 400, "Request_BadRequest", /between 1 and 999/],
      ["/v1.0/users?$top=abc", 400, "BadRequest", /\$top/],
      [
        "/v1.0/users?$filter=userPrincipalName eq 'x",
        400,
        "BadRequest",
        /Unterminated string literal at position 21 in/,
      ],
      ["/v1.0/users?$filter=userPrincipalName eq", 400, "BadRequest", /expected a literal/],
      ["/v1.0/users?$filter=userPrincipalName equals 'x'", 400, "BadRequest", /unknown operator 'equals'/],
      ["/v1.0/users?$filter=(accountEnabled eq true", 400, "BadRequest", /expected '\)'/],
      ["/v1.0/users?$filter=nosuchprop eq 'x'", 400, "BadRequest", /Could not find a property named 'nosuchprop'/],
      ["/v1.0/users?$filter=accountEnabled eq 'yes'", 400, "BadRequest", /incompatible types/],
      [
        "/v1.0/users?$filter=onPremisesDistinguishedName eq 'x'",
        400,
        "Request_UnsupportedQuery",
        /Unsupported or invalid query filter clause/,
      ],
      ["/v1.0/users?$filter=contains(displayName,'x')", 400, "Request_UnsupportedQuery", /contains/],
      ["/v1.0/users?$select=id,nosuch", 400, "BadRequest", /Could not find a property named 'nosuch'/],
      ["/v1.0/users?$skip=5", 400, "Request_BadRequest", /\$skip/],
      ["/v1.0/users?$skiptoken=garbage!", 400, "Request_BadRequest", /skiptoken/],
      ['/v1.0/users?$search="displayName:x"', 400, "Request_UnsupportedQuery", /ConsistencyLevel/],
      ["/v1.0/usres", 400, "BadRequest", /Resource not found for the segment 'usres'/],
      ["/v1.0/users/abc/manager", 400, "BadRequest", /segment 'manager'/],
      ["/v1.0/users/00000000-0000-4000-8000-000000000000", 404, "Request_ResourceNotFound", /does not exist/],
      ["/beta/users", 400, "BadRequest", /Invalid version/],
    ];
    for (const [url, status, code, msg] of cases) {
      const r = await raw(emu, "GET", url, { token });
      expect(r.status, url).toBe(status);
      const e = (r.body as { error: { code: string; message: string; innerError: Record<string, string> } }).error;
      expect(e.code, url).toBe(code);
      expect(e.message, url).toMatch(msg);
      expect(e.innerError["request-id"], url).toBe(r.headers.get("request-id"));
      expect(e.innerError.date, url).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    }
  });

  it("wrong method → 405, malformed JSON → 400, unknown property → 400", async () => {
    const del = await raw(emu, "DELETE", "/v1.0/directory/onPremisesSynchronization", { token });
    expect(del.status).toBe(405);
    expect((del.body as { error: { code: string } }).error.code).toBe("Request_BadRequest");
    const post = await raw(emu, "POST", "/v1.0/users/user1@corp.example.test", { token, body: {} });
    expect(post.status).toBe(405);
    const bad = await raw(emu, "PATCH", "/v1.0/users/user1@corp.example.test", { token, body: "{not json" });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/Unable to read JSON request payload/);
    const unknown = await raw(emu, "PATCH", "/v1.0/users/admin@corp.example.test", { token, body: { nosuch: 1 } });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { error: { message: string } }).error.message).toMatch(
      /'nosuch' does not exist on type 'microsoft.graph.user'/,
    );
  });

  it("401 InvalidAuthenticationToken without, with a forged, or with an expired token", async () => {
    const none = await raw(emu, "GET", "/v1.0/users");
    expect(none.status).toBe(401);
    expect((none.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: "InvalidAuthenticationToken",
      message: "Access token is empty.",
    });
    const parts = token.split(".");
    const forged = `${parts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1], "base64url").toString()), roles: ["Directory.ReadWrite.All"] })).toString("base64url")}.${parts[2]}`;
    const f = await raw(emu, "GET", "/v1.0/users", { token: forged });
    expect(f.status).toBe(401);
    expect((f.body as { error: { message: string } }).error.message).toMatch(/Signature validation failed/);
    const junk = await raw(emu, "GET", "/v1.0/users", { token: "abc" });
    expect((junk.body as { error: { code: string } }).error.code).toBe("InvalidAuthenticationToken");
  });

  it("403 Authorization_RequestDenied for a token without a user permission", async () => {
    await emu.admin.setOptions({});
    const seedApps = await emu.admin.apps();
    expect(seedApps.map((a) => a.appId)).toContain(READONLY_APP_ID);
    const ro = graphClient(emu, secretCredential(emu, READONLY_APP_ID));
    await expect(ro.api("/users/user1@corp.example.test").patch({ mobilePhone: "+1" })).rejects.toMatchObject({
      statusCode: 403,
      code: "Authorization_RequestDenied",
      message: "Insufficient privileges to complete the operation.",
    });
    await expect(ro.api("/organization").get()).rejects.toMatchObject({ statusCode: 403 });
  });
});

describe("GET /users/$count", () => {
  it("needs ConsistencyLevel: eventual (else 400 Request_BadRequest, as Learn shows) and answers the number as text/plain", async () => {
    const without = await raw(emu, "GET", "/v1.0/users/$count", { token });
    expect(without.status).toBe(400);
    expect((without.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: "Request_BadRequest",
      message: "$count is not currently supported.",
    });
    const r = await raw(emu, "GET", "/v1.0/users/$count", { token, headers: { ConsistencyLevel: "eventual" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(r.text).toBe("1202");
    expect(r.headers.get("x-ms-resource-unit")).toBe("1");
    // %24count, as some clients encode it, is the same segment
    expect(
      (await raw(emu, "GET", "/v1.0/users/%24count", { token, headers: { ConsistencyLevel: "eventual" } })).text,
    ).toBe("1202");
  });

  it("$filter narrows the count (advanced operators allowed: $count is an advanced query); the Graph client reads it", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const disabled = await client
      .api("/users/$count")
      .header("ConsistencyLevel", "eventual")
      .filter("accountEnabled eq false")
      .get();
    expect(Number(disabled)).toBe(1);
    const notSynced = await raw(emu, "GET", "/v1.0/users/$count?$filter=onPremisesSyncEnabled ne true", {
      token,
      headers: { ConsistencyLevel: "eventual" },
    });
    expect(notSynced.text).toBe("2");
    const bad = await raw(emu, "GET", "/v1.0/users/$count?$top=5", {
      token,
      headers: { ConsistencyLevel: "eventual" },
    });
    expect(bad.status).toBe(400);
    const ro = await raw(emu, "GET", "/v1.0/users/$count", {
      token: await appToken(emu, READONLY_APP_ID),
      headers: { ConsistencyLevel: "eventual" },
    });
    expect(ro.text).toBe("1202");
  });
});

describe("GET/PATCH /users/{id | userPrincipalName}", () => {
  it("gets by id and by UPN, with $select", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const byUpn = await client
      .api("/users/user3@corp.example.test")
      .select(["id", "onPremisesSamAccountName", "onPremisesSyncEnabled"])
      .get();
    expect(byUpn.onPremisesSamAccountName).toBe("user3");
    const byId = await client.api(`/users/${byUpn.id}`).get();
    expect(byId.userPrincipalName).toBe("user3@corp.example.test");
    expect(byId["@odata.context"]).toBe(`${emu.baseUrl}/v1.0/$metadata#users/$entity`);
  });

  it("PATCH of a synced user's mobilePhone answers 204 and records a DirSync override; other on-prem properties are refused", async () => {
    const client = graphClient(emu, secretCredential(emu));
    expect((await emu.admin.user("user4@corp.example.test")).dirSyncOverride).toBe(false);
    await client.api("/users/user4@corp.example.test").patch({ mobilePhone: "+44 20 7946 0000" });
    const v = await emu.admin.user("user4@corp.example.test");
    expect(v.user.mobilePhone).toBe("+44 20 7946 0000");
    expect(v.dirSyncOverride).toBe(true);
    await expect(client.api("/users/user4@corp.example.test").patch({ displayName: "x" })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/on-premises mastered/),
    });
    await expect(
      client.api("/users/user4@corp.example.test").patch({ onPremisesSamAccountName: "x" }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      client.api("/users/user4@corp.example.test").patch({ mobilePhone: "x".repeat(65) }),
    ).rejects.toMatchObject({ statusCode: 400 });
    // a cloud user's displayName can be changed, and no override is recorded for cloud users
    await client.api(`/users/${ADMIN_UPN}`).patch({ displayName: "Admin 2", mobilePhone: "+1 206 555 0100" });
    const a = await emu.admin.user(ADMIN_UPN);
    expect(a.user.displayName).toBe("Admin 2");
    expect(a.dirSyncOverride).toBe(false);
  });
});

describe("GET /users/delta", () => {
  it("pages with nextLink then deltaLink; the deltaLink later returns only changes, and removed users", async () => {
    const client = graphClient(emu, secretCredential(emu));
    let res = await client
      .api("/users/delta")
      .select(["userPrincipalName", "mobilePhone"])
      .header("Prefer", "odata.maxpagesize=500")
      .get();
    let total = 0;
    let pages = 0;
    for (;;) {
      pages++;
      total += res.value.length;
      if (res["@odata.deltaLink"]) break;
      expect(res["@odata.nextLink"]).toContain("$skiptoken=");
      res = await client.api(res["@odata.nextLink"]).get();
    }
    expect(total).toBe(1202);
    expect(pages).toBe(3);
    const deltaLink = res["@odata.deltaLink"] as string;
    expect(deltaLink.startsWith(`${emu.baseUrl}/v1.0/users/delta?$deltatoken=`)).toBe(true);

    const nothing = await client.api(deltaLink).get();
    expect(nothing.value).toEqual([]);

    await client.api("/users/user20@corp.example.test").patch({ mobilePhone: "+1 000" });
    await emu.admin.deleteUser("user21@corp.example.test");
    const gone = (await emu.admin.users({ limit: 1 })).users[0];
    void gone;
    const changes = await client.api(deltaLink).get();
    const byUpn = changes.value.find(
      (u: { userPrincipalName?: string }) => u.userPrincipalName === "user20@corp.example.test",
    );
    expect(byUpn).toMatchObject({ mobilePhone: "+1 000" });
    expect(byUpn.id).toBeTruthy();
    const removed = changes.value.filter((u: Record<string, unknown>) => u["@removed"]);
    expect(removed).toHaveLength(1);
    expect(removed[0]["@removed"]).toEqual({ reason: "changed" });
    expect(changes.value).toHaveLength(2);
    expect(changes["@odata.deltaLink"]).toBeTruthy();
    expect((await client.api(changes["@odata.deltaLink"]).get()).value).toEqual([]);
  });
});

describe("$batch", () => {
  it("runs up to 20 sub-requests through the same pipeline; more than 20 → 400", async () => {
    const client = graphClient(emu, secretCredential(emu));
    const requests = [
      { id: "1", method: "GET", url: "/users?$top=1&$select=id" },
      { id: "2", method: "GET", url: "/users/nobody@corp.example.test" },
      {
        id: "3",
        method: "PATCH",
        url: "/users/user30@corp.example.test",
        headers: { "Content-Type": "application/json" },
        body: { mobilePhone: "+1 111" },
      },
      { id: "4", method: "GET", url: "/organization" },
    ];
    const r = await client.api("/$batch").post({ requests });
    const byId = Object.fromEntries(r.responses.map((x: { id: string }) => [x.id, x]));
    expect(byId["1"].status).toBe(200);
    expect(byId["1"].body.value).toHaveLength(1);
    expect(byId["2"].status).toBe(404);
    expect(byId["2"].body.error.code).toBe("Request_ResourceNotFound");
    expect(byId["3"].status).toBe(204);
    expect(byId["4"].status).toBe(403); // the app has no Organization.Read.All
    const log = await emu.admin.requests({ method: "PATCH" });
    expect(
      log.some(
        (e) =>
          e.batch &&
          e.path === "/v1.0/users/user30@corp.example.test" &&
          (e.body as { mobilePhone: string }).mobilePhone === "+1 111",
      ),
    ).toBe(true);
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/users?$top=1" }));
    await expect(client.api("/$batch").post({ requests: tooMany })).rejects.toMatchObject({ statusCode: 400 });
    const noType = await raw(emu, "POST", "/v1.0/$batch", {
      token,
      body: { requests: [{ id: "1", method: "PATCH", url: "/users/x", body: {} }] },
    });
    expect(noType.status).toBe(400);
  });
});

describe("organization", () => {
  it("needs Organization.Read.All (app) — granted here through a re-seed", async () => {
    const info = await emu.admin.info();
    expect(info.applications.find((a) => a.appId === APP_ID)?.appRoles).not.toContain("Organization.Read.All");
    await expect(graphClient(emu, secretCredential(emu)).api("/organization").get()).rejects.toMatchObject({
      statusCode: 403,
    });
  });
});
