/**
 * The Graph client's own middleware (graph/client.ts) against a stand-in for the network: the real SDK and
 * the real chain, with `fetch` (what the SDK's HTTPMessageHandler calls) replaced by a scripted one, as the SDK's own
 * middleware tests use a dummy next handler. Fast, and exact about what would have been sent.
 */
import type { TokenCredential } from "@azure/identity";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGraphConnection, type GraphClientOptions } from "../../graph/client";
import type { GraphConnectionSettings } from "../../graph/connection";
import { describeGraphError, GraphRequestError } from "../../graph/errors";

const GRAPH = "https://graph.example.test";
const settings: GraphConnectionSettings = {
  cloud: "global",
  tenantId: "7c0a4b1e-5d2f-4e8a-9b3c-1f2e3d4c5b6a",
  clientId: "3f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f",
  authMethod: "clientSecret",
  graphEndpoint: GRAPH,
};

interface Call {
  url: string;
  init: RequestInit;
}
let calls: Call[];
let script: ((call: Call) => Promise<Response>)[];
let tokenCalls: number;
let waits: number[];

const credential: TokenCredential = {
  getToken: async () => {
    tokenCalls++;
    return { token: "t0ken", expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

beforeEach(() => {
  calls = [];
  script = [];
  tokenCalls = 0;
  waits = [];
  vi.stubGlobal("fetch", (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    const step = script.shift();
    if (!step) throw new Error(`unscripted request ${url}`);
    return step(call);
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function connect(opts: GraphClientOptions = {}) {
  return createGraphConnection(settings, {
    credential,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...opts,
  });
}

const ok =
  (body: unknown = { value: [] }) =>
  async () =>
    new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  async () =>
    new Response(JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } }), {
      status: code,
      headers: { "content-type": "application/json", ...headers },
    });
/** A request that never gets an answer: it ends only through its signal, as fetch does. */
const hang = () => (call: Call) =>
  new Promise<Response>((_resolve, reject) => {
    const signal = call.init.signal as AbortSignal;
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

describe("authentication middleware", () => {
  it("attaches the token for the configured Graph origin and never follows redirects", async () => {
    script.push(ok());
    await connect().client.api("/users").get();
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe(`${GRAPH}/v1.0/users`);
    expect(new Headers(calls[0].init.headers).get("authorization")).toBe("Bearer t0ken");
    expect(calls[0].init.redirect).toBe("manual");
  });

  it.each([
    ["another host", "https://collector.example.test/v1.0/users"],
    ["another port of the same host", "https://graph.example.test:8443/v1.0/users"],
    ["plain http on the same host", "http://graph.example.test/v1.0/users"],
  ])("refuses %s before anything is sent or a token is fetched", async (_what, url) => {
    const conn = connect();
    // The SDK turns a path that does not start with https:// into one under its base URL, so call the chain the way
    // an absolute https link reaches it, and an http one through the middleware directly.
    const err = url.startsWith("https://")
      ? await conn.client
          .api(url)
          .get()
          .catch((e) => e)
      : await (conn.client as unknown as { httpClient: { sendRequest(c: object): Promise<unknown> } }).httpClient
          .sendRequest({ request: url, options: { method: "GET" } })
          .catch((e) => e);
    expect(err.name).toBe("GraphOriginError");
    expect(err.message).toContain(`refused to send GET ${url}`);
    expect(err.message).toContain(`not the configured Graph endpoint ${GRAPH}`);
    expect(calls).toEqual([]);
    expect(tokenCalls).toBe(0);
    const described = describeGraphError("GET /users", err);
    expect(described).toBeInstanceOf(GraphRequestError);
    expect(described.message).toMatch(/^GET \/users failed: refused to send/);
  });
});

describe("retry middleware", () => {
  it("honours a Retry-After longer than maxDelayMs as given while it fits in the budget", async () => {
    script.push(status(429, { "retry-after": "45" }), ok());
    const conn = connect({ retry: { maxDelayMs: 1_000, budgetMs: 120_000 } });
    await conn.client.api("/users").get();
    expect(waits).toEqual([45_000]);
    expect(conn.stats).toMatchObject({ throttled: 1, retries: 1 });
  });

  it("fails at once when Graph asks to wait longer than the budget has left, naming the wait and the option", async () => {
    script.push(status(429, { "retry-after": "300", "request-id": "req-123" }));
    const conn = connect({ retry: { budgetMs: 120_000 } });
    const err = await conn.client
      .api("/users")
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphRetryAfterError");
    expect(err.status).toBe(429);
    expect(err.message).toMatch(
      /^Graph asked to wait 300 s \(Retry-After\) before GET https:\/\/graph\.example\.test\/v1\.0\/users/,
    );
    expect(err.message).toMatch(/more than the \d+(\.\d+)? s left of the 120 s retry budget/);
    expect(err.message).toContain("--max-retry-seconds");
    expect(waits).toEqual([]);
    expect(calls).toHaveLength(1);
    const described = describeGraphError("GET /users", err) as GraphRequestError;
    expect(described.status).toBe(429);
    expect(described.message).toMatch(/^GET \/users failed with HTTP 429: Graph asked to wait 300 s/);
    expect(described.message).toContain("(request-id req-123)");
  });

  it("uses its own backoff, capped by maxDelayMs, when there is no Retry-After", async () => {
    script.push(status(503), status(503), ok());
    const conn = connect({ retry: { baseDelayMs: 800, maxDelayMs: 1_000 } });
    await conn.client.api("/users").get();
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(640);
    expect(waits[0]).toBeLessThanOrEqual(960);
    expect(waits[1]).toBe(1_000);
  });

  it("names the reason of a connection that keeps failing, and what to check", async () => {
    const refused = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    };
    script.push(refused, refused);
    const err = await connect({ retry: { maxRetries: 1, baseDelayMs: 1 } })
      .client.api("/users")
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphNetworkError");
    expect(err.message).toContain(`GET ${GRAPH}/v1.0/users failed after 2 attempts: fetch failed (ECONNREFUSED)`);
    expect(err.message).toContain("Graph could not be reached");
  });
});

describe("per-attempt timeout", () => {
  it("gives up an attempt that gets no answer, retries it, and names the URL and the time when the budget ends", async () => {
    script.push(hang(), hang(), hang());
    const conn = connect({ requestTimeoutMs: 30, retry: { maxRetries: 2, baseDelayMs: 1 } });
    const err = await conn.client
      .api("/users")
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphTimeoutError");
    expect(err.message).toMatch(
      /^no answer within 0\.03 s from GET https:\/\/graph\.example\.test\/v1\.0\/users \(3 attempts, retry budget 120 s\)/,
    );
    expect(err.message).toContain("--request-timeout-seconds");
    expect(calls).toHaveLength(3);
    expect(conn.stats).toMatchObject({ timeouts: 3, networkErrors: 3, retries: 2 });
  });

  it("covers the body too: a page that stalls half-way is retried", async () => {
    script.push(
      async () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('{"value":['));
            },
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        ),
      ok({ value: [1] }),
    );
    const conn = connect({ requestTimeoutMs: 50, retry: { baseDelayMs: 1 } });
    const page = await conn.client.api("/users").get();
    expect(page).toEqual({ value: [1] });
    expect(conn.stats).toMatchObject({ timeouts: 1, retries: 1 });
  });

  it("a caller's signal stops the request without retries", async () => {
    const ac = new AbortController();
    script.push((call) => {
      setTimeout(() => ac.abort(new Error("the other side failed")), 5);
      return hang()(call);
    });
    const conn = connect({ requestTimeoutMs: 60_000 });
    const err = await conn.client
      .api("/users")
      .option("signal", ac.signal)
      .get()
      .catch((e) => e);
    expect(err.message).toContain("the other side failed");
    expect(calls).toHaveLength(1);
    expect(conn.stats.retries).toBe(0);
  });

  it("refuses a timeout that is not a positive number", () => {
    expect(() => connect({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs must be a positive number/);
  });
});
