/**
 * The Graph client's real SDK and middleware chain against a scripted network: `fetch` (what the SDK's
 * HTTPMessageHandler calls) is replaced by a queue of answers, as the SDK's own middleware tests use a dummy next
 * handler. Fast, and exact about what would have been sent. Call `useScriptedFetch()` at the top of a test file.
 */
import type { TokenCredential } from "@azure/identity";
import { afterEach, beforeEach, vi } from "vitest";
import { createGraphConnection, type GraphClientOptions } from "../../graph/client";
import type { GraphConnectionSettings } from "../../graph/connection";

export const GRAPH = "https://graph.example.test";
export const settings: GraphConnectionSettings = {
  cloud: "global",
  tenantId: "7c0a4b1e-5d2f-4e8a-9b3c-1f2e3d4c5b6a",
  clientId: "3f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f",
  authMethod: "clientSecret",
  graphEndpoint: GRAPH,
};

export interface Call {
  url: string;
  init: RequestInit;
}

/** What the scripted network saw, and what it will answer next (one step per request). */
export const net = {
  calls: [] as Call[],
  script: [] as ((call: Call) => Promise<Response>)[],
  tokenCalls: 0,
  waits: [] as number[],
};

export const credential: TokenCredential = {
  getToken: async () => {
    net.tokenCalls++;
    return { token: "t0ken", expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

export function useScriptedFetch(): void {
  beforeEach(() => {
    net.calls = [];
    net.script = [];
    net.tokenCalls = 0;
    net.waits = [];
    vi.stubGlobal("fetch", (url: string, init: RequestInit) => {
      const call = { url, init };
      net.calls.push(call);
      const step = net.script.shift();
      if (!step) throw new Error(`unscripted request ${url}`);
      return step(call);
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}

/** A connection on the scripted network whose retry waits are recorded in `net.waits` instead of slept. */
export function connect(opts: GraphClientOptions = {}) {
  return createGraphConnection(settings, {
    credential,
    sleep: async (ms) => {
      net.waits.push(ms);
    },
    ...opts,
  });
}

export const ok =
  (body: unknown = { value: [] }) =>
  async () =>
    new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
export const status =
  (code: number, headers: Record<string, string> = {}) =>
  async () =>
    new Response(JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } }), {
      status: code,
      headers: { "content-type": "application/json", ...headers },
    });
/** A request that never gets an answer: it ends only through its signal, as fetch does. */
export const hang = () => (call: Call) =>
  new Promise<Response>((_resolve, reject) => {
    const signal = call.init.signal as AbortSignal;
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
