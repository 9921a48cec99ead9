/**
 * Synced users from Microsoft Graph, through the shared client (`createGraphConnection`: retries, throttling,
 * token refresh and request counting live there).
 *
 * Full read: `GET /users?$filter=onPremisesSyncEnabled eq true&$select=…&$top=999`, following `@odata.nextLink`
 * (https://learn.microsoft.com/graph/api/user-list; `onPremisesSyncEnabled eq true` needs no advanced query;
 * `$top` is 1–999).
 *
 * Delta read: `GET /users/delta?$select=…`, following `@odata.nextLink` to the `@odata.deltaLink`, which the caller
 * keeps with a snapshot of the users; the next run starts from that link and gets only what changed
 * (https://learn.microsoft.com/graph/api/user-delta). `/users/delta` takes no `$filter` but `id eq …`, so the
 * snapshot keeps synced users and drops the others as they arrive. A changed user carries every selected property
 * that has a value (absent means never set, so a new user's missing properties are null and an existing user's keep
 * their value); `@removed` marks a user deleted or out of scope.
 *
 * Any page that fails ends the read with an error: a partial directory is never analysed. Links in an answer are
 * followed only when they point into the configured Graph API (same origin, under /v1.0: checkGraphLink), never
 * twice (a page loop), and for at most `maxPages` pages: an answer is directory data, and a server that rewrites
 * them must not be able to send the read elsewhere or keep it going for ever.
 */
import { checkGraphLink, type GraphConnection } from "../../providers/graphClient";
import { describeGraphError, PERMISSIONS } from "../../providers/graphErrors";
import { GapInputError } from "../errors";
import { ENTRA_SELECT, type EntraUser } from "../types";
import { EntraUserShapeError, isSynced, toEntraUser } from "./users";

export interface ReadProgress {
  users: number;
  pages: number;
  done: boolean;
}

export interface GraphReadOptions {
  signal?: AbortSignal;
  onProgress?: (p: ReadProgress) => void;
  /** Page size for the full read (1–999). */
  pageSize?: number;
  /** Most pages one read follows before it fails (default DEFAULT_MAX_PAGES). */
  maxPages?: number;
}

/**
 * The page cap. The full read of 1M synced users at $top=999 is about 1,000 pages; the delta initial round lists every
 * user in the tenant, cloud-only ones included, and Graph may page it well below the 999 that `Prefer:
 * odata.maxpagesize` asks for (a preference, which the server may lower: https://learn.microsoft.com/graph/api/user-delta
 * and https://learn.microsoft.com/graph/paging), so 10,000 leaves room for 1M users at 100 a page. More than that is a
 * server that never stops handing out links, not a directory.
 */
export const DEFAULT_MAX_PAGES = 10_000;

/** Follows the links of one read: checks each against the connection's API base, remembers them, counts pages. */
class LinkGuard {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly conn: GraphConnection,
    private readonly maxPages: number,
  ) {
    if (!(maxPages >= 1)) throw new Error(`maxPages must be at least 1, not ${maxPages}`);
  }
  /** The URL to request for `link` (from `field` of page `page`, or a saved deltaLink at page 0), or a GapInputError. */
  check(link: unknown, field: string, page: number, what: string): string {
    const checked = checkGraphLink(this.conn.baseUrl, link);
    if ("problem" in checked) {
      throw new GapInputError(
        graphSourceName(this.conn),
        `${field} of ${what} ${checked.problem}; it was not followed`,
        "Graph links only to itself: check the Graph endpoint setting (--graph-endpoint, SYNCGAP_GRAPH_ENDPOINT) and " +
          "anything between syncgap and Graph (a proxy) that could rewrite its answers",
      );
    }
    const earlier = this.seen.get(checked.href);
    if (earlier !== undefined) {
      throw new GapInputError(
        graphSourceName(this.conn),
        `${field} of ${what} repeats ${earlier === 0 ? "the saved deltaLink the read started from" : `the @odata.nextLink of page ${earlier}`} ` +
          `(${checked.href}): following it would read the same pages for ever`,
        "Graph's paging went round in a loop; run again later, and if it persists report it to Microsoft",
      );
    }
    this.seen.set(checked.href, page);
    return checked.href;
  }
  /** Throws when page `page` (1-based) would be one more than the cap. */
  allow(page: number, what: string): void {
    if (page > this.maxPages) {
      throw new GapInputError(
        graphSourceName(this.conn),
        `${what}: still an @odata.nextLink after ${this.maxPages} pages; the read was stopped there`,
        `a server that never stops paging is not a directory; if yours really is that large, raise the page cap (maxPages in the Graph reader options, default ${DEFAULT_MAX_PAGES})`,
      );
    }
  }
}

interface GraphPage {
  value?: unknown;
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

export function graphSourceName(conn: GraphConnection): string {
  return `Entra ID (Graph ${conn.baseUrl}, tenant ${conn.settings.tenantId})`;
}

function checkPage(conn: GraphConnection, page: unknown, what: string): { value: unknown[]; page: GraphPage } {
  const p = page as GraphPage;
  if (!p || typeof p !== "object" || !Array.isArray(p.value)) {
    throw new GapInputError(
      graphSourceName(conn),
      `${what} returned no "value" array`,
      "the endpoint does not look like Microsoft Graph",
    );
  }
  return { value: p.value, page: p };
}

function checkUser(conn: GraphConnection, raw: unknown, where: string): EntraUser {
  try {
    return toEntraUser(raw, where);
  } catch (e) {
    if (e instanceof EntraUserShapeError) throw new GapInputError(graphSourceName(conn), `malformed user ${e.message}`);
    throw e;
  }
}

async function get(
  conn: GraphConnection,
  url: string,
  what: string,
  signal: AbortSignal | undefined,
  query?: Record<string, string>,
  headers?: Record<string, string>,
): Promise<unknown> {
  try {
    const req = conn.client.api(url);
    if (query) req.query(query);
    if (headers) req.headers(headers);
    // The run's signal reaches fetch (through the client's timeout middleware): when the other side of a gap run
    // fails, the request in flight stops too instead of running to its timeout.
    if (signal) req.option("signal", signal);
    return await req.get();
  } catch (e) {
    if (e instanceof GapInputError) throw e;
    const err = describeGraphError(what, e, PERMISSIONS.usersRead);
    throw new GapInputError(graphSourceName(conn), err.message, undefined, { cause: e });
  }
}

/** Reads every synced user. */
export async function readSyncedUsers(conn: GraphConnection, opts: GraphReadOptions = {}): Promise<EntraUser[]> {
  const top = opts.pageSize ?? 999;
  const guard = new LinkGuard(conn, opts.maxPages ?? DEFAULT_MAX_PAGES);
  const users: EntraUser[] = [];
  let pages = 0;
  let next: string | undefined = "/users";
  let query: Record<string, string> | undefined = {
    $filter: "onPremisesSyncEnabled eq true",
    $select: ENTRA_SELECT.join(","),
    $top: String(top),
  };
  while (next) {
    opts.signal?.throwIfAborted();
    const what = pages === 0 ? "GET /users (synced users)" : `GET /users page ${pages + 1} (@odata.nextLink)`;
    guard.allow(pages + 1, what);
    const { value, page } = checkPage(conn, await get(conn, next, what, opts.signal, query), what);
    for (let i = 0; i < value.length; i++) {
      const u = checkUser(conn, value[i], `page ${pages + 1} /value/${i}`);
      if (isSynced(u)) users.push(u);
    }
    pages++;
    const link = page["@odata.nextLink"];
    next =
      link === undefined || link === null ? undefined : guard.check(link, "@odata.nextLink", pages, `page ${pages}`);
    query = undefined;
    opts.onProgress?.({ users: users.length, pages, done: !next });
  }
  return users;
}

export interface DeltaReadResult {
  /** The entries of this round, in order: users added or changed (only what Graph sent) and `@removed` markers. */
  changes: Record<string, unknown>[];
  deltaLink: string;
  pages: number;
}

/** Graph answers an expired or unknown delta token with 410 Gone (or a resync error code): start over. */
export function isDeltaResyncError(e: unknown): boolean {
  const cause = (e as { cause?: { statusCode?: number; code?: string } })?.cause;
  const status = cause?.statusCode;
  const code = String(cause?.code ?? "").toLowerCase();
  return status === 410 || code.includes("resync") || code.includes("syncstatenotfound") || code.includes("badtoken");
}

/**
 * Runs a delta round: from `deltaLink` (changes since then) or, without one, the initial round (every user). The
 * entries come back as Graph sent them; applyDelta() folds them into a snapshot. Entries that are not synced users
 * are dropped here already (a round can hold the whole tenant), except `@removed` markers and users whose
 * `onPremisesSyncEnabled` changed, which the snapshot needs.
 */
export async function readUsersDelta(
  conn: GraphConnection,
  deltaLink: string | undefined,
  opts: GraphReadOptions = {},
): Promise<DeltaReadResult> {
  const guard = new LinkGuard(conn, opts.maxPages ?? DEFAULT_MAX_PAGES);
  let next: string | undefined =
    deltaLink === undefined
      ? "/users/delta"
      : guard.check(deltaLink, "the saved @odata.deltaLink", 0, "the delta state");
  let query: Record<string, string> | undefined = deltaLink ? undefined : { $select: ENTRA_SELECT.join(",") };
  let pages = 0;
  const changes: Record<string, unknown>[] = [];
  let seen = 0;
  while (next) {
    opts.signal?.throwIfAborted();
    const what =
      pages === 0
        ? deltaLink
          ? "GET /users/delta (saved deltaLink)"
          : "GET /users/delta"
        : `GET /users/delta page ${pages + 1}`;
    guard.allow(pages + 1, what);
    // Ask for large pages; Graph may ignore the preference (the default delta page is smaller), which only costs
    // more requests. The preference rides along in the links for later pages.
    const { value, page } = checkPage(
      conn,
      await get(conn, next, what, opts.signal, query, { Prefer: "odata.maxpagesize=999" }),
      what,
    );
    for (let i = 0; i < value.length; i++) {
      const raw = value[i] as Record<string, unknown> | null;
      const id = raw && typeof raw === "object" ? raw.id : undefined;
      if (typeof id !== "string" || !id) {
        throw new GapInputError(graphSourceName(conn), `malformed delta entry at page ${pages + 1} /value/${i}: no id`);
      }
      seen++;
      // The initial round lists every user: cloud-only ones (onPremisesSyncEnabled null) can go at once. Later rounds
      // send a changed user with every selected property that has a value (no `Prefer: return=minimal`), so an
      // entry without onPremisesSyncEnabled is a cloud-only user (never set) and cannot touch the snapshot.
      if (!deltaLink && raw?.onPremisesSyncEnabled !== true) continue;
      if (deltaLink && raw && !Object.hasOwn(raw, "@removed") && !Object.hasOwn(raw, "onPremisesSyncEnabled")) continue;
      changes.push(raw as Record<string, unknown>);
    }
    pages++;
    const nextLink: string | undefined = page["@odata.nextLink"];
    const newDelta: string | undefined = page["@odata.deltaLink"];
    query = undefined;
    opts.onProgress?.({ users: seen, pages, done: !nextLink });
    if (nextLink) next = guard.check(nextLink, "@odata.nextLink", pages, `delta page ${pages}`);
    else if (newDelta) {
      // Checked now although it is only saved: the next run would follow it with the token.
      const checked = checkGraphLink(conn.baseUrl, newDelta);
      if ("problem" in checked) {
        throw new GapInputError(
          graphSourceName(conn),
          `@odata.deltaLink of delta page ${pages} ${checked.problem}; it was not saved`,
          "Graph links only to itself: check the Graph endpoint setting and anything between syncgap and Graph that could rewrite its answers",
        );
      }
      return { changes, deltaLink: checked.href, pages };
    } else
      throw new GapInputError(graphSourceName(conn), `${what} returned neither @odata.nextLink nor @odata.deltaLink`);
  }
  throw new Error("unreachable");
}

/**
 * Folds delta entries into a snapshot of synced users (in place). A changed user carries every selected property
 * that has a value: absent means unchanged for a known user and never set (null) for a new one. `@removed` and
 * users that are no longer synced leave the snapshot.
 */
export function applyDelta(
  conn: GraphConnection,
  users: Map<string, EntraUser>,
  changes: Record<string, unknown>[],
): void {
  changes.forEach((raw, i) => {
    const id = raw.id as string;
    if (Object.hasOwn(raw, "@removed")) {
      users.delete(id);
      return;
    }
    const prior = users.get(id);
    const merged: Record<string, unknown> = prior ? { ...prior, ...raw } : raw;
    if (!prior) for (const p of ENTRA_SELECT) if (!(p in merged)) merged[p] = null;
    const u = checkUser(conn, merged, `delta entry ${i}`);
    if (u.onPremisesSyncEnabled === true) users.set(id, u);
    else users.delete(id);
  });
}
