/**
 * Limits and faults through the real Graph client: the resource-unit token bucket (429 + Retry-After honoured by the
 * client's RetryHandler, per-sub-request 429 in $batch), injected 5xx/latency/dropped connections, expired tokens.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";

/** What a connection the server drops looks like through the Graph client (fetch): a network error, not an answer. */
const DROPPED = /^fetch failed$/;

import { Throttle, tenantSizeQuota } from "../../emulator/limits";
import { DEFAULT_OPTIONS } from "../../emulator/seed/types";
import { loadSeedFile } from "../../emulator/seed/validate";
import { DEFAULT_SEED_PATH } from "../../emulator/server/startEmulator";
import {
  APP_ID,
  appToken,
  graphClient,
  graphClientWithToken,
  raw,
  secretCredential,
  startTestEmulator,
  TENANT_ID,
} from "../support/emulatorTenant";

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin.generateUsers({ count: 30 });
});
beforeEach(async () => {
  await emu.admin.setOptions({
    throttling: { enabled: false, bucketSize: 3500, windowSeconds: 10, writeBucketSize: 3000, writeWindowSeconds: 150 },
    tokenLifetimeSeconds: 3600,
  });
  await emu.admin.clearFaults();
  await emu.admin.clearRequests();
});
afterAll(async () => {
  await emu?.stop();
});

describe("throttling", () => {
  it("429 with Retry-After when the app's bucket is empty; the Graph client's RetryHandler waits and succeeds", async () => {
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 4, windowSeconds: 2 } });
    const client = graphClient(emu, secretCredential(emu));
    for (let i = 0; i < 5; i++) {
      const r = await client.api("/users").select("id").top(25).get();
      expect(r.value).toHaveLength(25);
    }
    const log = await emu.admin.requests({ area: "graph" });
    const statuses = log.map((e) => e.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.indexOf(429)).toBe(4);
  });

  it("costs follow the documented table: GET users 2 RU, 1 with $select; 429 body is Graph-shaped", async () => {
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 2, windowSeconds: 100 } });
    const token = await appToken(emu);
    const a = await raw(emu, "GET", "/v1.0/users?$top=50", { token });
    expect(a.headers.get("x-ms-resource-unit")).toBe("2");
    const b = await raw(emu, "GET", "/v1.0/users?$top=50&$select=id", { token });
    expect(b.status).toBe(429);
    expect(Number(b.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((b.body as { error: { code: string } }).error.code).toBe("Request_ThrottledTemporarily");
  });

  it("each $batch sub-request is throttled on its own", async () => {
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 2, windowSeconds: 100 } });
    const token = await appToken(emu);
    const requests = ["1", "2", "3"].map((id) => ({ id, method: "GET", url: "/users?$select=id&$top=1" }));
    const r = await raw(emu, "POST", "/v1.0/$batch", { token, body: { requests } });
    expect(r.status).toBe(200);
    const res = (r.body as { responses: { id: string; status: number; headers: Record<string, string> }[] }).responses;
    expect(res.map((x) => x.status)).toEqual([200, 200, 429]);
    expect(Number(res[2].headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });
});

describe("identity and access quotas (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits)", () => {
  it("are on by default at Graph's figures; the demo's seed sets the S-tenant budget", () => {
    expect(DEFAULT_OPTIONS.throttling).toEqual({
      enabled: true,
      bucketSize: "auto",
      windowSeconds: 10,
      writeBucketSize: 3000,
      writeWindowSeconds: 150,
    });
    expect(loadSeedFile(DEFAULT_SEED_PATH).options?.throttling).toEqual({
      enabled: true,
      bucketSize: 3500,
      windowSeconds: 10,
      writeBucketSize: 3000,
      writeWindowSeconds: 150,
    });
  });

  it("'auto' picks the S/M/L quota from the tenant's user count: under 50, 50–500, above 500", () => {
    expect([0, 49, 50, 500, 501, 200_000].map(tenantSizeQuota)).toEqual([3500, 3500, 5000, 5000, 8000, 8000]);
    const t = new Throttle({ ...DEFAULT_OPTIONS.throttling });
    // an M tenant: 5,000 RU at once, then 500 RU per second
    expect(t.take("app", 5000, 0, 120, 1_000).wait).toBe(0);
    const d = t.take("app", 2, 0, 120, 1_000);
    expect(d).toMatchObject({ limit: "ReadWrite", information: "ResourceUnitLimitExceeded", wait: 1 });
    expect(t.take("app", 2, 0, 120, 1_010).wait).toBe(0); // 10 ms refill 5 RU
    // another app has its own bucket
    expect(t.take("other", 4999, 0, 120, 1_010).wait).toBe(0);
  });

  it("the write quota: the 3rd PATCH of a 2-write bucket is 429 WriteLimitExceeded while reads still go", async () => {
    await emu.admin.setOptions({
      throttling: { enabled: true, bucketSize: 1000, windowSeconds: 10, writeBucketSize: 2, writeWindowSeconds: 300 },
    });
    const token = await appToken(emu);
    const patch = () =>
      raw(emu, "PATCH", "/v1.0/users/user1@corp.example.test", { token, body: { usageLocation: "US" } });
    expect((await patch()).status).toBe(204);
    expect((await patch()).status).toBe(204);
    const third = await patch();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBe(150); // one write refills in 300 s / 2
    expect(third.headers.get("x-ms-throttle-information")).toBe("WriteLimitExceeded");
    expect(third.headers.get("x-ms-throttle-scope")).toBe(`Tenant_Application/Write/${APP_ID}/${TENANT_ID}`);
    expect((third.body as { error: { code: string } }).error.code).toBe("Request_ThrottledTemporarily");
    expect((await raw(emu, "GET", "/v1.0/users?$top=1", { token })).status).toBe(200);
    const writes = (await emu.admin.requests({ method: "PATCH" })).map((e) => e.status);
    expect(writes).toEqual([204, 204, 429]);
  });

  it("resource units: a 429 names its scope; x-ms-throttle-limit-percentage appears past 80 % of the quota", async () => {
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 10, windowSeconds: 1000 } });
    const token = await appToken(emu);
    const seen: (string | null)[] = [];
    for (let i = 0; i < 5; i++)
      seen.push(
        (await raw(emu, "GET", "/v1.0/users?$top=50", { token })).headers.get("x-ms-throttle-limit-percentage"),
      );
    expect(seen.slice(0, 4)).toEqual([null, null, null, null]); // 2, 4, 6, 8 of 10 used: not past 0.8
    expect(Number(seen[4])).toBe(1);
    const r = await raw(emu, "GET", "/v1.0/users?$top=50", { token });
    expect(r.status).toBe(429);
    expect(r.headers.get("x-ms-throttle-scope")).toBe(`Tenant_Application/ReadWrite/${APP_ID}/${TENANT_ID}`);
    expect(r.headers.get("x-ms-throttle-information")).toBe("ResourceUnitLimitExceeded");
  });
});

describe("faults", () => {
  it("an injected 503 (count 1, Retry-After 1) is retried by the Graph client", async () => {
    await emu.admin.addFault({ path: "/v1.0/users*", kind: "status", status: 503, retryAfterSeconds: 1, count: 1 });
    const client = graphClient(emu, secretCredential(emu));
    const r = await client.api("/users").select("id").top(5).get();
    expect(r.value).toHaveLength(5);
    const log = await emu.admin.requests({ area: "graph" });
    expect(log.map((e) => e.status)).toEqual([503, 200]);
    expect(log[0].fault).toBe("status 503");
    expect(await emu.admin.faults()).toEqual([]);
  });

  it("a 500 that is not retried surfaces as a Graph error", async () => {
    await emu.admin.addFault({ path: "/v1.0/organization", kind: "status", status: 500 });
    const token = await appToken(emu);
    const r = await raw(emu, "GET", "/v1.0/organization", { token });
    expect(r.status).toBe(500);
    expect((r.body as { error: { code: string } }).error.code).toBe("InternalServerError");
  });

  it("latency is added before handling", async () => {
    await emu.admin.addFault({ path: "/v1.0/users", kind: "latency", latencyMs: 300 });
    const token = await appToken(emu);
    const r = await raw(emu, "GET", "/v1.0/users?$top=1", { token });
    expect(r.status).toBe(200);
    // the server's own log of the request: the fault applied, and the request held for (at least) its latency —
    // a lower bound set by the fault's sleep, not a speed target
    const logged = (await emu.admin.requests()).filter((e) => e.path === "/v1.0/users" && e.fault === "latency 300ms");
    expect(logged).toHaveLength(1);
    expect(logged[0]?.durationMs).toBeGreaterThanOrEqual(300);
  });

  it("a dropped connection fails the call; the next one works", async () => {
    await emu.admin.addFault({ path: "/v1.0/users", kind: "drop", count: 1 });
    const client = graphClient(emu, secretCredential(emu));
    await expect(client.api("/users").top(1).get()).rejects.toThrow(DROPPED);
    expect((await client.api("/users").top(1).get()).value).toHaveLength(1);
    const dropped = (await emu.admin.requests()).filter((e) => e.fault === "drop");
    expect(dropped).toHaveLength(1);
  });

  it("faults on the token endpoint answer in the identity platform's shape", async () => {
    await emu.admin.addFault({ path: `/${TENANT_ID}/oauth2/v2.0/token`, kind: "status", status: 503 });
    const r = await raw(emu, "POST", `/${TENANT_ID}/oauth2/v2.0/token`, {
      body: "grant_type=client_credentials",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(503);
    expect((r.body as { error: string; error_codes: number[] }).error).toBe("server_error");
  });

  it("probability 0 never fires", async () => {
    await emu.admin.addFault({ path: "/v1.0/*", kind: "status", status: 500, probability: 0 });
    const token = await appToken(emu);
    for (let i = 0; i < 5; i++) expect((await raw(emu, "GET", "/v1.0/users?$top=1", { token })).status).toBe(200);
  });
});

describe("token lifetime", () => {
  it("a token that expires mid-run → 401 InvalidAuthenticationToken from Graph (seen through the Graph client)", async () => {
    await emu.admin.setOptions({ tokenLifetimeSeconds: 1 });
    const stale = await appToken(emu);
    const client = graphClientWithToken(emu, stale);
    expect((await client.api("/users").top(1).get()).value).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1600));
    await expect(client.api("/users").top(1).get()).rejects.toMatchObject({
      statusCode: 401,
      code: "InvalidAuthenticationToken",
      message: "Lifetime validation failed, the token is expired.",
    });
  });
});
