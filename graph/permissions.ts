/**
 * Microsoft Graph permission ids that the pipeline-identity policy needs to name what a stack grants.
 *
 * Source: Microsoft Graph permissions reference, https://learn.microsoft.com/graph/permissions-reference, whose id
 * table is generated into microsoftgraph/microsoft-graph-docs-contrib `concepts/includes/permissions-ids.md`
 * (rows copied by name, type and id). The OnPremDirectorySynchronization rows are newer than that table's
 * stored copy; their ids are the ones the rendered reference lists (Read.All: Application
 * bb70e231-92dc-4729-aff5-697b3f04be95, Delegated f6609722-4100-44eb-b747-e6ca0536989d; ReadWrite.All:
 * Application c22a92cc-79bf-4bb1-8b6c-e0a05d3d80ce, Delegated c2d95988-7604-4ba1-aaed-38a5f82a51c7).
 *
 * Deliberately small: what syncgap needs, the sign-in scopes, and the high-privilege permissions a pipeline
 * identity tends to be given "to make it work". An id not in this table (or in the policy config's
 * `knownPermissions`) is reported as "cannot verify", never passed. Graph's own, complete list is
 * `GET /servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=appRoles,oauth2PermissionScopes`.
 */

/** Microsoft Graph's application (client) id, the same in every tenant and cloud. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** `Role` = application permission (app role); `Scope` = delegated permission (OAuth2 scope). */
export type PermissionKind = "Role" | "Scope";

export interface GraphPermission {
  name: string;
  kind: PermissionKind;
  id: string;
}

const rows: [name: string, application: string | null, delegated: string | null][] = [
  // What syncgap needs (docs/policies.md#pipeline-identity-least-privilege).
  ["User.Read.All", "df021288-bdef-4463-88db-98f22de89214", "a154be20-db9c-4678-8ab7-66f6cc099a59"],
  ["Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6", "4908d5b9-3fb2-4b1e-9336-1888b7937185"],
  [
    "OnPremDirectorySynchronization.Read.All",
    "bb70e231-92dc-4729-aff5-697b3f04be95",
    "f6609722-4100-44eb-b747-e6ca0536989d",
  ],
  [
    "OnPremDirectorySynchronization.ReadWrite.All",
    "c22a92cc-79bf-4bb1-8b6c-e0a05d3d80ce",
    "c2d95988-7604-4ba1-aaed-38a5f82a51c7",
  ],
  // Optional, for audit evidence (who changed the switch): GET /auditLogs/directoryAudits needs both AuditLog.Read.All
  // and Directory.Read.All (https://learn.microsoft.com/graph/api/directoryaudit-list#permissions).
  ["AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da", "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"],
  // Sign-in scopes.
  ["openid", null, "37f7f235-527c-4136-accd-4a02d197296e"],
  ["profile", null, "14dad69e-099b-42c9-810b-d002981feec1"],
  ["offline_access", null, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182"],
  ["email", null, "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"],
  ["User.Read", null, "e1fe6dd8-ba31-4d61-89e7-88639da4683d"],
  ["User.ReadBasic.All", null, "b340eb25-3456-403f-be2f-af7a0d370277"],
  // Broader than syncgap needs.
  ["Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61", "06da0dbc-49e2-44d2-8312-53f166ab848a"],
  ["Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "c5366453-9fb0-48a5-a156-24f0c49a4b84"],
  ["Directory.AccessAsUser.All", null, "0e263e50-5827-48a4-b97c-d940288653c7"],
  ["User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca", "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"],
  ["Organization.ReadWrite.All", "292d869f-3427-49a8-9dab-8c70152b74e9", "46ca0847-7e6b-426e-9775-ea810a948356"],
  ["RoleManagement.Read.Directory", "483bed4a-2ad3-4361-a73b-c83ccdbdc53c", "741c54c3-0c1e-44a1-818b-3f97ab4e8c83"],
  [
    "RoleManagement.ReadWrite.Directory",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "d01b97e9-cbc0-49fe-810a-750afd5527a3",
  ],
  ["Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "c79f8feb-a9db-4090-85f9-90d820caa0eb"],
  ["Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "bdfbf15f-ee85-4955-8675-146e8e5296b5"],
  ["Application.ReadWrite.OwnedBy", "18a4783c-866b-4cc7-a460-3d5e5662c884", null],
  ["AppRoleAssignment.ReadWrite.All", "06b708a9-e830-4db3-a914-8e69da51d44f", "84bccea3-f856-4a8a-967b-dbe0a3d53a64"],
  [
    "DelegatedPermissionGrant.ReadWrite.All",
    "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
    "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
  ],
  ["Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09", "4e46008b-f24c-477d-8fff-7bb4ec7aafe0"],
  ["GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695", "f81125ac-d3b7-4573-a3b2-7099cc39df9e"],
  ["Domain.ReadWrite.All", "7e05723c-0bb0-42da-be95-ae9f08a6e53c", "0b5d694c-a244-4bde-86e6-eb5cd07730fe"],
  [
    "UserAuthenticationMethod.ReadWrite.All",
    "50483e42-d915-4231-9639-7fdb7fd190e5",
    "b7887744-6746-4312-813d-72daeaee7e2d",
  ],
  [
    "Policy.ReadWrite.ConditionalAccess",
    "01c0a623-fc9b-48e9-b794-0756f8e8f067",
    "ad902697-1014-4ef5-81ef-2b4301988e8c",
  ],
  ["Policy.ReadWrite.PermissionGrant", "a402ca1c-2696-4531-972d-6e5ee4aa11ea", "2672f8bb-fd5e-42e0-85e1-ec764dd2614e"],
  [
    "Policy.ReadWrite.AuthenticationMethod",
    "29c18626-4985-4dcd-85c0-193eef327366",
    "7e823077-d88e-468f-a337-e18f1f0e6c7c",
  ],
  ["Mail.ReadWrite", "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "024d486e-b451-40bb-833d-3e66d98c5c73"],
  ["Files.ReadWrite.All", "75359482-378d-4052-8f01-80520e7db3cd", "863451e7-0667-486c-a5d6-d135439485f0"],
  ["Sites.FullControl.All", "a82116e5-55eb-4c41-a434-62fe8a61c773", "5a54b8b3-347c-476d-8f8e-42d5c7424d29"],
];

export const GRAPH_PERMISSIONS: readonly GraphPermission[] = rows.flatMap(([name, application, delegated]) => [
  ...(application ? [{ name, kind: "Role" as const, id: application }] : []),
  ...(delegated ? [{ name, kind: "Scope" as const, id: delegated }] : []),
]);

/** A lookup by id over the built-in table plus extra rows (policy config `knownPermissions`). */
export function permissionIndex(extra: readonly GraphPermission[] = []): Map<string, GraphPermission> {
  const index = new Map<string, GraphPermission>();
  for (const p of [...GRAPH_PERMISSIONS, ...extra]) index.set(`${p.kind}:${p.id.toLowerCase()}`, p);
  return index;
}

/** Ids of one kind, for "is this a Graph permission at all?" checks where the target is not known. */
export function isKnownGraphPermissionId(index: Map<string, GraphPermission>, id: string): GraphPermission | undefined {
  return index.get(`Role:${id.toLowerCase()}`) ?? index.get(`Scope:${id.toLowerCase()}`);
}

/**
 * What syncgap asks of Microsoft Graph, one row per need: the one table that the 403 hints (graph/errors.ts), the
 * post-deploy gate (gap/check.ts), the least-privilege policy, the bootstrap (bootstrap/grants.ts) and the
 * local tenant's seeds read, as Microsoft365DSC keeps one permissions file per resource. Ids are in GRAPH_PERMISSIONS
 * above; Microsoft publishes one id per permission and kind, and the bootstrap compares each with the tenant's Graph
 * service principal before granting it, so a cloud where one differed would stop there.
 */
export const SYNCGAP_NEEDS = {
  usersRead: {
    permissions: ["User.Read.All"],
    why: "gap analysis and gate: read users' mobilePhone and on-premises identifiers (GET /users)",
    hint: "User.Read.All (application or delegated)",
    doc: "https://learn.microsoft.com/graph/api/user-list",
  },
  organizationRead: {
    permissions: ["Organization.Read.All"],
    why: "post-deploy gate: when directory sync last ran (GET /organization, onPremisesLastSyncDateTime)",
    hint: "Organization.Read.All (or Directory.Read.All; User.Read also lets a signed-in user read it)",
    doc: "https://learn.microsoft.com/graph/api/organization-get",
  },
  // Application permissions exist for this object and work (facts.md "Permissions"; microsoft-graph-docs PR 22337),
  // though the rendered pages still say "Not supported"; delegated use needs an Entra role as well. The Graph pages
  // name Global Administrator, the Entra role reference also Hybrid Identity Administrator (read and update) and
  // Global Reader (read): https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
  syncRead: {
    permissions: ["OnPremDirectorySynchronization.Read.All"],
    why: "preview, drift and gate read the tenant's directory-sync features (delegated enforcement only)",
    hint:
      "OnPremDirectorySynchronization.Read.All (or .ReadWrite.All): as an application permission (workload identity), " +
      "or delegated, signed in as a Global Administrator, Hybrid Identity Administrator or Global Reader",
    doc: "https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get",
  },
  syncWrite: {
    permissions: ["OnPremDirectorySynchronization.ReadWrite.All"],
    why: "enforcement: pulumi up PATCHes onPremisesDirectorySynchronization features (includes reading them)",
    delegatedWhy: "delegated enforcement: a Global Administrator signed in with a device code runs pulumi up",
    hint:
      "OnPremDirectorySynchronization.ReadWrite.All: as an application permission (workload identity), or delegated, " +
      "signed in as a Global Administrator or Hybrid Identity Administrator",
    doc: "https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-update",
  },
  // Optional: GET /auditLogs/directoryAudits needs both, and Directory.Read.All reads the whole directory, so it is
  // opt-in (bootstrap `auditEvidence`, policy `auditEvidence`). It lets the nightly drift check and the gate name who
  // changed the switch and when.
  auditRead: {
    permissions: ["AuditLog.Read.All", "Directory.Read.All"],
    optional: true,
    why: "audit evidence (auditEvidence: true): drift and gate name who changed the switch (GET /auditLogs/directoryAudits)",
    hint: "AuditLog.Read.All and Directory.Read.All (delegated also a role such as Reports Reader)",
    doc: "https://learn.microsoft.com/graph/api/directoryaudit-list",
  },
} as const satisfies Record<string, GraphNeed>;

export interface GraphNeed {
  /** All of these, as application permissions (app-only) or delegated scopes. */
  permissions: readonly string[];
  /** Why syncgap needs it: for the bootstrap's grants and the docs. */
  why: string;
  /** When the delegated scope serves another purpose than the application permission. */
  delegatedWhy?: string;
  /** What a refused call needs, in words (with the alternatives Graph accepts and the Entra roles). */
  hint: string;
  /** The Microsoft Learn page that lists the call's permissions. */
  doc: string;
  /** Not needed for syncgap to work (audit evidence). */
  optional?: boolean;
}

export type GraphNeedName = keyof typeof SYNCGAP_NEEDS;
/** A permission some row of SYNCGAP_NEEDS names. */
export type NeededPermission = (typeof SYNCGAP_NEEDS)[GraphNeedName]["permissions"][number];

/** The names syncgap needs (every row that is not optional), as both application permissions and delegated scopes. */
export const SYNCGAP_GRAPH_PERMISSIONS: readonly NeededPermission[] = Object.values(SYNCGAP_NEEDS).flatMap((n) =>
  "optional" in n && n.optional ? [] : n.permissions,
);

/** What reading the directory audit log takes: the optional `auditRead` row. */
export const AUDIT_EVIDENCE_PERMISSIONS = SYNCGAP_NEEDS.auditRead.permissions;

/** Delegated sign-in scopes that grant no directory access of their own. */
export const SIGN_IN_SCOPES = ["openid", "profile", "offline_access"] as const;
