/**
 * Microsoft Graph v1.0 routes of the local tenant: users (list, get, update, delta), the tenant's
 * onPremisesSynchronization object, organization, and `$batch`. Shapes follow Microsoft's OpenAPI description of
 * v1.0 (test/fixtures/graph-openapi); behaviours cite Microsoft Learn where they come from.
 */
import { type AuditActor, getDirectoryAudit, listDirectoryAudits, requireAuditRead } from "./audit";
import { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "./directoryRoles";
import { badRequest, forbidden, GraphError, unsupportedQuery } from "./errors";
import { advancedQueryRequired, compileUserFilter, parseFilter, parseSelect, parseTop } from "./odata";
import { type DeletionPreventionType, FEATURE_NAMES, type SyncConfiguration } from "./seed";
import type { EmulatorState } from "./state";
import type { Tenant } from "./tenant";
import type { AccessTokenClaims } from "./tokens";
import {
  canonicalUserProp,
  changeSeqOf,
  checkUserValue,
  DEFAULT_USER_SELECT,
  isTombstone,
  projectUser,
  USER_PROP_NAMES,
  USER_PROPS,
  type UserRecord,
} from "./users";

export interface GraphRequest {
  method: string;
  /** Decoded path segments after `/v1.0`. */
  segments: string[];
  query: Record<string, string>;
  /** The raw query string (without `?`), to build nextLinks. */
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  claims: AccessTokenClaims;
  origin: string;
}

export interface GraphResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (
  state: EmulatorState,
  req: GraphRequest,
  params: string[],
) => Promise<GraphResponse> | GraphResponse;

export interface RouteDef {
  pattern: string[];
  /** Route name (used for request costs). */
  name: string;
  methods: Record<string, Handler>;
}

const KNOWN_USER_PROPS = new Set(USER_PROP_NAMES);
const PAGE_DEFAULT = 100;
const DELTA_PAGE_DEFAULT = 100;

// ---------------------------------------------------------------------------------------------------------------
// Permissions (https://learn.microsoft.com/graph/permissions-reference and each API's permission table)

export function isApp(c: AccessTokenClaims): boolean {
  return c.idtyp === "app" || c.scp === undefined;
}

export function hasAny(have: string[] | undefined, want: string[]): boolean {
  if (!have) return false;
  const lower = new Set(have.map((h) => h.toLowerCase()));
  return want.some((w) => lower.has(w.toLowerCase()));
}

export function scopesOf(c: AccessTokenClaims): string[] {
  return (c.scp ?? "").split(" ").filter(Boolean);
}

function requireUsersRead(c: AccessTokenClaims): void {
  const ok = isApp(c)
    ? hasAny(c.roles, ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"])
    : hasAny(scopesOf(c), [
        "User.ReadBasic.All",
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
        "Directory.AccessAsUser.All",
      ]);
  if (!ok) throw forbidden();
}

/** Admin roles that may change another user's phone numbers in delegated calls. */
const PHONE_ADMIN_ROLES = [
  GLOBAL_ADMINISTRATOR,
  ROLE_TEMPLATES["User Administrator"],
  ROLE_TEMPLATES["Privileged Authentication Administrator"],
  ROLE_TEMPLATES["Authentication Administrator"],
];

function requireUsersWrite(c: AccessTokenClaims, target: UserRecord, body: Record<string, unknown>): void {
  if (isApp(c)) {
    if (!hasAny(c.roles, ["User.ReadWrite.All", "Directory.ReadWrite.All"])) throw forbidden();
    return;
  }
  if (!hasAny(scopesOf(c), ["User.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]))
    throw forbidden();
  // https://learn.microsoft.com/graph/api/user-update: updating another user's phone numbers needs an admin role.
  const phones = "mobilePhone" in body || "businessPhones" in body;
  if (phones && target.data.id !== c.oid && !hasAny(c.wids, PHONE_ADMIN_ROLES)) throw forbidden();
}

/**
 * onPremisesDirectorySynchronization permissions.
 * - App-only: application OnPremDirectorySynchronization.Read.All (GET) or .ReadWrite.All (GET, PATCH). Microsoft's
 *   permission files list them (microsoft-graph-docs PR 22337) and they work in Entra today, though the rendered pages
 *   (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get, …-update) still say "Not supported";
 *   the tenant option allowAppOnlyOnPremSync: false models those pages.
 * - Delegated: the same scopes and a role that holds the object's permission. The Graph pages name only Global
 *   Administrator; the Entra role reference
 *   (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#hybrid-identity-administrator,
 *   …#global-reader) gives Hybrid Identity Administrator read and update and Global Reader read.
 * A denial is Graph's 403 Authorization_RequestDenied "Insufficient privileges to complete the operation." as it is:
 * Graph does not name the missing permission or role, so neither does the emulator (naming it is the client's job).
 */
const ONPREM_SYNC_READ_ROLES = [
  GLOBAL_ADMINISTRATOR,
  ROLE_TEMPLATES["Hybrid Identity Administrator"],
  ROLE_TEMPLATES["Global Reader"],
];
const ONPREM_SYNC_WRITE_ROLES = [GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES["Hybrid Identity Administrator"]];

function requireOnPremSync(state: EmulatorState, c: AccessTokenClaims, write: boolean): void {
  const perms = write
    ? ["OnPremDirectorySynchronization.ReadWrite.All"]
    : ["OnPremDirectorySynchronization.Read.All", "OnPremDirectorySynchronization.ReadWrite.All"];
  if (isApp(c)) {
    if (!state.tenant.options.allowAppOnlyOnPremSync || !hasAny(c.roles, perms)) throw forbidden();
    return;
  }
  const roles = write ? ONPREM_SYNC_WRITE_ROLES : ONPREM_SYNC_READ_ROLES;
  if (!hasAny(scopesOf(c), perms) || !hasAny(c.wids, roles)) throw forbidden();
}

/** https://learn.microsoft.com/graph/api/organization-list (permissions table). */
function requireOrganizationRead(c: AccessTokenClaims): void {
  const ok = isApp(c)
    ? hasAny(c.roles, [
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
      ])
    : hasAny(scopesOf(c), [
        "User.Read",
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
        "Directory.AccessAsUser.All",
      ]);
  if (!ok) throw forbidden();
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function header(req: GraphRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function notFound(key: string): GraphError {
  return new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function checkQueryOptions(req: GraphRequest, allowed: string[]): void {
  for (const k of Object.keys(req.query)) {
    if (!k.startsWith("$")) continue;
    if (k === "$skip") throw badRequest("'$skip' is not supported by the service.", "Request_BadRequest");
    if (!allowed.includes(k)) throw badRequest(`The query parameter '${k}' is not supported.`);
  }
}

function encodeToken(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString("base64url");
}

function decodeToken<T>(raw: string, what: string): T {
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (v && typeof v === "object") return v as T;
  } catch {
    /* fall through */
  }
  throw badRequest(`Invalid ${what} value.`, "Request_BadRequest");
}

function expiredPageToken(): GraphError {
  return new GraphError(
    400,
    "Directory_ExpiredPageToken",
    "The specified page token value has expired and can no longer be included in your request.",
  );
}

/** Rebuilds the request URL with the query options kept and `$skiptoken` replaced. */
function nextLink(req: GraphRequest, path: string, token: string, keep = true): string {
  const parts = keep ? req.rawQuery.split("&").filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p)) : [];
  parts.push(`$skiptoken=${token}`);
  return `${req.origin}/v1.0/${path}?${parts.join("&")}`;
}

export function metadataContext(req: GraphRequest, fragment: string): string {
  return `${req.origin}/v1.0/$metadata#${fragment}`;
}

function selectFragment(select: string[] | undefined): string {
  return select ? `(${select.join(",")})` : "";
}

// ---------------------------------------------------------------------------------------------------------------
// /users

interface UsersPageToken {
  g: string;
  /** seq of the last user returned (creation-order paging). */
  a?: number;
  /** snapshot id and offset ($orderby paging). */
  s?: string;
  o?: number;
  /** @odata.count computed on the first page. */
  c?: number;
}

interface Snapshot {
  recs: UserRecord[];
  created: number;
}

const snapshots = new WeakMap<EmulatorState, Map<string, Snapshot>>();
const SNAPSHOT_TTL_MS = 10 * 60_000;
const SNAPSHOT_MAX = 16;

function snapshotStore(state: EmulatorState): Map<string, Snapshot> {
  let m = snapshots.get(state);
  if (!m) {
    m = new Map();
    snapshots.set(state, m);
  }
  const now = Date.now();
  for (const [k, v] of m) if (now - v.created > SNAPSHOT_TTL_MS) m.delete(k);
  while (m.size > SNAPSHOT_MAX) m.delete(m.keys().next().value as string);
  return m;
}

function parseOrderBy(raw: string): { prop: string; desc: boolean } {
  const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!m) throw badRequest(`Invalid $orderby clause '${raw}'. Sorting by one property is supported.`);
  const prop = canonicalUserProp(m[1]);
  if (!prop) throw badRequest(`Could not find a property named '${m[1]}' on type 'microsoft.graph.user'.`);
  return { prop, desc: (m[2] ?? "asc").toLowerCase() === "desc" };
}

function listUsers(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireUsersRead(req.claims);
  checkQueryOptions(req, ["$select", "$filter", "$top", "$count", "$orderby", "$skiptoken", "$search", "$expand"]);
  const tenant = state.tenant;
  const store = tenant.users;
  const q = req.query;
  const eventual = (header(req, "consistencylevel") ?? "").toLowerCase() === "eventual";
  const countRaw = q.$count;
  if (countRaw !== undefined && !/^(true|false)$/i.test(countRaw)) {
    throw badRequest(`Invalid value '${countRaw}' for $count query option found. Valid values are 'true' and 'false'.`);
  }
  // $count=true without ConsistencyLevel: eventual is ignored (https://learn.microsoft.com/graph/aad-advanced-queries,
  // "Error handling for advanced queries").
  const wantCount = countRaw?.toLowerCase() === "true";
  const advancedOk = eventual && wantCount;
  if (q.$expand !== undefined) throw unsupportedQuery("$expand is not supported by the local tenant emulator.");
  if (q.$search !== undefined) {
    if (!eventual) {
      throw unsupportedQuery(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
    }
    throw unsupportedQuery("$search is not supported by the local tenant emulator.");
  }

  const select = parseSelect(q.$select, canonicalUserProp, "microsoft.graph.user");
  const props = select ?? DEFAULT_USER_SELECT;
  const top = parseTop(q.$top) ?? PAGE_DEFAULT;
  let test: ((u: Record<string, unknown>) => boolean) | undefined;
  if (q.$filter !== undefined) {
    const compiled = compileUserFilter(parseFilter(q.$filter), KNOWN_USER_PROPS, canonicalUserProp);
    if (compiled.advanced.length && !advancedOk) throw advancedQueryRequired(compiled.advanced[0]);
    test = compiled.test;
  }
  let order: { prop: string; desc: boolean } | undefined;
  if (q.$orderby !== undefined) {
    order = parseOrderBy(q.$orderby);
    // https://learn.microsoft.com/graph/aad-advanced-queries#support-for-sorting-by-properties-of-microsoft-entra-id-directory-objects
    const byDefault = order.prop === "displayName" || order.prop === "userPrincipalName";
    const byAdvanced = byDefault || order.prop === "createdDateTime";
    if (!byAdvanced) throw unsupportedQuery(`Sorting by '${order.prop}' is not supported for resource 'User'.`);
    if ((!byDefault || test) && !advancedOk) throw advancedQueryRequired("$orderby");
  }

  let token: UsersPageToken | undefined;
  if (q.$skiptoken !== undefined) {
    token = decodeToken<UsersPageToken>(q.$skiptoken, "$skiptoken");
    if (token.g !== store.generation) throw expiredPageToken();
  }

  const page: UserRecord[] = [];
  let next: UsersPageToken | undefined;
  let count: number | undefined;

  if (order) {
    const snaps = snapshotStore(state);
    let snapId = token?.s;
    let snap = snapId ? snaps.get(snapId) : undefined;
    if (token && !snap) throw expiredPageToken();
    if (!snap) {
      const recs = test ? store.list.filter((r) => test(r.data)) : store.list.slice();
      const { prop, desc } = order;
      const key = (r: UserRecord) => {
        const v = r.data[prop];
        return typeof v === "string" ? v.toLowerCase() : "";
      };
      recs.sort((x, y) => {
        const a = key(x);
        const b = key(y);
        return (a < b ? -1 : a > b ? 1 : x.seq - y.seq) * (desc ? -1 : 1);
      });
      snapId = Math.random().toString(36).slice(2, 10);
      snap = { recs, created: Date.now() };
      snaps.set(snapId, snap);
    }
    let i = token?.o ?? 0;
    while (i < snap.recs.length && page.length < top) {
      const r = snap.recs[i++];
      if (store.byId.get(r.data.id) === r) page.push(r);
    }
    if (i < snap.recs.length) next = { g: store.generation, s: snapId, o: i };
    if (wantCount && advancedOk) count = token?.c ?? snap.recs.length;
  } else {
    const list = store.list;
    let i = token?.a !== undefined ? store.indexAfter(token.a) : 0;
    while (i < list.length && page.length < top) {
      const r = list[i++];
      if (!test || test(r.data)) page.push(r);
    }
    // is there one more?
    let more = false;
    while (i < list.length) {
      if (!test || test(list[i].data)) {
        more = true;
        break;
      }
      i++;
    }
    if (more && page.length) next = { g: store.generation, a: page[page.length - 1].seq };
    if (wantCount && advancedOk) {
      if (token?.c !== undefined) count = token.c;
      else if (!test) count = list.length;
      else {
        let n = 0;
        for (const r of list) if (test(r.data)) n++;
        count = n;
      }
    }
  }

  const body: Record<string, unknown> = { "@odata.context": metadataContext(req, `users${selectFragment(select)}`) };
  if (count !== undefined) body["@odata.count"] = count;
  body.value = page.map((r) => projectUser(r.data, props));
  if (next) {
    if (count !== undefined) next.c = count;
    body["@odata.nextLink"] = nextLink(req, "users", encodeToken(next));
  }
  return { status: 200, body };
}

/**
 * `GET /users/$count` (https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects):
 * an advanced query, so it needs `ConsistencyLevel: eventual`; without it Graph answers 400 Request_BadRequest
 * "$count is not currently supported.". The answer is the number as text/plain; `$filter` (advanced operators
 * included) narrows it.
 */
function countUsers(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireUsersRead(req.claims);
  checkQueryOptions(req, ["$filter", "$search"]);
  const eventual = (header(req, "consistencylevel") ?? "").toLowerCase() === "eventual";
  if (!eventual) throw badRequest("$count is not currently supported.", "Request_BadRequest");
  if (req.query.$search !== undefined) throw unsupportedQuery("$search is not supported by the local tenant emulator.");
  const list = state.tenant.users.list;
  let n = list.length;
  if (req.query.$filter !== undefined) {
    const { test } = compileUserFilter(parseFilter(req.query.$filter), KNOWN_USER_PROPS, canonicalUserProp);
    n = 0;
    for (const r of list) if (test(r.data)) n++;
  }
  return { status: 200, body: String(n), headers: { "content-type": "text/plain; charset=utf-8" } };
}

function findUser(tenant: Tenant, key: string): UserRecord {
  const rec = tenant.users.find(key);
  if (!rec) throw notFound(key);
  return rec;
}

function getUser(state: EmulatorState, req: GraphRequest, [key]: string[]): GraphResponse {
  requireUsersRead(req.claims);
  checkQueryOptions(req, ["$select", "$expand"]);
  if (req.query.$expand !== undefined) throw unsupportedQuery("$expand is not supported by the local tenant emulator.");
  const rec = findUser(state.tenant, key);
  const select = parseSelect(req.query.$select, canonicalUserProp, "microsoft.graph.user");
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, `users${selectFragment(select)}/$entity`),
      ...projectUser(rec.data, select ?? DEFAULT_USER_SELECT),
    },
  };
}

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest(
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  return body as Record<string, unknown>;
}

export function unknownProperty(name: string, type: string): GraphError {
  return badRequest(
    `The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
}

/**
 * PATCH /users/{id}: 204. On synced users, on-premises-mastered properties are refused, except mobilePhone, whose cloud
 * edit records a DirSync override (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides).
 */
function patchUser(state: EmulatorState, req: GraphRequest, [key]: string[]): GraphResponse {
  const tenant = state.tenant;
  const rec = findUser(tenant, key);
  const body = requireObjectBody(req.body);
  requireUsersWrite(req.claims, rec, body);
  const synced = rec.data.onPremisesSyncEnabled === true;
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === "@odata.type") continue;
    const def = USER_PROPS[name];
    if (!def) throw unknownProperty(name, "microsoft.graph.user");
    if (def.readOnly) throw badRequest(`Property '${name}' is read-only and cannot be set.`, "Request_BadRequest");
    if (synced && def.onPremMastered && name !== "mobilePhone") {
      throw badRequest(
        "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
        "Request_BadRequest",
      );
    }
    checkUserValue(name, value);
    patch[name] = value;
  }
  if (typeof patch.userPrincipalName === "string") {
    const upn = patch.userPrincipalName;
    const domain = upn.slice(upn.lastIndexOf("@") + 1);
    if (!upn.includes("@") || !tenant.isVerifiedDomain(domain)) {
      throw badRequest(
        `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.`,
        "Request_BadRequest",
      );
    }
    if (tenant.users.upnTaken(upn, rec)) {
      throw badRequest(
        "Another object with the same value for property userPrincipalName already exists.",
        "Request_BadRequest",
      );
    }
  }
  const before = rec.data.mobilePhone;
  tenant.users.update(rec, patch);
  if (synced && "mobilePhone" in patch && patch.mobilePhone !== before && !rec.dirSyncOverride) {
    rec.dirSyncOverride = true;
  }
  return { status: 204 };
}

// ---------------------------------------------------------------------------------------------------------------
// /users/delta (https://learn.microsoft.com/graph/api/user-delta)

interface DeltaToken {
  g: string;
  /** deltaEpoch of the store when the round began (a synchronization reset bumps it). */
  e?: number;
  /** When the round's first request was served (emulator clock, ms): tokens live deltaTokenLifetimeSeconds from it. */
  t?: number;
  /** Changes after this counter value belong to the round. */
  since: number;
  /** Round upper bound (counter value when the round started). */
  upto?: number;
  /** Last change delivered in this round. */
  after?: number;
  sel: string[] | null;
  /** Page size asked with `Prefer: odata.maxpagesize` (kept for the round's nextLinks). */
  ps?: number;
  /** `$filter=id eq '…' or …`: the object ids the round tracks. */
  ids?: string[];
}

/** Learn's limit for `$filter` on user delta: "There is a limit of 50 filtered objects." */
const DELTA_FILTER_MAX = 50;

/**
 * `$filter` on users/delta: "The only supported $filter expression is for tracking changes on a specific object:
 * $filter=id+eq+{value}. You can filter multiple objects" (joined with `or`; at most 50)
 * (https://learn.microsoft.com/graph/api/user-delta#odata-query-parameters). `in (…)` is not documented there and is
 * refused, as anything else is.
 */
function deltaFilterIds(raw: string): string[] {
  const refused = () =>
    unsupportedQuery(
      "Unsupported query. The only supported $filter on users/delta is id eq '{id}', optionally joined with 'or'.",
    );
  const ids: string[] = [];
  const walk = (e: ReturnType<typeof parseFilter>) => {
    if (e.kind === "or") {
      walk(e.left);
      walk(e.right);
      return;
    }
    if (e.kind === "cmp" && e.op === "eq" && e.prop.toLowerCase() === "id" && typeof e.value === "string") {
      ids.push(e.value.toLowerCase());
      return;
    }
    throw refused();
  };
  walk(parseFilter(raw));
  if (ids.length > DELTA_FILTER_MAX) {
    throw badRequest(`Too many objects in the filter: ${ids.length}. The limit is ${DELTA_FILTER_MAX}.`);
  }
  return [...new Set(ids)];
}

function usersDelta(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireUsersRead(req.claims);
  checkQueryOptions(req, ["$select", "$deltatoken", "$skiptoken", "$filter"]);
  const store = state.tenant.users;
  const opts = state.tenant.options;
  const q = req.query;
  const now = state.now();
  let round: Required<Omit<DeltaToken, "ps" | "ids">> & { ps?: number; ids?: string[] };
  const given = q.$skiptoken ?? q.$deltatoken;
  if (given !== undefined && given.toLowerCase() === "latest" && q.$skiptoken === undefined) {
    // "Sync from now": a deltaLink and no resource data
    // (https://learn.microsoft.com/graph/delta-query-overview, "Use delta query to track changes in a resource collection").
    const sel = parseSelect(q.$select, canonicalUserProp, "microsoft.graph.user") ?? null;
    const ids = q.$filter !== undefined ? deltaFilterIds(q.$filter) : undefined;
    const token: DeltaToken = { g: store.generation, e: store.deltaEpoch, t: now, since: store.counter, sel, ids };
    return {
      status: 200,
      body: {
        "@odata.context": metadataContext(req, `users${selectFragment(sel ?? undefined)}`),
        value: [],
        "@odata.deltaLink": `${req.origin}/v1.0/users/delta?$deltatoken=${encodeToken(token)}`,
      },
    };
  }
  if (given !== undefined) {
    const t = decodeToken<DeltaToken>(given, q.$skiptoken !== undefined ? "$skiptoken" : "$deltatoken");
    if (t.g !== store.generation || (t.e ?? 0) !== store.deltaEpoch) {
      // "Synchronization reset": 410 Gone and a Location header with the initial query
      // (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset); the code is the one Graph's
      // error list gives for it, resyncRequired (https://learn.microsoft.com/graph/errors#code-property).
      const sel = t.sel ? `?$select=${t.sel.join(",")}` : "";
      throw new GraphError(
        410,
        "resyncRequired",
        "The delta token is no longer valid, and the app must reset the sync state.",
        {
          location: `${req.origin}/v1.0/users/delta${sel}`,
        },
      );
    }
    if (t.t !== undefined && now - t.t > opts.deltaTokenLifetimeSeconds * 1000) {
      // "For directory objects, the limit is seven days … the service should respond with a 40X-series error with
      // error codes such as syncStateNotFound" (https://learn.microsoft.com/graph/delta-query-overview#token-duration);
      // 400 BadRequest with this message since 2020 (devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources).
      const { status, code } = opts.deltaTokenExpiredError;
      throw new GraphError(
        status,
        code,
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
      );
    }
    const base = { g: t.g, e: store.deltaEpoch, t: t.t ?? now, since: t.since, sel: t.sel, ps: t.ps, ids: t.ids };
    round =
      q.$skiptoken !== undefined
        ? { ...base, upto: t.upto ?? store.counter, after: t.after ?? t.since }
        : // a new round from a deltaLink: its tokens live from now
          { ...base, t: now, upto: store.counter, after: t.since };
  } else {
    const sel = parseSelect(q.$select, canonicalUserProp, "microsoft.graph.user") ?? null;
    const ids = q.$filter !== undefined ? deltaFilterIds(q.$filter) : undefined;
    round = { g: store.generation, e: store.deltaEpoch, t: now, since: 0, upto: store.counter, after: 0, sel, ids };
  }
  const select = round.sel ? (round.sel.includes("id") ? round.sel : [...round.sel, "id"]) : [...DEFAULT_USER_SELECT];
  let pageSize = round.ps ?? DELTA_PAGE_DEFAULT;
  const prefer = header(req, "prefer");
  const m = prefer ? /odata\.maxpagesize=(\d+)/i.exec(prefer) : null;
  const headers: Record<string, string> = {};
  if (m) {
    pageSize = Math.min(999, Math.max(1, Number(m[1])));
    headers["preference-applied"] = `odata.maxpagesize=${pageSize}`;
  }
  round.ps = pageSize;
  const only = round.ids ? new Set(round.ids) : undefined;

  const value: Record<string, unknown>[] = [];
  let last = round.after;
  let more = false;
  for (const e of store.changes.values()) {
    const seq = changeSeqOf(e);
    if (seq <= round.after || seq > round.upto) continue;
    if (only && !only.has((isTombstone(e) ? e.id : e.data.id).toLowerCase())) continue;
    const removed = isTombstone(e);
    if (round.since === 0 && removed) continue;
    if (value.length >= pageSize) {
      more = true;
      break;
    }
    value.push(removed ? { id: e.id, "@removed": { reason: "changed" } } : projectUser(e.data, select));
    last = seq;
  }
  const body: Record<string, unknown> = {
    "@odata.context": metadataContext(req, `users${selectFragment(round.sel ?? undefined)}`),
    value,
  };
  if (more) {
    body["@odata.nextLink"] = `${req.origin}/v1.0/users/delta?$skiptoken=${encodeToken({ ...round, after: last })}`;
  } else {
    const next: DeltaToken = { g: round.g, e: round.e, t: round.t, since: round.upto, sel: round.sel, ps: round.ps };
    if (round.ids) next.ids = round.ids;
    body["@odata.deltaLink"] = `${req.origin}/v1.0/users/delta?$deltatoken=${encodeToken(next)}`;
  }
  return { status: 200, body, headers };
}

// ---------------------------------------------------------------------------------------------------------------
// /directory/onPremisesSynchronization

const SYNC_TYPE = "microsoft.graph.onPremisesDirectorySynchronization";
const FEATURE_TYPE = "microsoft.graph.onPremisesDirectorySynchronizationFeature";
const CONFIG_TYPE = "microsoft.graph.onPremisesDirectorySynchronizationConfiguration";
const ADP_TYPE = "microsoft.graph.onPremisesAccidentalDeletionPrevention";
const PREVENTION_TYPES = ["disabled", "enabledForCount", "enabledForPercentage", "unknownFutureValue"];

function conversionError(expected: string): GraphError {
  return badRequest(`Cannot convert the literal to the expected type '${expected}'.`);
}

/**
 * An instance or property annotation (`@odata.context`, `@odata.type`, `@odata.etag`, `features@odata.type`, …). A
 * client that PATCHes back what it read echoes them; OData services ignore annotations in a request body rather
 * than treat them as properties (OData JSON Format 4.01, §20 "Instance Annotations"), so the emulator skips them.
 * syncgap itself sends the strict form (test/emulator/sync-features.test.ts checks that).
 */
export function isAnnotation(key: string): boolean {
  return key.startsWith("@") || key.includes("@odata.");
}

/** The feature names this tenant knows: Microsoft's list, plus any the tenant options add (a newer Graph). */
export function knownFeatureNames(state: EmulatorState): string[] {
  return [
    ...FEATURE_NAMES,
    ...state.tenant.options.additionalFeatureNames.filter((f) => !FEATURE_NAMES.includes(f as never)),
  ];
}

/** The sync object as Graph shows it: every known feature present (false when never set). */
export function syncObjectView(state: EmulatorState): {
  id: string;
  configuration: SyncConfiguration;
  features: Record<string, boolean | null>;
} {
  const obj = state.tenant.syncObject();
  const stored = obj.features as Record<string, boolean | null>;
  const features = Object.fromEntries(knownFeatureNames(state).map((f) => [f, stored[f] ?? false]));
  return { ...obj, features };
}

/** Who the token names, for audit records. */
export function actorOf(state: EmulatorState, c: AccessTokenClaims): AuditActor {
  if (isApp(c)) {
    const app = state.tenant.getApp(c.appid);
    return {
      kind: "app",
      appId: c.appid,
      displayName: app?.displayName ?? c.app_displayname ?? null,
      servicePrincipalId: app?.servicePrincipalId ?? c.oid,
    };
  }
  const user = state.tenant.users.getById(c.oid);
  return {
    kind: "user",
    id: c.oid,
    displayName: (user?.data.displayName as string | null | undefined) ?? null,
    userPrincipalName: user?.data.userPrincipalName ?? c.upn ?? "",
  };
}

function listSync(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireOnPremSync(state, req.claims, false);
  checkQueryOptions(req, ["$select"]);
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, "directory/onPremisesSynchronization"),
      value: [syncObjectView(state)],
    },
  };
}

function syncById(state: EmulatorState, id: string) {
  if (id.toLowerCase() !== state.tenant.id) throw notFound(id);
  return syncObjectView(state);
}

function getSync(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOnPremSync(state, req.claims, false);
  checkQueryOptions(req, ["$select"]);
  const obj = syncById(state, id);
  return {
    status: 200,
    body: { "@odata.context": metadataContext(req, "directory/onPremisesSynchronization/$entity"), ...obj },
  };
}

/**
 * PATCH: 204 No Content (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-update). A partial
 * `features` object merges (the default: shared/docs/facts.md), or replaces the stored one whole (unsent booleans →
 * false) with the tenant option featuresPatchSemantics "replace", which catches a client that relies on merging.
 * `configuration` follows the same option. A change of the features writes the "Set DirSync feature" audit record.
 */
function patchSync(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOnPremSync(state, req.claims, true);
  const tenant = state.tenant;
  syncById(state, id);
  const body = requireObjectBody(req.body);
  const merge = tenant.options.featuresPatchSemantics === "merge";
  const known = new Set(knownFeatureNames(state));
  let features: Record<string, boolean | null> | undefined;
  let configuration: SyncConfiguration | undefined;
  for (const [name, value] of Object.entries(body)) {
    if (isAnnotation(name)) continue;
    if (name === "id") {
      if (value !== tenant.id)
        throw badRequest("The id of the onPremisesDirectorySynchronization object cannot be changed.");
      continue;
    }
    if (name === "features") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw conversionError(FEATURE_TYPE);
      const sent: Record<string, boolean | null> = {};
      for (const [f, v] of Object.entries(value as Record<string, unknown>)) {
        if (isAnnotation(f)) continue;
        if (!known.has(f)) throw unknownProperty(f, FEATURE_TYPE);
        if (v !== null && typeof v !== "boolean") throw conversionError("Edm.Boolean");
        sent[f] = v as boolean | null;
      }
      features = sent;
      continue;
    }
    if (name === "configuration") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw conversionError(CONFIG_TYPE);
      const cfg: SyncConfiguration = merge
        ? structuredClone(tenant.configuration)
        : { accidentalDeletionPrevention: null };
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (isAnnotation(k)) continue;
        if (k !== "accidentalDeletionPrevention") throw unknownProperty(k, CONFIG_TYPE);
        if (v === null) {
          cfg.accidentalDeletionPrevention = null;
          continue;
        }
        if (typeof v !== "object" || Array.isArray(v)) throw conversionError(ADP_TYPE);
        const out: { alertThreshold: number | null; synchronizationPreventionType: DeletionPreventionType } =
          merge && cfg.accidentalDeletionPrevention
            ? { ...cfg.accidentalDeletionPrevention }
            : { alertThreshold: null, synchronizationPreventionType: "disabled" };
        for (const [ak, av] of Object.entries(v as Record<string, unknown>)) {
          if (isAnnotation(ak)) continue;
          if (ak === "alertThreshold") {
            if (
              av !== null &&
              (typeof av !== "number" || !Number.isInteger(av) || av < -2147483648 || av > 2147483647)
            ) {
              throw conversionError("Edm.Int32");
            }
            out.alertThreshold = av as number | null;
          } else if (ak === "synchronizationPreventionType") {
            if (typeof av !== "string" || !PREVENTION_TYPES.includes(av)) {
              throw badRequest(
                `Requested value '${String(av)}' was not found in enum 'onPremisesDirectorySynchronizationDeletionPreventionType'.`,
              );
            }
            out.synchronizationPreventionType = av as DeletionPreventionType;
          } else {
            throw unknownProperty(ak, ADP_TYPE);
          }
        }
        cfg.accidentalDeletionPrevention = out;
      }
      configuration = cfg;
      continue;
    }
    throw unknownProperty(name, SYNC_TYPE);
  }
  if (features) {
    if (!merge) {
      // replace: every known feature not sent becomes false
      for (const f of known) if (!(f in features)) features[f] = false;
    }
    state.changeFeatures(features, actorOf(state, req.claims), !merge);
  }
  if (configuration) tenant.configuration = configuration;
  return { status: 204 };
}

// ---------------------------------------------------------------------------------------------------------------
// /auditLogs/directoryAudits (emulator/audit.ts)

function listAudits(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireAuditRead(req.claims);
  return { status: 200, body: listDirectoryAudits(state.audit, req) };
}

function getAudit(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireAuditRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, "auditLogs/directoryAudits/$entity"),
      ...getDirectoryAudit(state.audit, id),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// /organization

function listOrganization(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireOrganizationRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  const select = req.query.$select?.split(",").map((s) => s.trim());
  const org = state.tenant.organization();
  const value = select ? Object.fromEntries(select.filter((k) => k in org).map((k) => [k, org[k]])) : org;
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, `organization${select ? `(${select.join(",")})` : ""}`),
      value: [value],
    },
  };
}

function getOrganization(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOrganizationRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  if (id.toLowerCase() !== state.tenant.id) throw notFound(id);
  return {
    status: 200,
    body: { "@odata.context": metadataContext(req, "organization/$entity"), ...state.tenant.organization() },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Routing

export const ROUTES: RouteDef[] = [
  { pattern: ["users"], name: "users", methods: { GET: listUsers } },
  { pattern: ["users", "$count"], name: "users/$count", methods: { GET: countUsers } },
  { pattern: ["users", "delta"], name: "users/delta", methods: { GET: usersDelta } },
  { pattern: ["users", "delta()"], name: "users/delta", methods: { GET: usersDelta } },
  { pattern: ["users", "microsoft.graph.delta()"], name: "users/delta", methods: { GET: usersDelta } },
  { pattern: ["users", ":id"], name: "users/{id}", methods: { GET: getUser, PATCH: patchUser } },
  {
    pattern: ["directory", "onPremisesSynchronization"],
    name: "directory/onPremisesSynchronization",
    methods: { GET: listSync },
  },
  {
    pattern: ["directory", "onPremisesSynchronization", ":id"],
    name: "directory/onPremisesSynchronization/{id}",
    methods: { GET: getSync, PATCH: patchSync },
  },
  { pattern: ["auditLogs", "directoryAudits"], name: "auditLogs/directoryAudits", methods: { GET: listAudits } },
  {
    pattern: ["auditLogs", "directoryAudits", ":id"],
    name: "auditLogs/directoryAudits/{id}",
    methods: { GET: getAudit },
  },
  { pattern: ["organization"], name: "organization", methods: { GET: listOrganization } },
  { pattern: ["organization", ":id"], name: "organization/{id}", methods: { GET: getOrganization } },
  // $batch is handled by the server (it needs to inject sub-requests); listed here for routing and 405s.
  { pattern: ["$batch"], name: "$batch", methods: { POST: () => ({ status: 500 }) } },
];

export interface ResolvedRoute {
  route: RouteDef;
  params: string[];
  handler: Handler;
}

function segMatches(pattern: string, seg: string): boolean {
  return pattern.startsWith(":") || pattern.toLowerCase() === seg.toLowerCase();
}

/**
 * Finds the route for a method and path: unknown segment → 400 "Resource not found for the segment" (as Graph
 * answers), known path with another method → 405.
 */
export function resolveRoute(method: string, segments: string[], routes: RouteDef[] = ROUTES): ResolvedRoute {
  const ROUTES = routes;
  // Literal routes win over parameter routes (users/delta before users/{id}).
  const candidates = ROUTES.filter(
    (r) => r.pattern.length === segments.length && r.pattern.every((p, i) => segMatches(p, segments[i])),
  );
  candidates.sort(
    (a, b) => a.pattern.filter((p) => p.startsWith(":")).length - b.pattern.filter((p) => p.startsWith(":")).length,
  );
  const route = candidates[0];
  if (!route) {
    let depth = 0;
    while (
      depth < segments.length &&
      ROUTES.some(
        (r) => r.pattern.length > depth && r.pattern.slice(0, depth + 1).every((p, i) => segMatches(p, segments[i])),
      )
    ) {
      depth++;
    }
    const seg = segments[depth] ?? segments[segments.length - 1] ?? "";
    throw badRequest(`Resource not found for the segment '${seg}'.`);
  }
  const handler = route.methods[method];
  if (!handler) {
    throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", {
      allow: Object.keys(route.methods).join(", "),
    });
  }
  const params = route.pattern.flatMap((p, i) => (p.startsWith(":") ? [segments[i]] : []));
  return { route, params, handler };
}
