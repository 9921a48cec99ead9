import { readFileSync } from "node:fs";
import path from "node:path";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorConnection, type RunningEmulator, startEmulator } from "../../emulator";
import { createGraphConnection, type GraphClientOptions } from "../../graph/client";
import { type GraphConnectionSettings, validateConnection } from "../../graph/connection";
import { createCredential } from "../../graph/credentials";
import { GraphRequestError } from "../../graph/errors";
import { getDirectorySync, patchFeatures } from "../../graph/onPremisesSynchronization";

// The shared Graph client factory against the real emulator: retries, Retry-After, budgets, token refresh and
// error messages, with the real @azure/identity and @microsoft/microsoft-graph-client.

const seed = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "emulator", "seeds", "contoso.json"), "utf8"));
const ADMIN = seed.users[0];
const APP = seed.applications[0];

let emu: RunningEmulator;
let settings: GraphConnectionSettings;
const env = () => ({ ...process.env, AZURE_PASSWORD: ADMIN.password });

function connect(opts: GraphClientOptions = {}) {
  return createGraphConnection(settings, { env: env(), keepLog: true, ...opts });
}

beforeAll(async () => {
  emu = await startEmulator();
  settings = validateConnection(
    emulatorConnection(emu, { clientId: APP.appId, authMethod: "usernamePassword", username: ADMIN.userPrincipalName }),
  );
});
afterAll(async () => emu?.stop());
beforeEach(async () => emu.admin.clearFaults());

describe("Graph client factory", () => {
  it("reads the sync object through the real clients, trusting the emulator's CA", async () => {
    const { client, stats } = connect();
    const sync = await getDirectorySync(client);
    expect(sync.id).toBe(emu.tenantId);
    expect(Object.keys(sync.features)).toHaveLength(20);
    expect(stats.requests).toBe(1);
  });

  it("honours Retry-After on 429 and counts the throttled answers", async () => {
    await emu.admin.addFault({
      path: "/v1.0/organization",
      kind: "status",
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((r) => setTimeout(r, ms));
    };
    const { client, stats } = connect({ sleep });
    const org = await client.api("/organization").get();
    expect(org.value[0].id).toBe(emu.tenantId);
    expect(stats.throttled).toBe(2);
    expect(stats.retries).toBe(2);
    expect(waits).toEqual([1000, 1000]); // what the server asked for, not the client's own backoff
  });

  it("retries 503 and a dropped connection, then succeeds", async () => {
    const { client, stats } = connect({ retry: { baseDelayMs: 10 } });
    await emu.admin.addFault({ path: "/v1.0/organization", kind: "status", status: 503, count: 1 });
    await client.api("/organization").get();
    expect(stats.serverErrors).toBe(1);
    await emu.admin.addFault({ path: "/v1.0/organization", kind: "drop", count: 1 });
    await client.api("/organization").get();
    expect(stats.networkErrors).toBe(1);
    expect(stats.retries).toBe(2);
  });

  it("fails at once when Graph asks to wait longer than the retry budget has left, naming the wait and the option", async () => {
    await emu.admin.addFault({ path: "/v1.0/directory/*", kind: "status", status: 429, retryAfterSeconds: 30 });
    const waits: number[] = [];
    const { client, stats } = connect({
      retry: { budgetMs: 2_000 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const err = await getDirectorySync(client).catch((e) => e);
    expect(err).toBeInstanceOf(GraphRequestError);
    expect(err.status).toBe(429);
    expect(err.message).toContain(
      "GET /directory/onPremisesSynchronization failed with HTTP 429: Graph asked to wait 30 s (Retry-After)",
    );
    expect(err.message).toMatch(/more than the \d+(\.\d+)? s left of the 2 s retry budget/);
    expect(err.message).toContain("--max-retry-seconds");
    expect(err.message).toMatch(/\(request-id [\w-]+\)/);
    expect(waits).toEqual([]); // no wait that could not help
    expect(stats.requests).toBe(1);
  });

  it("honours a Retry-After beyond the old 30 s cap as given while it fits in the budget", async () => {
    await emu.admin.addFault({
      path: "/v1.0/organization",
      kind: "status",
      status: 503,
      retryAfterSeconds: 45,
      count: 1,
    });
    const waits: number[] = [];
    const { client, stats } = connect({
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const org = await client.api("/organization").get();
    expect(org.value[0].id).toBe(emu.tenantId);
    expect(waits).toEqual([45_000]);
    expect(stats.serverErrors).toBe(1);
  });

  it("fetches a fresh token once when Graph rejects the one it had (401)", async () => {
    const real = createCredential(settings, { env: env() });
    let calls = 0;
    const staleFirst: TokenCredential = {
      async getToken(scopes, options) {
        calls++;
        const t = (await real.getToken(scopes, options)) as AccessToken;
        // The first token is tampered with, as a revoked or expired-by-clock-skew token would be rejected.
        return calls === 1 ? { ...t, token: `${t.token.slice(0, -4)}AAAA` } : t;
      },
    };
    const { client, stats } = connect({ credential: staleFirst });
    const sync = await getDirectorySync(client);
    expect(sync.id).toBe(emu.tenantId);
    expect(stats.tokenRefreshes).toBe(1);
    expect(calls).toBe(2);
  });

  it("turns a bad password into an error naming tenant, client and method, never the secret", async () => {
    const { client } = createGraphConnection(settings, {
      env: { ...process.env, AZURE_PASSWORD: "wrong-password-123" },
    });
    const err = await getDirectorySync(client).catch((e) => e);
    expect(err.name).toBe("GraphAuthError");
    expect(err.message).toContain(emu.tenantId);
    expect(err.message).toContain(APP.appId);
    expect(err.message).toContain("usernamePassword");
    expect(err.message).not.toContain("wrong-password-123");
  });

  it("PATCH sends the whole features object, so replace semantics never reset an undeclared feature", async () => {
    const { client, stats } = connect();
    const before = await getDirectorySync(client);
    await patchFeatures(client, before, { blockSoftMatchEnabled: !before.features.blockSoftMatchEnabled });
    const after = await getDirectorySync(client);
    const changed = Object.keys(after.features).filter((k) => after.features[k] !== before.features[k]);
    expect(changed).toEqual(["blockSoftMatchEnabled"]);
    const patch = stats.log.find((e) => e.method === "PATCH");
    expect(patch?.status).toBe(204);
    const logged = await emu.admin.requests({ method: "PATCH" });
    const body = logged[logged.length - 1].body as { features: object };
    expect(Object.keys(body.features)).toHaveLength(20);
  });
});
