/**
 * Directory audit log of the local tenant: the records Entra writes when the tenant's sync features change, and
 * `GET /v1.0/auditLogs/directoryAudits` (https://learn.microsoft.com/graph/api/directoryaudit-list).
 *
 * What a record holds follows Microsoft's description (test/fixtures/graph-openapi/graph-v1.0-auditlogs-subset.json):
 * activity "Set DirSync feature", category DirectoryManagement, service Core Directory
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities), the initiating user or
 * app, and `targetResources[0].modifiedProperties` named "DirSyncFeatures" with the old and new features. That name
 * comes from public detection queries, not from a Learn page; the old/new value format (JSON of the features object
 * here) is not documented at all, so readers must not rely on it (shared/docs/facts.md, "Audit evidence").
 */
import { randomUUID } from "node:crypto";
import { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "./directoryRoles";
import { badRequest, forbidden, GraphError } from "./errors";
import { type FilterExpr, type Literal, parseFilter } from "./odata/filterParser";
import type { AccessTokenClaims } from "./tokens";

export interface DirectoryAudit {
  id: string;
  category: string;
  correlationId: string;
  result: "success" | "failure" | "timeout";
  resultReason: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  operationType: string;
  initiatedBy: {
    user: { id: string; displayName: string | null; userPrincipalName: string; ipAddress: string | null } | null;
    app: {
      appId: string;
      displayName: string | null;
      servicePrincipalId: string;
      servicePrincipalName: string | null;
    } | null;
  };
  targetResources: {
    id: string;
    displayName: string | null;
    type: string;
    userPrincipalName: string | null;
    modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
  }[];
  additionalDetails: { key: string; value: string }[];
}

/** Who made a change, as the audit record names them. */
export type AuditActor =
  | { kind: "user"; id: string; displayName: string | null; userPrincipalName: string }
  | { kind: "app"; appId: string; displayName: string | null; servicePrincipalId: string };

export const SET_DIRSYNC_FEATURE = "Set DirSync feature";

function initiator(actor: AuditActor): DirectoryAudit["initiatedBy"] {
  return actor.kind === "user"
    ? {
        user: {
          id: actor.id,
          displayName: actor.displayName,
          userPrincipalName: actor.userPrincipalName,
          ipAddress: "127.0.0.1",
        },
        app: null,
      }
    : {
        user: null,
        app: {
          appId: actor.appId,
          displayName: actor.displayName,
          servicePrincipalId: actor.servicePrincipalId,
          servicePrincipalName: null,
        },
      };
}

/** The records, newest last; `clock` gives the emulator's (advanceable) time. */
export class AuditLog {
  readonly records: DirectoryAudit[] = [];
  constructor(private readonly clock: () => number) {}

  clear(): void {
    this.records.length = 0;
  }

  /**
   * Records a change of a user's source of authority: activity "Change Source of Authority from AD to cloud" or, back,
   * "Undo changes to Source of Authority from AD DS to cloud" (the names the SOA how-to tells admins to look for:
   * https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure). The category is not
   * documented; UserManagement is a guess.
   */
  sourceOfAuthorityChanged(
    actor: AuditActor,
    user: { id: string; userPrincipalName: string },
    cloud: boolean,
  ): DirectoryAudit {
    const rec = this.base(
      cloud ? "Change Source of Authority from AD to cloud" : "Undo changes to Source of Authority from AD DS to cloud",
      "UserManagement",
      actor,
    );
    rec.targetResources = [
      {
        id: user.id,
        displayName: null,
        type: "User",
        userPrincipalName: user.userPrincipalName,
        modifiedProperties: [
          { displayName: "IsCloudManaged", oldValue: JSON.stringify(!cloud), newValue: JSON.stringify(cloud) },
        ],
      },
    ];
    this.records.push(rec);
    return rec;
  }

  private base(activity: string, category: string, actor: AuditActor): DirectoryAudit {
    return {
      id: `Directory_${randomUUID()}`,
      category,
      correlationId: randomUUID(),
      result: "success",
      resultReason: "",
      activityDisplayName: activity,
      activityDateTime: new Date(this.clock()).toISOString(),
      loggedByService: "Core Directory",
      operationType: "Update",
      initiatedBy: initiator(actor),
      targetResources: [],
      additionalDetails: [],
    };
  }

  /** Records a change of the tenant's sync features (old and new as the whole features objects). */
  dirSyncFeaturesChanged(
    tenantId: string,
    actor: AuditActor,
    oldFeatures: Record<string, unknown>,
    newFeatures: Record<string, unknown>,
  ): DirectoryAudit {
    const rec = this.base(SET_DIRSYNC_FEATURE, "DirectoryManagement", actor);
    rec.targetResources = [
      {
        id: tenantId,
        displayName: null,
        type: "Company",
        userPrincipalName: null,
        modifiedProperties: [
          {
            displayName: "DirSyncFeatures",
            oldValue: JSON.stringify(oldFeatures),
            newValue: JSON.stringify(newFeatures),
          },
        ],
      },
    ];
    this.records.push(rec);
    return rec;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GET /auditLogs/directoryAudits

/** Roles Learn names for delegated reads of audit logs (includes/rbac-for-apis/rbac-directoryaudit-apis.md). */
const AUDIT_READER_ROLES = [
  "4a5d8f65-41da-4de4-8968-e035b65339cf", // Reports Reader
  "5d6b6bb7-de71-4623-b4af-96380a352509", // Security Reader
  "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
  ROLE_TEMPLATES["Global Reader"],
  GLOBAL_ADMINISTRATOR,
];

function lowerSet(v: string[] | undefined): Set<string> {
  return new Set((v ?? []).map((s) => s.toLowerCase()));
}

/**
 * https://learn.microsoft.com/graph/api/directoryaudit-list#permissions: least privileged is "AuditLog.Read.All and
 * Directory.Read.All", delegated or application; delegated also needs a role such as Reports Reader. The emulator
 * asks for both permissions, the strict reading, so a client that passes here does not fail in Entra.
 */
export function requireAuditRead(c: AccessTokenClaims): void {
  const app = c.idtyp === "app" || c.scp === undefined;
  const have = app ? lowerSet(c.roles) : lowerSet((c.scp ?? "").split(" ").filter(Boolean));
  const audit = have.has("auditlog.read.all");
  const dir = ["directory.read.all", "directory.readwrite.all"].some((p) => have.has(p));
  if (!audit || !dir) throw forbidden();
  if (!app && !(c.wids ?? []).some((w) => AUDIT_READER_ROLES.includes(w.toLowerCase()))) throw forbidden();
}

type Test = (r: DirectoryAudit) => boolean;

const FILTERABLE: Record<string, "string" | "datetime"> = {
  activityDisplayName: "string",
  category: "string",
  loggedByService: "string",
  activityDateTime: "datetime",
  correlationId: "string",
  id: "string",
};

function timeOf(v: Literal, where: string): number {
  const text = typeof v === "object" && v !== null ? v.dateTime : typeof v === "string" ? v : undefined;
  const t = text === undefined ? Number.NaN : Date.parse(text);
  if (Number.isNaN(t)) throw badRequest(`Invalid filter clause: '${where}' needs a date-time value.`);
  return t;
}

/** `$filter` over the record properties Learn lists: eq on strings, eq/ge/le/gt/lt on activityDateTime, `and`/`or`. */
export function compileAuditFilter(text: string): Test {
  const walk = (e: FilterExpr): Test => {
    if (e.kind === "and") {
      const l = walk(e.left);
      const r = walk(e.right);
      return (x) => l(x) && r(x);
    }
    if (e.kind === "or") {
      const l = walk(e.left);
      const r = walk(e.right);
      return (x) => l(x) || r(x);
    }
    if (e.kind === "fn" && e.name === "startswith") {
      const prop = Object.keys(FILTERABLE).find((p) => p.toLowerCase() === e.prop.toLowerCase());
      if (!prop || FILTERABLE[prop] !== "string")
        throw badRequest(`Invalid filter clause: cannot filter on '${e.prop}'.`);
      const want = e.value.toLowerCase();
      return (x) =>
        String(x[prop as keyof DirectoryAudit])
          .toLowerCase()
          .startsWith(want);
    }
    if (e.kind !== "cmp") throw badRequest("Invalid filter clause: the operator is not supported for directoryAudit.");
    const prop = Object.keys(FILTERABLE).find((p) => p.toLowerCase() === e.prop.toLowerCase());
    if (!prop)
      throw badRequest(
        `Invalid filter clause: Could not find a property named '${e.prop}' on type 'microsoft.graph.directoryAudit'.`,
      );
    if (FILTERABLE[prop] === "datetime") {
      const t = timeOf(e.value, prop);
      const get = (x: DirectoryAudit) => Date.parse(x.activityDateTime);
      switch (e.op) {
        case "eq":
          return (x) => get(x) === t;
        case "ge":
          return (x) => get(x) >= t;
        case "gt":
          return (x) => get(x) > t;
        case "le":
          return (x) => get(x) <= t;
        case "lt":
          return (x) => get(x) < t;
        default:
          throw badRequest(`Invalid filter clause: '${e.op}' is not supported on '${prop}'.`);
      }
    }
    if (e.op !== "eq" || typeof e.value !== "string") {
      throw badRequest(`Invalid filter clause: only 'eq' with a string is supported on '${prop}'.`);
    }
    const want = e.value.toLowerCase();
    return (x) => String(x[prop as keyof DirectoryAudit]).toLowerCase() === want;
  };
  return walk(parseFilter(text));
}

export interface AuditListRequest {
  query: Record<string, string>;
  rawQuery: string;
  origin: string;
}

interface AuditPageToken {
  /** Offset into the filtered, ordered list. */
  o: number;
  /** Records that existed when the first page was served (ids), so later pages do not shift. */
  n: number;
}

const DEFAULT_PAGE = 100;

/** Lists records: `$filter`, `$top` (1–999), `$orderby activityDateTime [asc|desc]` (default newest first), `$skiptoken`. */
export function listDirectoryAudits(log: AuditLog, req: AuditListRequest): Record<string, unknown> {
  const q = req.query;
  for (const k of Object.keys(q)) {
    if (k.startsWith("$") && !["$filter", "$top", "$orderby", "$skiptoken"].includes(k)) {
      throw badRequest(`The query parameter '${k}' is not supported.`);
    }
  }
  let top = DEFAULT_PAGE;
  if (q.$top !== undefined) {
    if (!/^\d+$/.test(q.$top) || Number(q.$top) < 1 || Number(q.$top) > 999) {
      throw badRequest(`Invalid page size specified: '${q.$top}'. Must be between 1 and 999 inclusive.`);
    }
    top = Number(q.$top);
  }
  let desc = true;
  if (q.$orderby !== undefined) {
    const m = /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/i.exec(q.$orderby);
    if (!m) throw badRequest(`Sorting by '${q.$orderby}' is not supported for directoryAudit.`);
    desc = (m[1] ?? "asc").toLowerCase() === "desc";
  }
  let token: AuditPageToken = { o: 0, n: log.records.length };
  if (q.$skiptoken !== undefined) {
    try {
      token = JSON.parse(Buffer.from(q.$skiptoken, "base64url").toString("utf8")) as AuditPageToken;
    } catch {
      throw badRequest("Invalid $skiptoken value.", "Request_BadRequest");
    }
    if (!Number.isInteger(token.o) || !Number.isInteger(token.n)) {
      throw badRequest("Invalid $skiptoken value.", "Request_BadRequest");
    }
  }
  const test = q.$filter !== undefined ? compileAuditFilter(q.$filter) : undefined;
  const base = log.records.slice(0, token.n).filter((r) => !test || test(r));
  // Stable: by time, then by insertion order.
  const ordered = base
    .map((r, i) => ({ r, i, t: Date.parse(r.activityDateTime) }))
    .sort((a, b) => (a.t - b.t || a.i - b.i) * (desc ? -1 : 1))
    .map((x) => x.r);
  const page = ordered.slice(token.o, token.o + top);
  const body: Record<string, unknown> = {
    "@odata.context": `${req.origin}/v1.0/$metadata#auditLogs/directoryAudits`,
    value: page,
  };
  if (token.o + top < ordered.length) {
    const next: AuditPageToken = { o: token.o + top, n: token.n };
    const parts = req.rawQuery.split("&").filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
    parts.push(`$skiptoken=${Buffer.from(JSON.stringify(next)).toString("base64url")}`);
    body["@odata.nextLink"] = `${req.origin}/v1.0/auditLogs/directoryAudits?${parts.join("&")}`;
  }
  return body;
}

export function getDirectoryAudit(log: AuditLog, id: string): DirectoryAudit {
  const r = log.records.find((x) => x.id === id);
  if (!r) {
    throw new GraphError(
      404,
      "Request_ResourceNotFound",
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  return r;
}
