/** The per-attempt deadline: an AbortSignal on the fetch covering the headers and the body. */
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { seconds } from "./context";

/** What TimeoutMiddleware aborts an attempt with; RetryMiddleware turns the last one into a GraphTimeoutError. */
export class AttemptTimedOut extends Error {
  override name = "AttemptTimedOut";
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

export class TimeoutMiddleware implements Middleware {
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
