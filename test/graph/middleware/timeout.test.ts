import { describe, expect, it } from "vitest";
import { connect, hang, net, ok, useScriptedFetch } from "../../support/scriptedFetch";

useScriptedFetch();

describe("per-attempt timeout", () => {
  it("gives up an attempt that gets no answer, retries it, and names the URL and the time when the budget ends", async () => {
    net.script.push(hang(), hang(), hang());
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
    expect(net.calls).toHaveLength(3);
    expect(conn.stats).toMatchObject({ timeouts: 3, networkErrors: 3, retries: 2 });
  });

  it("covers the body too: a page that stalls half-way is retried", async () => {
    net.script.push(
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
    net.script.push((call) => {
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
    expect(net.calls).toHaveLength(1);
    expect(conn.stats.retries).toBe(0);
  });

  it("refuses a timeout that is not a positive number", () => {
    expect(() => connect({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs must be a positive number/);
  });
});
