/**
 * Limits and faults: Graph's resource-unit token bucket (identity and access service limits,
 * https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits), injected faults, and the
 * request log the admin API exposes.
 */
import { randomUUID } from "node:crypto";
import type { ThrottlingOptions } from "./seed/types";

/**
 * Resource-unit cost of a Graph request: `GET /users` costs 2, any other path 1; `$select` −1, `$expand` +1,
 * `$top` below 20 −1; never below 1.
 */
export function requestCost(method: string, route: string, query: Record<string, string>): number {
  let cost = method === "GET" && route === "users" ? 2 : 1;
  if (query.$select !== undefined) cost -= 1;
  if (query.$expand !== undefined) cost += 1;
  const top = Number(query.$top);
  if (query.$top !== undefined && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

/** Write cost: 1 for POST, PATCH, PUT and DELETE, 0 for reads (the table's "Write Cost" column). */
export function writeCost(method: string): number {
  return method === "GET" || method === "HEAD" ? 0 : 1;
}

/**
 * The application+tenant resource-unit quota for a tenant of this many users: S (under 50) 3,500, M (50–500) 5,000,
 * L (above 500) 8,000 per 10 seconds.
 */
export function tenantSizeQuota(userCount: number): number {
  return userCount < 50 ? 3500 : userCount <= 500 ? 5000 : 8000;
}

/** Why a request was throttled: the headers Graph sends with such a 429 (`x-ms-throttle-*`). */
export interface ThrottleDecision {
  /** Seconds to wait (Retry-After); 0 when the request may go. */
  wait: number;
  /** `x-ms-throttle-scope` limit part: ReadWrite (resource units) or Write (write quota). */
  limit?: "ReadWrite" | "Write";
  /** `x-ms-throttle-information`. */
  information?: "ResourceUnitLimitExceeded" | "WriteLimitExceeded";
  /** Share of the resource-unit quota used, 0..1+ (`x-ms-throttle-limit-percentage` above 0.8). */
  used: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Refills `b` for the time passed at `rate` units per second, up to `size`. */
function refill(b: Bucket, size: number, rate: number, now: number): void {
  b.tokens = Math.min(size, b.tokens + ((now - b.last) / 1000) * rate);
  b.last = now;
}

/**
 * Token buckets per app (the emulator serves one tenant, so per app+tenant): resource units and, for writes, the
 * write quota. A request that does not fit takes nothing from either bucket.
 */
export class Throttle {
  private buckets = new Map<string, { ru: Bucket; write: Bucket }>();

  constructor(private opts: ThrottlingOptions) {}

  configure(opts: ThrottlingOptions): void {
    this.opts = opts;
    this.buckets.clear();
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  /** The resource-unit quota in force for a tenant of `userCount` users. */
  quota(userCount: number): number {
    return this.opts.bucketSize === "auto" ? tenantSizeQuota(userCount) : this.opts.bucketSize;
  }

  /**
   * Takes `cost` resource units (and `writes` from the write quota) from the app's buckets; answers how long to wait
   * when they do not fit.
   */
  take(appId: string, cost: number, writes = 0, userCount = 0, now = Date.now()): ThrottleDecision {
    if (!this.opts.enabled) return { wait: 0, used: 0 };
    const size = this.quota(userCount);
    const rate = size / this.opts.windowSeconds; // units per second
    const wSize = this.opts.writeBucketSize;
    const wRate = wSize / this.opts.writeWindowSeconds;
    let b = this.buckets.get(appId);
    if (!b) {
      b = { ru: { tokens: size, last: now }, write: { tokens: wSize, last: now } };
      this.buckets.set(appId, b);
    }
    refill(b.ru, size, rate, now);
    refill(b.write, wSize, wRate, now);
    if (b.ru.tokens < cost) {
      return {
        wait: Math.max(1, Math.ceil((cost - b.ru.tokens) / rate)),
        limit: "ReadWrite",
        information: "ResourceUnitLimitExceeded",
        used: 1 - b.ru.tokens / size,
      };
    }
    if (writes > 0 && b.write.tokens < writes) {
      return {
        wait: Math.max(1, Math.ceil((writes - b.write.tokens) / wRate)),
        limit: "Write",
        information: "WriteLimitExceeded",
        used: 1 - b.ru.tokens / size,
      };
    }
    b.ru.tokens -= cost;
    b.write.tokens -= writes;
    return { wait: 0, used: 1 - b.ru.tokens / size };
  }
}

export type FaultKind = "status" | "latency" | "drop";

export interface FaultRule {
  id: string;
  /** Path glob (`*` matches anything, including `/`), matched against the path without query, e.g. `/v1.0/users*`. */
  path: string;
  /** HTTP method to match (any when absent). */
  method?: string;
  kind: FaultKind;
  /** For `status`: the status code (default 503). */
  status?: number;
  /** For `status` 429/503: Retry-After seconds to send. */
  retryAfterSeconds?: number;
  /** For `latency`: milliseconds to wait before handling. */
  latencyMs?: number;
  /** Fire this many times, then the rule is removed (unlimited when absent). */
  count?: number;
  /** Chance (0–1) that a matching request is hit (default 1). */
  probability?: number;
  /** How often the rule fired. */
  hits: number;
}

export type FaultRuleInput = Omit<FaultRule, "id" | "hits"> & { id?: string };

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${esc}$`, "i");
}

export class FaultSet {
  private rules: { rule: FaultRule; re: RegExp }[] = [];

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r.rule }));
  }

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...input, id: input.id ?? randomUUID(), hits: 0 };
    this.rules.push({ rule, re: globToRegExp(rule.path) });
    return { ...rule };
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
    return this.rules.length !== n;
  }

  /** The faults that fire for this request (at most one of each kind), consuming counts. */
  match(method: string, path: string): FaultRule[] {
    if (!this.rules.length) return [];
    const fired: FaultRule[] = [];
    const kinds = new Set<FaultKind>();
    for (const r of this.rules) {
      const rule = r.rule;
      if (kinds.has(rule.kind)) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (!r.re.test(path)) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      rule.hits++;
      if (rule.count !== undefined) rule.count--;
      kinds.add(rule.kind);
      fired.push({ ...rule });
    }
    this.rules = this.rules.filter((r) => r.rule.count === undefined || r.rule.count > 0);
    return fired;
  }
}

export interface RequestLogEntry {
  seq: number;
  time: string;
  method: string;
  /** Path and query as received. */
  url: string;
  /** Path without query. */
  path: string;
  status: number;
  durationMs: number;
  /** Graph, identity platform, or other (not-found) traffic. Admin calls are not logged. */
  area: "graph" | "identity" | "other";
  isPatch: boolean;
  /** Parsed JSON body of Graph writes (PATCH/POST/PUT); never logged for the identity platform. */
  body?: unknown;
  /** Sub-request of a `$batch`. */
  batch: boolean;
  requestId: string;
  clientRequestId: string | null;
  /** appid of the access token (Graph requests that passed authentication). */
  appId?: string;
  /** oid of the signed-in user (delegated tokens). */
  userId?: string;
  /** Fault injected, if any. */
  fault?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(public limit: number) {}

  push(e: Omit<RequestLogEntry, "seq">): void {
    if (this.limit <= 0) return;
    this.entries.push({ ...e, seq: ++this.seq });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(filter: { method?: string; pathPrefix?: string; area?: string; sinceSeq?: number } = {}): RequestLogEntry[] {
    return this.entries.filter(
      (e) =>
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!filter.pathPrefix || e.path.startsWith(filter.pathPrefix)) &&
        (!filter.area || e.area === filter.area) &&
        (filter.sinceSeq === undefined || e.seq > filter.sinceSeq),
    );
  }

  clear(): void {
    this.entries = [];
  }
}
