/** Counting: round trips, retries, throttled answers, for benchmarks and honest reports. */
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { requestUrl } from "./context";

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

/** Stats with every count at zero. */
export function newGraphStats(): GraphStats {
  return {
    requests: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    tokenRefreshes: 0,
    log: [],
  };
}

export class CountingMiddleware implements Middleware {
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
