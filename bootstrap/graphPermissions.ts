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

/** appId of Microsoft Graph (the same in every tenant). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export interface GraphPermission {
  value: string;
  id: string;
  /** Why syncgap needs it. */
  why: string;
}

/** Application permissions (app roles). */
export const APP_ROLES = {
  "User.Read.All": {
    value: "User.Read.All",
    id: "df021288-bdef-4463-88db-98f22de89214",
    why: "gap analysis and gate: read users' mobilePhone and on-premises identifiers (GET /users)",
  },
  "Organization.Read.All": {
    value: "Organization.Read.All",
    id: "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    why: "post-deploy gate: when directory sync last ran (GET /organization, onPremisesLastSyncDateTime)",
  },
  "OnPremDirectorySynchronization.Read.All": {
    value: "OnPremDirectorySynchronization.Read.All",
    id: "bb70e231-92dc-4729-aff5-697b3f04be95",
    why: "preview, drift and gate read the tenant's directory-sync features (delegated enforcement only)",
  },
  "OnPremDirectorySynchronization.ReadWrite.All": {
    value: "OnPremDirectorySynchronization.ReadWrite.All",
    id: "c22a92cc-79bf-4bb1-8b6c-e0a05d3d80ce",
    why: "enforcement: pulumi up PATCHes onPremisesDirectorySynchronization features (includes reading them)",
  },
} as const satisfies Record<string, GraphPermission>;

/** Delegated permissions (OAuth2 permission scopes). */
export const DELEGATED_SCOPES = {
  "OnPremDirectorySynchronization.ReadWrite.All": {
    value: "OnPremDirectorySynchronization.ReadWrite.All",
    id: "c2d95988-7604-4ba1-aaed-38a5f82a51c7",
    why: "delegated enforcement: a Global Administrator signed in with a device code runs pulumi up",
  },
} as const satisfies Record<string, GraphPermission>;

export type EnforcementIdentity = "appOnly" | "delegated";

/**
 * The application permissions of the pipeline identity. appOnly: it enforces, so it gets ReadWrite on the sync
 * settings. delegated: it only reads them; writing is left to a Global Administrator's delegated sign-in.
 */
export function pipelineAppRoles(mode: EnforcementIdentity): GraphPermission[] {
  return [
    APP_ROLES["User.Read.All"],
    APP_ROLES["Organization.Read.All"],
    mode === "appOnly"
      ? APP_ROLES["OnPremDirectorySynchronization.ReadWrite.All"]
      : APP_ROLES["OnPremDirectorySynchronization.Read.All"],
  ];
}

/** Every application permission a syncgap pipeline identity may hold (for the least-privilege check). */
export const ALLOWED_APP_ROLE_IDS: readonly string[] = Object.values(APP_ROLES).map((p) => p.id);
