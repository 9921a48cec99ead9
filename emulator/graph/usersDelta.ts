/**
 * `/users/delta` (https://learn.microsoft.com/graph/api/user-delta): rounds of changes with nextLinks and a
 * deltaLink, `$deltatoken=latest`, `$filter` by id, `Prefer: odata.maxpagesize`, the synchronization reset (410)
 * and expired tokens.
 */
import { badRequest, GraphError, unsupportedQuery } from "../errors";
import { parseFilter } from "../odata/filterParser";
import { parseSelect } from "../odata/queryOptions";
import type { EmulatorState } from "../state";
import { canonicalUserProp, changeSeqOf, DEFAULT_USER_SELECT, isTombstone, projectUser } from "../users";
import {
  checkQueryOptions,
  decodeToken,
  encodeToken,
  type GraphRequest,
  type GraphResponse,
  header,
  metadataContext,
  type RouteDef,
  selectFragment,
} from "./request";
import { requireUsersRead } from "./users";

const DELTA_PAGE_DEFAULT = 100;

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

export const USERS_DELTA_ROUTES: RouteDef[] = [
  { pattern: ["users", "delta"], name: "users/delta", methods: { GET: usersDelta } },
  { pattern: ["users", "delta()"], name: "users/delta", methods: { GET: usersDelta } },
  { pattern: ["users", "microsoft.graph.delta()"], name: "users/delta", methods: { GET: usersDelta } },
];
