import { describe, expect, it } from "vitest";
import { describeGraphError, type GraphRequestError } from "../../../graph/errors";
import { parseRetryAfter } from "../../../graph/middleware/retry";
import { connect, GRAPH, net, ok, status, useScriptedFetch } from "../../support/scriptedFetch";

useScriptedFetch();

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-11-27T10:00:00Z");
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("retry middleware", () => {
  it("honours a Retry-After longer than maxDelayMs as given while it fits in the budget", async () => {
    net.script.push(status(429, { "retry-after": "45" }), ok());
    const conn = connect({ retry: { maxDelayMs: 1_000, budgetMs: 120_000 } });
    await conn.client.api("/users").get();
    expect(net.waits).toEqual([45_000]);
    expect(conn.stats).toMatchObject({ throttled: 1, retries: 1 });
  });

  it("fails at once when Graph asks to wait longer than the budget has left, naming the wait and the option", async () => {
    net.script.push(status(429, { "retry-after": "300", "request-id": "req-123" }));
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
    expect(net.waits).toEqual([]);
    expect(net.calls).toHaveLength(1);
    const described = describeGraphError("GET /users", err) as GraphRequestError;
    expect(described.status).toBe(429);
    expect(described.message).toMatch(/^GET \/users failed with HTTP 429: Graph asked to wait 300 s/);
    expect(described.message).toContain("(request-id req-123)");
  });

  it("uses its own backoff, capped by maxDelayMs, when there is no Retry-After", async () => {
    net.script.push(status(503), status(503), ok());
    const conn = connect({ retry: { baseDelayMs: 800, maxDelayMs: 1_000 } });
    await conn.client.api("/users").get();
    expect(net.waits).toHaveLength(2);
    expect(net.waits[0]).toBeGreaterThanOrEqual(640);
    expect(net.waits[0]).toBeLessThanOrEqual(960);
    expect(net.waits[1]).toBe(1_000);
  });

  it("names the reason of a connection that keeps failing, and what to check", async () => {
    const refused = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    };
    net.script.push(refused, refused);
    const err = await connect({ retry: { maxRetries: 1, baseDelayMs: 1 } })
      .client.api("/users")
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphNetworkError");
    expect(err.message).toContain(`GET ${GRAPH}/v1.0/users failed after 2 attempts: fetch failed (ECONNREFUSED)`);
    expect(err.message).toContain("Graph could not be reached");
  });
});
