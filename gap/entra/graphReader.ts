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
 * Any page that fails ends the read with an error: a partial directory is never analysed.
 */
import type { GraphConnection } from "../../providers/graphClient";
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
  query?: Record<string, string>,
  headers?: Record<string, string>,
): Promise<unknown> {
  try {
    const req = conn.client.api(url);
    if (query) req.query(query);
    if (headers) req.headers(headers);
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
    const { value, page } = checkPage(conn, await get(conn, next, what, query), what);
    for (let i = 0; i < value.length; i++) {
      const u = checkUser(conn, value[i], `page ${pages + 1} /value/${i}`);
      if (isSynced(u)) users.push(u);
    }
    pages++;
    next = page["@odata.nextLink"];
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
  let next: string | undefined = deltaLink ?? "/users/delta";
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
    // Ask for large pages; Graph may ignore the preference (the default delta page is smaller), which only costs
    // more requests. The preference rides along in the links for later pages.
    const { value, page } = checkPage(
      conn,
      await get(conn, next, what, query, { Prefer: "odata.maxpagesize=999" }),
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
    if (nextLink) next = nextLink;
    else if (newDelta) return { changes, deltaLink: newDelta, pages };
    else
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
