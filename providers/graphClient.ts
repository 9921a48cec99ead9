import { readFileSync } from "node:fs";
import tls from "node:tls";
import type { TokenCredential } from "@azure/identity";
import type { Client, Context, Middleware } from "@microsoft/microsoft-graph-client";
import { type GraphConnectionSettings, resolvedEndpoints } from "./connection";
import { type CredentialOptions, createCredential } from "./credentials";
import { graphScope } from "./endpoints";
import { GraphAuthError } from "./graphErrors";

export { GraphAuthError };

/**
 * The one Graph client factory that the provider, the gap analysis, the gate and the policies share.
 *
 * It uses the real `@microsoft/microsoft-graph-client` with a middleware chain of our own:
 *   authentication (token from @azure/identity; on a 401 the token is fetched again once)
 *   → retries (429 and 5xx and dropped connections, honouring Retry-After in both its forms, exponential backoff
 *     with jitter, a cap per wait and a budget for the whole request — modelled on the SDK's RetryHandler,
 *     https://learn.microsoft.com/graph/throttling)
 *   → counting (round trips, retries, throttled answers: for benchmarks and honest reports)
 *   → the SDK's HTTPMessageHandler (fetch).
 * Against the local tenant emulator only the URLs and the trusted CA differ.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff when the server gives no Retry-After, in ms; doubles each retry. */
  baseDelayMs: number;
  /** Longest single wait, in ms (also caps Retry-After). */
  maxDelayMs: number;
  /** Total time one request may spend waiting for retries, in ms. */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 8, baseDelayMs: 500, maxDelayMs: 30_000, budgetMs: 120_000 };

export interface GraphStats {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  networkErrors: number;
  tokenRefreshes: number;
  /** Method + path of every request that reached the network (PATCH counting in tests). */
  log: { method: string; url: string; status: number }[];
}

export interface GraphClientOptions extends CredentialOptions {
  retry?: Partial<RetryPolicy>;
  credential?: TokenCredential;
  /** Keep a request log in stats.log (off by default; large reads make it big). */
  keepLog?: boolean;
  /** Sleep function (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface GraphConnection {
  client: Client;
  stats: GraphStats;
  settings: GraphConnectionSettings;
  /** `https://host/v1.0` */
  baseUrl: string;
}

const trusted = new Set<string>();

/**
 * Adds a CA certificate (PEM file) to the process's default trust store, for both node:https and fetch.
 * This is how syncgap trusts the local tenant emulator: verification stays on, only the trust anchor differs.
 * (Child processes get the same through NODE_EXTRA_CA_CERTS.)
 */
export function trustCaFile(caCertPath: string): void {
  if (trusted.has(caCertPath)) return;
  let pem: string;
  try {
    pem = readFileSync(caCertPath, "utf8");
  } catch (e) {
    throw new Error(`cannot read the CA certificate ${caCertPath}: ${(e as Error).message}`);
  }
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), pem]);
  trusted.add(caCertPath);
}

export function createGraphConnection(
  settings: GraphConnectionSettings,
  opts: GraphClientOptions = {},
): GraphConnection {
  const graph = require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
  if (settings.caCertPath) trustCaFile(settings.caCertPath);
  const { graphEndpoint } = resolvedEndpoints(settings);
  const credential = opts.credential ?? createCredential(settings, opts);
  const stats: GraphStats = {
    requests: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    networkErrors: 0,
    tokenRefreshes: 0,
    log: [],
  };
  const policy = { ...DEFAULT_RETRY, ...opts.retry };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scope = graphScope(settings.cloud);

  const auth = new AuthMiddleware(credential, scope, stats, settings);
  const retry = new RetryMiddleware(policy, stats, sleep);
  const count = new CountingMiddleware(stats, opts.keepLog ?? false);
  const http = new graph.HTTPMessageHandler();
  auth.setNext(retry);
  retry.setNext(count);
  count.setNext(http);

  const host = new URL(graphEndpoint).host;
  const client = graph.Client.initWithMiddleware({
    middleware: auth,
    baseUrl: graphEndpoint,
    defaultVersion: "v1.0",
    // Without the host in customHosts the SDK silently sends no Authorization header to a non-Microsoft host.
    customHosts: new Set([host, new URL(graphEndpoint).hostname]),
  });
  return { client, stats, settings, baseUrl: `${graphEndpoint}/v1.0` };
}

function requestUrl(ctx: Context): string {
  return typeof ctx.request === "string" ? ctx.request : (ctx.request as Request).url;
}

class AuthMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly stats: GraphStats,
    private readonly settings: GraphConnectionSettings,
  ) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  private async token(): Promise<string> {
    try {
      const t = await this.credential.getToken(this.scope);
      if (!t) throw new Error("the credential returned no token");
      return t.token;
    } catch (e) {
      throw new GraphAuthError(this.settings, e as Error);
    }
  }
  async execute(ctx: Context): Promise<void> {
    const headers = new Headers(ctx.options?.headers as ConstructorParameters<typeof Headers>[0]);
    headers.set("Authorization", `Bearer ${await this.token()}`);
    ctx.options = { ...ctx.options, headers };
    await this.next!.execute(ctx);
    if (ctx.response?.status === 401) {
      // An expired or revoked token: get a fresh one once. @azure/identity renews tokens near expiry itself;
      // this covers clock skew and server-side revocation.
      this.stats.tokenRefreshes++;
      headers.set("Authorization", `Bearer ${await this.token()}`);
      ctx.options = { ...ctx.options, headers };
      await this.next!.execute(ctx);
    }
  }
}

/** Parses Retry-After: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns ms, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

class RetryMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly policy: RetryPolicy,
    private readonly stats: GraphStats,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  async execute(ctx: Context): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let networkError: Error | undefined;
      try {
        ctx.response = undefined;
        await this.next!.execute(ctx);
      } catch (e) {
        networkError = e as Error;
        this.stats.networkErrors++;
      }
      const status = ctx.response?.status;
      if (!networkError && status !== undefined && !RETRY_STATUS.has(status)) return;
      if (status === 429) this.stats.throttled++;
      else if (status !== undefined && status >= 500) this.stats.serverErrors++;

      const retryAfter = parseRetryAfter(ctx.response?.headers.get("Retry-After") ?? null);
      const backoff = this.policy.baseDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
      const wait = Math.min(retryAfter ?? backoff, this.policy.maxDelayMs);
      const spent = Date.now() - started;
      if (attempt >= this.policy.maxRetries || spent + wait > this.policy.budgetMs) {
        if (networkError) {
          throw new Error(
            `Graph request ${ctx.options?.method ?? "GET"} ${requestUrl(ctx)} failed after ${attempt + 1} attempts: ${networkError.message}`,
            { cause: networkError },
          );
        }
        return; // the last answer (429/5xx) goes to the caller, who turns it into an error
      }
      // Drain the body of the answer we discard so the connection can be reused.
      await ctx.response?.arrayBuffer().catch(() => undefined);
      this.stats.retries++;
      await this.sleep(wait);
    }
  }
}

class CountingMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly stats: GraphStats,
    private readonly keepLog: boolean,
  ) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  async execute(ctx: Context): Promise<void> {
    this.stats.requests++;
    try {
      await this.next!.execute(ctx);
    } finally {
      if (this.keepLog) {
        this.stats.log.push({
          method: ctx.options?.method ?? "GET",
          url: requestUrl(ctx),
          status: ctx.response?.status ?? 0,
        });
      }
    }
  }
}
