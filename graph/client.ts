import { readFileSync } from "node:fs";
import tls from "node:tls";
import type { TokenCredential } from "@azure/identity";
import type { Client, Context, Middleware } from "@microsoft/microsoft-graph-client";
import { graphScope } from "./clouds";
import { type GraphConnectionSettings, resolvedEndpoints } from "./connection";
import { type CredentialOptions, createCredential } from "./credentials";
import {
  GraphAuthError,
  GraphCallError,
  GraphNetworkError,
  GraphOriginError,
  GraphRetryAfterError,
  GraphTimeoutError,
} from "./errors";

export { GraphAuthError, GraphOriginError, GraphRetryAfterError, GraphTimeoutError };

/**
 * The one Graph client factory that the provider, the gap analysis, the gate and the policies share.
 *
 * It uses the real `@microsoft/microsoft-graph-client` with a middleware chain of our own:
 *   authentication (token from @azure/identity, attached only to requests for the configured Graph origin — any
 *     other URL is refused before it is sent; on a 401 the token is fetched again once)
 *   → retries (429 and 5xx, dropped connections and timeouts, honouring Retry-After in both its forms, exponential
 *     backoff with jitter, a cap per wait of our own and a budget for the whole request — modelled on the SDK's
 *     RetryHandler, https://learn.microsoft.com/graph/throttling)
 *   → counting (round trips, retries, throttled answers: for benchmarks and honest reports)
 *   → per-attempt timeout (an AbortSignal on the fetch, covering the headers and the body)
 *   → the SDK's HTTPMessageHandler (fetch).
 * Against the local tenant emulator only the URLs and the trusted CA differ.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff when the server gives no Retry-After, in ms; doubles each retry. */
  baseDelayMs: number;
  /**
   * Longest backoff of our own, in ms. Retry-After is not capped by it: Graph's wait is honoured as given while it
   * fits in what is left of `budgetMs`, and a longer one fails at once (waiting less would only be throttled again).
   */
  maxDelayMs: number;
  /** Total time one request may take, attempts and waits included, before no further retry starts, in ms. */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 8, baseDelayMs: 500, maxDelayMs: 30_000, budgetMs: 120_000 };

/**
 * Time one attempt may take, headers and body, in ms. Microsoft's Graph SDKs give a request 100 s by default (the SDK
 * design's GraphClientFactory, https://github.com/microsoftgraph/msgraph-sdk-design/blob/master/GraphClientFactory.md;
 * it is .NET's HttpClient default, https://learn.microsoft.com/dotnet/api/system.net.http.httpclient.timeout), so a
 * page Graph's own clients would still wait for is waited for here too; anything longer is a lost request, and it is
 * retried inside the retry budget like a dropped connection.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 100_000;

export interface GraphStats {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  /** Attempts that failed without an answer (refused, reset, TLS, timeouts). */
  networkErrors: number;
  /** Of those, attempts that got no answer within the per-attempt timeout. */
  timeouts: number;
  tokenRefreshes: number;
  /** Method + path of every request that reached the network (PATCH counting in tests). */
  log: { method: string; url: string; status: number }[];
}

export interface GraphClientOptions extends CredentialOptions {
  retry?: Partial<RetryPolicy>;
  /** Time one attempt may take (headers and body), in ms; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
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
 * Adds a CA certificate (PEM) to the process's default trust store, for both node:https (@azure/identity) and fetch
 * (MSAL Node, the Graph client): every TLS client that passes no `ca` of its own. Verification stays on, only the trust
 * anchor differs. NODE_EXTRA_CA_CERTS does the same for a process that has not started yet (children get it that
 * way), but Node reads it only at start-up. Needs `tls.setDefaultCACertificates` (Node 22.19+); on an older Node the
 * error says what to do instead.
 */
export function trustCaPem(pem: string, what = "the CA certificate"): void {
  const setDefault = (tls as unknown as { setDefaultCACertificates?: (certs: string[]) => void })
    .setDefaultCACertificates;
  if (typeof setDefault !== "function") {
    throw new Error(
      `cannot trust ${what} in this process: Node ${process.version} lacks tls.setDefaultCACertificates (Node 22.19+); ` +
        "use Node 22.19 or later, or start Node with NODE_EXTRA_CA_CERTS=<the PEM file>",
    );
  }
  const current = tls.getCACertificates("default");
  if (current.some((c) => c.trim() === pem.trim())) return;
  setDefault.call(tls, [...current, pem]);
}

/** trustCaPem for a PEM file (the `caCertPath` of a connection), once per file. */
export function trustCaFile(caCertPath: string): void {
  if (trusted.has(caCertPath)) return;
  let pem: string;
  try {
    pem = readFileSync(caCertPath, "utf8");
  } catch (e) {
    throw new Error(`cannot read the CA certificate ${caCertPath}: ${(e as Error).message}`);
  }
  trustCaPem(pem, caCertPath);
  trusted.add(caCertPath);
}

/**
 * Checks a link Graph handed out (`@odata.nextLink`, `@odata.deltaLink`, or one saved from an earlier run) against
 * the API base it must belong to (`https://host/v1.0`): same origin (scheme, host, port) and under the base's path.
 * Returns the normalised URL to request, or the problem in words. Graph's links are always absolute URLs on the
 * endpoint that was asked (https://learn.microsoft.com/graph/paging), so anything else is a rewritten answer or an
 * edited file, and following it would send the request (and, without the origin check in the client, the token)
 * elsewhere.
 */
export function checkGraphLink(baseUrl: string, link: unknown): { href: string } | { problem: string } {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return { problem: `cannot be checked: the Graph base ${JSON.stringify(String(baseUrl).slice(0, 200))} is no URL` };
  }
  if (typeof link !== "string" || !link) return { problem: `is not a URL but ${JSON.stringify(link)?.slice(0, 80)}` };
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { problem: `is not an absolute URL: ${JSON.stringify(link.slice(0, 200))}` };
  }
  if (url.origin !== base.origin) {
    return { problem: `points at ${url.origin}, not at the configured Graph endpoint ${base.origin}` };
  }
  const prefix = `${base.pathname.replace(/\/$/, "")}/`;
  if (!url.pathname.startsWith(prefix)) {
    return { problem: `points at ${url.origin}${url.pathname}, outside ${base.origin}${prefix} of the Graph API` };
  }
  return { href: url.href };
}

/**
 * The SDK rethrows a GraphClientError unchanged but turns any other error a middleware throws into a GraphError that
 * keeps only its message (GraphRequest.send). Our middleware's errors carry the URL, the status and the request-id, so
 * their base class gets GraphClientError under it, once, when the SDK is first loaded here (it is loaded lazily:
 * importing this module must stay cheap).
 */
function passThroughSdk(graph: typeof import("@microsoft/microsoft-graph-client")): void {
  const base = Object.getPrototypeOf(GraphCallError.prototype);
  if (base === Error.prototype) Object.setPrototypeOf(GraphCallError.prototype, graph.GraphClientError.prototype);
}

export function createGraphConnection(
  settings: GraphConnectionSettings,
  opts: GraphClientOptions = {},
): GraphConnection {
  const graph = require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
  passThroughSdk(graph);
  if (settings.caCertPath) trustCaFile(settings.caCertPath);
  const { graphEndpoint } = resolvedEndpoints(settings);
  const credential = opts.credential ?? createCredential(settings, opts);
  const stats: GraphStats = {
    requests: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    tokenRefreshes: 0,
    log: [],
  };
  const policy = { ...DEFAULT_RETRY, ...opts.retry };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scope = graphScope(settings.cloud);
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new Error(`requestTimeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
  }

  const auth = new AuthMiddleware(credential, scope, stats, settings, new URL(graphEndpoint).origin);
  const retry = new RetryMiddleware(policy, stats, sleep, timeoutMs);
  const count = new CountingMiddleware(stats, opts.keepLog ?? false);
  const timeout = new TimeoutMiddleware(timeoutMs);
  const http = new graph.HTTPMessageHandler();
  auth.setNext(retry);
  retry.setNext(count);
  count.setNext(timeout);
  timeout.setNext(http);

  // No `customHosts`: the SDK consults it only in its own AuthenticationHandler and TelemetryHandler, neither of
  // which is in this chain, and it compares host names alone (no scheme, no port: GraphRequestUtil.isValidEndpoint),
  // so it could not keep the token from another port of the same host anyway. AuthMiddleware checks the exact origin.
  const client = graph.Client.initWithMiddleware({
    middleware: auth,
    baseUrl: graphEndpoint,
    defaultVersion: "v1.0",
  });
  return { client, stats, settings, baseUrl: `${graphEndpoint}/v1.0` };
}

function requestUrl(ctx: Context): string {
  return typeof ctx.request === "string" ? ctx.request : (ctx.request as Request).url;
}

function method(ctx: Context): string {
  return ctx.options?.method ?? "GET";
}

/** Seconds for messages: `100 s`, `0.25 s`. */
function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

class AuthMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly stats: GraphStats,
    private readonly settings: GraphConnectionSettings,
    /** The only origin that gets the token: scheme, host and port of the configured Graph endpoint. */
    private readonly graphOrigin: string,
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
    const url = requestUrl(ctx);
    const origin = originOf(url);
    if (origin !== this.graphOrigin) {
      // Refused rather than sent without the token: every URL this client is asked for should be Graph's, so another
      // one is a link from a rewritten answer or an edited file, and even an anonymous request would tell that host
      // what syncgap reads.
      throw new GraphOriginError(
        `refused to send ${method(ctx)} ${url.slice(0, 500)}: ${origin ?? "it"} is not the configured Graph endpoint ` +
          `${this.graphOrigin}, and the Graph token goes to Graph only. Check the Graph endpoint setting ` +
          "(SYNCGAP_GRAPH_ENDPOINT, --graph-endpoint, syncgap:graphEndpoint) and anything between syncgap and Graph " +
          "that could rewrite its answers.",
        url,
      );
    }
    const headers = new Headers(ctx.options?.headers as ConstructorParameters<typeof Headers>[0]);
    headers.set("Authorization", `Bearer ${await this.token()}`);
    // redirect "manual": a 3xx comes back as an answer (and fails the call) instead of being followed. fetch would drop
    // the Authorization header on a cross-origin redirect (Fetch standard, HTTP-redirect fetch), but following it
    // would still send the request to a host nobody configured. Graph's APIs used here do not redirect.
    ctx.options = { ...ctx.options, headers, redirect: "manual" };
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

/** What TimeoutMiddleware aborts an attempt with; RetryMiddleware turns the last one into a GraphTimeoutError. */
class AttemptTimedOut extends Error {
  override name = "AttemptTimedOut";
}

const BUDGET_HINT =
  "raise the retry budget (syncgap --max-retry-seconds; retry.budgetMs in GraphClientOptions) to wait longer";

class RetryMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly policy: RetryPolicy,
    private readonly stats: GraphStats,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly timeoutMs: number,
  ) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  async execute(ctx: Context): Promise<void> {
    const started = Date.now();
    const caller = ctx.options?.signal as AbortSignal | undefined;
    for (let attempt = 0; ; attempt++) {
      let networkError: Error | undefined;
      try {
        ctx.response = undefined;
        await this.next!.execute(ctx);
      } catch (e) {
        // The caller gave up (the other side of a gap run failed): not a network failure, nothing to retry.
        if (caller?.aborted) throw e;
        networkError = e as Error;
        this.stats.networkErrors++;
        if (e instanceof AttemptTimedOut) this.stats.timeouts++;
      }
      const status = ctx.response?.status;
      if (!networkError && status !== undefined && !RETRY_STATUS.has(status)) return;
      if (status === 429) this.stats.throttled++;
      else if (status !== undefined && status >= 500) this.stats.serverErrors++;

      const url = requestUrl(ctx);
      const retryAfter = networkError ? undefined : parseRetryAfter(ctx.response?.headers.get("Retry-After") ?? null);
      const left = this.policy.budgetMs - (Date.now() - started);
      if (retryAfter !== undefined && attempt < this.policy.maxRetries && retryAfter > left) {
        // Graph said when it will take the request again; asking sooner only counts against the throttle
        // (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling), so fail now, saying so.
        const requestId = ctx.response?.headers.get("request-id") ?? undefined;
        await discard(ctx.response);
        throw new GraphRetryAfterError(
          `Graph asked to wait ${seconds(retryAfter)} (Retry-After) before ${method(ctx)} ${url} is tried again, ` +
            `more than the ${seconds(Math.max(0, left))} left of the ${seconds(this.policy.budgetMs)} retry budget. ` +
            `Try again later, or ${BUDGET_HINT}.`,
          url,
          status,
          requestId,
        );
      }
      const backoff = this.policy.baseDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
      const wait = retryAfter ?? Math.min(backoff, this.policy.maxDelayMs);
      if (attempt >= this.policy.maxRetries || wait > left) {
        if (networkError instanceof AttemptTimedOut) {
          throw new GraphTimeoutError(
            `no answer within ${seconds(this.timeoutMs)} from ${method(ctx)} ${url} (${attempt + 1} attempts, ` +
              `retry budget ${seconds(this.policy.budgetMs)}). Graph or the network path to it is not answering: ` +
              "check the endpoint and the network (proxy, firewall) and try again later; if Graph is only slow, raise " +
              "the time per attempt (syncgap --request-timeout-seconds; requestTimeoutMs in GraphClientOptions) or " +
              `${BUDGET_HINT}.`,
            url,
            undefined,
            undefined,
            { cause: networkError },
          );
        }
        if (networkError) {
          throw new GraphNetworkError(
            `Graph request ${method(ctx)} ${url} failed after ${attempt + 1} attempts: ${networkReason(networkError)}. ` +
              "Graph could not be reached: check the endpoint, the network (proxy, firewall) and the trusted certificates.",
            url,
            undefined,
            undefined,
            { cause: networkError },
          );
        }
        return; // the last answer (429/5xx) goes to the caller, who turns it into an error
      }
      await discard(ctx.response);
      this.stats.retries++;
      await this.sleep(wait);
      caller?.throwIfAborted();
    }
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a certificate error) is in its cause. */
function networkReason(e: Error): string {
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = cause && (typeof cause.code === "string" ? cause.code : String(cause.message ?? ""));
  return detail && !e.message.includes(detail) ? `${e.message} (${detail})` : e.message;
}

/** Drops the body of an answer we do not use (TimeoutMiddleware has read it already, so this does not wait). */
async function discard(res: Response | undefined): Promise<void> {
  await res?.arrayBuffer().catch(() => undefined);
}

/** Statuses whose answers have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Gives each attempt `timeoutMs` for the whole answer. The SDK's HTTPMessageHandler calls `fetch(url, options)` with
 * the options as they stand, so the signal set here reaches fetch; the body is read inside the attempt, so a page
 * that stalls half-way counts as a timed-out attempt (retried) instead of hanging the caller's JSON parse, which
 * runs after the middleware chain. A signal the caller set (GraphRequest.option("signal", …)) still stops it.
 */
/**
 * `work`, or the signal's reason once it aborts. Node's fetch ends both the request and the body stream on abort by
 * itself; racing the signal as well keeps the deadline even where an answer's body is not tied to it (a Response
 * built by other code, a fetch replacement).
 */
function within<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  // a late failure of `work` after the deadline (or after the caller gave up) is not an unhandled rejection: the
  // attempt has already started when this is called, so even an already-aborted signal leaves it to settle
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

class TimeoutMiddleware implements Middleware {
  private next?: Middleware;
  constructor(private readonly timeoutMs: number) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  async execute(ctx: Context): Promise<void> {
    const caller = ctx.options?.signal as AbortSignal | undefined;
    const timer = new AbortController();
    const t = setTimeout(
      () => timer.abort(new AttemptTimedOut(`no answer within ${seconds(this.timeoutMs)}`)),
      this.timeoutMs,
    );
    const signal = caller ? AbortSignal.any([caller, timer.signal]) : timer.signal;
    ctx.options = { ...ctx.options, signal };
    try {
      await within(signal, this.next!.execute(ctx));
      const res = ctx.response;
      if (res?.body && !NULL_BODY.has(res.status)) {
        const body = await within(signal, res.arrayBuffer());
        ctx.response = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
      }
    } catch (e) {
      if (timer.signal.aborted && !caller?.aborted) throw timer.signal.reason;
      throw e;
    } finally {
      clearTimeout(t);
      // The next attempt (RetryMiddleware) starts from the caller's own signal, not this attempt's spent one.
      ctx.options = { ...ctx.options, signal: caller };
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
