/**
 * `/users`: list (paging in creation order or by `$orderby`, `$filter`, `$count`), `$count`, get and update
 * (https://learn.microsoft.com/graph/api/user-list, …/user-get, …/user-update). The user store itself is
 * emulator/users.ts; `/users/delta` is ./usersDelta.ts.
 */
import { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "../directoryRoles";
import { badRequest, forbidden, unsupportedQuery } from "../errors";
import { parseFilter } from "../odata/filterParser";
import { advancedQueryRequired, parseSelect, parseTop } from "../odata/queryOptions";
import { compileUserFilter } from "../odata/userFilter";
import type { EmulatorState } from "../state";
import type { Tenant } from "../tenant";
import type { AccessTokenClaims } from "../tokens";
import {
  canonicalUserProp,
  checkUserValue,
  DEFAULT_USER_SELECT,
  projectUser,
  USER_PROP_NAMES,
  USER_PROPS,
  type UserRecord,
} from "../users";
import { hasAny, isApp, scopesOf } from "./caller";
import {
  checkQueryOptions,
  decodeToken,
  encodeToken,
  expiredPageToken,
  type GraphRequest,
  type GraphResponse,
  header,
  metadataContext,
  nextLink,
  notFound,
  type RouteDef,
  requireObjectBody,
  selectFragment,
  unknownProperty,
} from "./request";

const KNOWN_USER_PROPS = new Set(USER_PROP_NAMES);
const PAGE_DEFAULT = 100;

export function requireUsersRead(c: AccessTokenClaims): void {
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

export const USER_ROUTES: RouteDef[] = [
  { pattern: ["users"], name: "users", methods: { GET: listUsers } },
  { pattern: ["users", "$count"], name: "users/$count", methods: { GET: countUsers } },
  { pattern: ["users", ":id"], name: "users/{id}", methods: { GET: getUser, PATCH: patchUser } },
];
