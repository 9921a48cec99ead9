/**
 * Retries: 429 and 5xx, dropped connections and timeouts, honouring Retry-After in both its forms, exponential
 * backoff with jitter, a cap per wait of our own and a budget for the whole request
 * (https://learn.microsoft.com/graph/throttling). Modelled on the SDK's RetryHandler, which does less: it retries
 * answers only (a dropped connection or a timeout fails at once), has no budget for the whole request, and cuts a
 * Retry-After longer than 180 s short (RetryHandlerOptions.MAX_DELAY), asking again while Graph still throttles.
 */
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { GraphNetworkError, GraphRetryAfterError, GraphTimeoutError } from "../errors";
import { method, requestUrl, seconds } from "./context";
import type { GraphStats } from "./counting";
import { AttemptTimedOut } from "./timeout";

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

const BUDGET_HINT =
  "raise the retry budget (syncgap --max-retry-seconds; retry.budgetMs in GraphClientOptions) to wait longer";

export class RetryMiddleware implements Middleware {
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
