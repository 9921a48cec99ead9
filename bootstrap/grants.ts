/**
 * The Microsoft Graph permissions syncgap's pipeline identity needs, and nothing else.
 *
 * Ids: Microsoft Graph permissions reference, https://learn.microsoft.com/graph/permissions-reference (each
 * permission's "Application" and "Delegated" identifiers; the same ids are the `appRoles` / `oauth2PermissionScopes`
 * of the Microsoft Graph service principal, appId 00000003-0000-0000-c000-000000000000, in every tenant). They are
 * also listed per permission at https://graphpermissions.merill.net/permission/<name>. At deployment the bootstrap
 * compares each id with the tenant's Graph service principal (`appRoleIds`, `oauth2PermissionScopeIds`) and stops
 * if one differs, so a wrong constant cannot grant the wrong permission.
 */

import {
  AUDIT_EVIDENCE_PERMISSIONS,
  GRAPH_PERMISSIONS,
  MICROSOFT_GRAPH_APP_ID,
  type NeededPermission,
  type PermissionKind,
  SYNCGAP_NEEDS,
} from "../graph/permissions";

export { MICROSOFT_GRAPH_APP_ID };

/** Ids come from the one table the least-privilege policy also checks against (graph/permissions.ts). */
function idOf(name: string, kind: PermissionKind): string {
  const p = GRAPH_PERMISSIONS.find((x) => x.name === name && x.kind === kind);
  if (!p) throw new Error(`no ${kind} id for Microsoft Graph permission ${name} in graph/permissions.ts`);
  return p.id;
}

export interface GraphPermission {
  value: string;
  id: string;
  /** Why syncgap needs it. */
  why: string;
}

/** Application permissions (app roles): every permission a row of SYNCGAP_NEEDS names. */
export const APP_ROLES = Object.fromEntries(
  Object.values(SYNCGAP_NEEDS).flatMap((need) =>
    need.permissions.map((value) => [value, { value, id: idOf(value, "Role"), why: need.why }]),
  ),
) as Record<NeededPermission, GraphPermission>;

/** Delegated permissions (OAuth2 permission scopes): delegated enforcement only. */
export const DELEGATED_SCOPES = {
  "OnPremDirectorySynchronization.ReadWrite.All": {
    value: "OnPremDirectorySynchronization.ReadWrite.All",
    id: idOf("OnPremDirectorySynchronization.ReadWrite.All", "Scope"),
    why: SYNCGAP_NEEDS.syncWrite.delegatedWhy,
  },
} as const satisfies Record<string, GraphPermission>;

export type EnforcementIdentity = "appOnly" | "delegated";

/**
 * The application permissions of the pipeline identity. appOnly: it enforces, so it gets ReadWrite on the sync
 * settings. delegated: it only reads them; writing is left to a Global Administrator's delegated sign-in.
 * auditEvidence: also what reading the directory audit log takes (AUDIT_EVIDENCE_PERMISSIONS), opt-in because
 * Directory.Read.All reads the whole directory.
 */
export function pipelineAppRoles(mode: EnforcementIdentity, opts: { auditEvidence?: boolean } = {}): GraphPermission[] {
  return [
    APP_ROLES["User.Read.All"],
    APP_ROLES["Organization.Read.All"],
    mode === "appOnly"
      ? APP_ROLES["OnPremDirectorySynchronization.ReadWrite.All"]
      : APP_ROLES["OnPremDirectorySynchronization.Read.All"],
    ...(opts.auditEvidence ? AUDIT_EVIDENCE_PERMISSIONS.map((name) => APP_ROLES[name]) : []),
  ];
}

/** Every application permission a syncgap pipeline identity may hold (for the least-privilege check). */
export const ALLOWED_APP_ROLE_IDS: readonly string[] = Object.values(APP_ROLES).map((p) => p.id);
