import type { TokenCredential } from "@azure/identity";
import type { Client } from "@microsoft/microsoft-graph-client";
import { graphScope } from "./clouds";
import { type GraphConnectionSettings, resolvedEndpoints } from "./connection";
import { type CredentialOptions, createCredential } from "./credentials";
import { GraphCallError } from "./errors";
import { AuthMiddleware } from "./middleware/auth";
import { CountingMiddleware, type GraphStats, newGraphStats } from "./middleware/counting";
import { DEFAULT_RETRY, RetryMiddleware, type RetryPolicy } from "./middleware/retry";
import { TimeoutMiddleware } from "./middleware/timeout";
import { trustCaFile } from "./trust";

export type { GraphStats, RetryPolicy };

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
 * Against the local tenant emulator only the URLs and the trusted CA differ. Each middleware has its file in
 * graph/middleware/.
 */

/**
 * Time one attempt may take, headers and body, in ms. Microsoft's Graph SDKs give a request 100 s by default (the SDK
 * design's GraphClientFactory, https://github.com/microsoftgraph/msgraph-sdk-design/blob/master/GraphClientFactory.md;
 * it is .NET's HttpClient default, https://learn.microsoft.com/dotnet/api/system.net.http.httpclient.timeout), so a
 * page Graph's own clients would still wait for is waited for here too; anything longer is a lost request, and it is
 * retried inside the retry budget like a dropped connection.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 100_000;

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
  const stats = newGraphStats();
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
