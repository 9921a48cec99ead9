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
import { checkGraphLink, type GraphConnection } from "../../graph/client";
import { describeGraphError, permissionHint } from "../../graph/errors";
import { GapInputError } from "../errors";
import { EntraUsers } from "../records/entra";
import { EntraUsersById } from "../records/entraById";
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
    const err = describeGraphError(what, e, permissionHint("usersRead"));
    throw new GapInputError(graphSourceName(conn), err.message, undefined, { cause: e });
  }
}

/** Reads every synced user, packed as each page comes (../records/entra.ts). */
export async function readSyncedUsers(conn: GraphConnection, opts: GraphReadOptions = {}): Promise<EntraUsers> {
  const top = opts.pageSize ?? 999;
  const guard = new LinkGuard(conn, opts.maxPages ?? DEFAULT_MAX_PAGES);
  const users = new EntraUsers();
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
  /**
   * A round from a deltaLink: its entries, in order: users added or changed (only what Graph sent) and `@removed`
   * markers. Empty for an initial round, whose entries are applied as each page comes (`users`).
   */
  changes: Record<string, unknown>[];
  /** An initial round: the synced users it listed, packed as the pages came (a round can list the whole tenant). */
  users?: EntraUsersById;
  deltaLink: string;
  pages: number;
}

/**
 * Error codes that mean "this delta token is no good any more, start a new round". Graph's error list
 * (https://learn.microsoft.com/graph/errors#code-property) names `resyncRequired` ("The delta token is no longer
 * valid, and the app must reset the sync state") and `syncStateNotFound` ("The sync state generation is not found.
 * The delta token is expired and data must be synchronized again"), and as detailed inner codes
 * `resyncApplyDifferences` and `resyncUploadDifferences`; the delta overview says an expired token gets "a 40X-series
 * error with error codes such as syncStateNotFound" (https://learn.microsoft.com/graph/delta-query-overview#token-duration),
 * in practice 400 BadRequest for directory objects. `syncStateInvalid` and `badToken`-style codes are accepted too:
 * matching by substring keeps a variant spelling from being taken for a real failure.
 */
const RESYNC_CODES = ["resync", "syncstatenotfound", "syncstateinvalid", "badtoken", "invaliddeltatoken"];

function codesOf(err: { code?: unknown; body?: unknown } | undefined): string[] {
  const out: string[] = [];
  if (typeof err?.code === "string") out.push(err.code);
  let body = err?.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  // The top-level code and every nested innerError code ("apps should loop through all the error codes":
  // https://learn.microsoft.com/graph/errors#code-property).
  let node = (body as { error?: unknown } | undefined)?.error as
    | { code?: unknown; innerError?: unknown; innererror?: unknown }
    | undefined;
  for (let depth = 0; node && typeof node === "object" && depth < 10; depth++) {
    if (typeof node.code === "string") out.push(node.code);
    node = (node.innerError ?? node.innererror) as typeof node;
  }
  return out.map((c) => c.toLowerCase());
}

/**
 * Graph ended the saved delta round: 410 Gone (a "synchronization reset", with a Location header for the initial
 * query: https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset), or a 4xx whose code (or an inner
 * code) says the token expired or must be resynced. The caller starts a new round and says so in a note; anything
 * else stays an error.
 */
export function isDeltaResyncError(e: unknown): boolean {
  const cause = (e as { cause?: { statusCode?: number; code?: string; body?: unknown } })?.cause;
  const status = cause?.statusCode;
  if (status === 410) return true;
  if (status === undefined || status < 400 || status >= 500) return false;
  return codesOf(cause).some((c) => RESYNC_CODES.some((r) => c.includes(r)));
}

/**
 * Runs a delta round: from `deltaLink` (changes since then) or, without one, the initial round (every user). A
 * round's entries come back as Graph sent them, for applyDelta() to fold into the snapshot; an initial round's are
 * folded into a new set of users as each page comes. Entries that are not synced users
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
  const users = deltaLink === undefined ? new EntraUsersById() : undefined;
  let applied = 0;
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
    const kept = users ? [] : changes;
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
      kept.push(raw as Record<string, unknown>);
    }
    if (users) {
      applyDelta(conn, users, kept, applied);
      applied += kept.length;
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
      return { changes, ...(users ? { users } : {}), deltaLink: checked.href, pages };
    } else
      throw new GapInputError(graphSourceName(conn), `${what} returned neither @odata.nextLink nor @odata.deltaLink`);
  }
  throw new Error("unreachable");
}

/** What a read of the cloud-managed users found. */
export interface CloudManagedRead {
  /** Users whose source of authority is the cloud (`cloudManaged: true`), or unknown (`cloudManaged` undefined). */
  users: EntraUser[];
  /** Set when the beta check could not be made (no permission): the users are candidates, not confirmed. */
  unconfirmed?: string;
  requests: number;
}

const BATCH_MAX = 20;

/**
 * Users moved to cloud management, for the join to report as their own category (facts.md: they get no AD updates at
 * all, so a differing number there is not a DirSync override).
 *
 * What v1.0 shows of them (https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure,
 * "Status of attributes after you convert SOA"): `onPremisesSyncEnabled` becomes null, and the on-premises attributes
 * (onPremisesImmutableId, onPremisesSecurityIdentifier, …) stay. So `onPremisesSyncEnabled eq true` leaves them out,
 * and a cloud-only user looks the same except that it never had an anchor. Two steps, cheap for a large tenant:
 *
 * 1. `GET /users?$filter=onPremisesSyncEnabled ne true&$count=true` with `ConsistencyLevel: eventual` (`ne` needs
 *    advanced query, and no null comparison is offered on onPremisesImmutableId or onPremisesSyncEnabled:
 *    https://learn.microsoft.com/graph/aad-advanced-queries), keeping those with an on-premises anchor: the users that
 *    were synced and are not now. It pages through the tenant's cloud-only users, not the synced ones;
 * 2. for those only, beta `GET /users/{id}/onPremisesSyncBehavior?$select=isCloudManaged`, 20 to a `$batch`
 *    (https://learn.microsoft.com/graph/api/onpremisessyncbehavior-get?view=graph-rest-beta). It needs
 *    `User-OnPremisesSyncBehavior.ReadWrite.All`; without it (403) the candidates come back unconfirmed
 *    (`cloudManaged` undefined) with `unconfirmed` saying why.
 *
 * A candidate whose isCloudManaged is false (a rollback not yet taken over, a user out of sync scope) is not returned.
 */
export async function readCloudManagedUsers(
  conn: GraphConnection,
  opts: GraphReadOptions = {},
): Promise<CloudManagedRead> {
  const before = conn.stats.requests;
  const guard = new LinkGuard(conn, opts.maxPages ?? DEFAULT_MAX_PAGES);
  const candidates: EntraUser[] = [];
  let next: string | undefined = "/users";
  let query: Record<string, string> | undefined = {
    $filter: "onPremisesSyncEnabled ne true",
    $select: ENTRA_SELECT.join(","),
    $count: "true",
    $top: "999",
  };
  let pages = 0;
  while (next) {
    opts.signal?.throwIfAborted();
    const what = pages === 0 ? "GET /users (formerly synced users)" : `GET /users (formerly synced) page ${pages + 1}`;
    guard.allow(pages + 1, what);
    const { value, page } = checkPage(
      conn,
      await get(conn, next, what, opts.signal, query, { ConsistencyLevel: "eventual" }),
      what,
    );
    for (let i = 0; i < value.length; i++) {
      const u = checkUser(conn, value[i], `${what} /value/${i}`);
      if (u.onPremisesImmutableId || u.onPremisesSecurityIdentifier) candidates.push(u);
    }
    pages++;
    const link = page["@odata.nextLink"];
    next = link === undefined || link === null ? undefined : guard.check(link, "@odata.nextLink", pages, what);
    query = undefined;
  }
  if (!candidates.length) return { users: [], requests: conn.stats.requests - before };
  const beta = `${new URL(conn.baseUrl).origin}/beta`;
  const out: EntraUser[] = [];
  for (let i = 0; i < candidates.length; i += BATCH_MAX) {
    opts.signal?.throwIfAborted();
    const chunk = candidates.slice(i, i + BATCH_MAX);
    const what = `POST ${beta}/$batch (onPremisesSyncBehavior of ${chunk.length} users)`;
    let answer: { responses?: { id: string; status: number; body?: unknown }[] };
    try {
      const req = conn.client.api(`${beta}/$batch`);
      if (opts.signal) req.option("signal", opts.signal);
      answer = await req.post({
        requests: chunk.map((u, j) => ({
          id: String(j),
          method: "GET",
          url: `/users/${encodeURIComponent(u.id)}/onPremisesSyncBehavior?$select=isCloudManaged`,
        })),
      });
    } catch (e) {
      const err = describeGraphError(what, e, permissionHint("usersRead"));
      throw new GapInputError(graphSourceName(conn), err.message, undefined, { cause: e });
    }
    const byId = new Map((answer?.responses ?? []).map((r) => [String(r.id), r]));
    for (let j = 0; j < chunk.length; j++) {
      const r = byId.get(String(j));
      if (!r) throw new GapInputError(graphSourceName(conn), `${what}: no answer for ${chunk[j].userPrincipalName}`);
      if (r.status === 403) {
        return {
          users: candidates.map((u) => ({ ...u, cloudManaged: undefined })),
          unconfirmed:
            `${candidates.length} users were synced and are not any more (onPremisesSyncEnabled not true, an on-premises anchor kept), ` +
            "which is what a move to cloud management looks like; confirming it (beta onPremisesSyncBehavior) needs User-OnPremisesSyncBehavior.ReadWrite.All",
          requests: conn.stats.requests - before,
        };
      }
      if (r.status !== 200) {
        throw new GapInputError(
          graphSourceName(conn),
          `${what}: HTTP ${r.status} for ${chunk[j].userPrincipalName}: ${JSON.stringify(r.body).slice(0, 300)}`,
          "no verdict is drawn from partial data: run again; if it persists, check the beta endpoint is reachable",
        );
      }
      const managed = (r.body as { isCloudManaged?: unknown } | undefined)?.isCloudManaged;
      if (typeof managed !== "boolean") {
        throw new GapInputError(graphSourceName(conn), `${what}: no isCloudManaged for ${chunk[j].userPrincipalName}`);
      }
      if (managed) out.push({ ...chunk[j], cloudManaged: true });
    }
  }
  return { users: out, requests: conn.stats.requests - before };
}

/**
 * Folds delta entries into a snapshot of synced users (in place). A changed user carries every selected property
 * that has a value: absent means unchanged for a known user and never set (null) for a new one. `@removed` and
 * users that are no longer synced leave the snapshot.
 */
export function applyDelta(
  conn: GraphConnection,
  users: EntraUsersById,
  changes: readonly Record<string, unknown>[],
  first = 0,
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
    const u = checkUser(conn, merged, `delta entry ${first + i}`);
    if (u.onPremisesSyncEnabled === true) users.set(u);
    else users.delete(id);
  });
}
