/**
 * pipeline-identity-least-privilege (mandatory): where a stack manages the pipeline's identity with @pulumi/azuread,
 * the Microsoft Graph permissions it grants stay within what syncgap needs.
 *
 * syncgap reads users (User.Read.All), the organization (Organization.Read.All) and the tenant's directory-sync
 * settings (OnPremDirectorySynchronization.Read.All), and changes those settings
 * (OnPremDirectorySynchronization.ReadWrite.All): https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-update,
 * https://learn.microsoft.com/graph/api/user-list. Anything else (Directory.ReadWrite.All,
 * RoleManagement.ReadWrite.Directory, Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All, …) is a violation
 * that names the permission. `auditEvidence: true` also allows what reading the directory audit log takes
 * (AuditLog.Read.All and Directory.Read.All, https://learn.microsoft.com/graph/api/directoryaudit-list#permissions), for
 * a pipeline identity the bootstrap made with `auditEvidence` so that drift and gate reports name who changed the
 * switch. Ids come from graph/permissions.ts; an id that table does not know is a
 * violation ("cannot verify"), never a pass.
 *
 * Checked resources (@pulumi/azuread v6):
 *  - Application: requiredResourceAccesses[] whose resourceAppId is Microsoft Graph (type Role or Scope);
 *  - ApplicationApiAccess: roleIds and scopeIds when apiClientId is Microsoft Graph;
 *  - AppRoleAssignment: appRoleId (Graph's app-role ids are unique to Graph, so a known id identifies Graph; other
 *    ids need the target listed in graphServicePrincipalObjectIds or nonGraphResourceObjectIds);
 *  - ServicePrincipalDelegatedPermissionGrant: claimValues (delegated scope names).
 * A ServicePrincipal carries no permission of its own, so it is not checked.
 *
 * A resource policy, not a stack policy, so `pulumi up` runs it before each resource is created: a violating grant
 * is blocked, not reported after the fact. Values unknown during preview (e.g. an id read from
 * `msgraph.appRoleIds[...]`) are checked at `up`; the preview says so.
 */
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
  AUDIT_EVIDENCE_PERMISSIONS,
  type GraphPermission,
  isKnownGraphPermissionId,
  MICROSOFT_GRAPH_APP_ID,
  type PermissionKind,
  permissionIndex,
  SIGN_IN_SCOPES,
  SYNCGAP_GRAPH_PERMISSIONS,
} from "../../graph/permissions";
import { configWithDefaults, docLink, forTypes, isUnknownValueError } from "../lib/policyHelpers";

export const name = "pipeline-identity-least-privilege";

export const PERMISSIONS_REFERENCE_URL = "https://learn.microsoft.com/graph/permissions-reference";

export const AZUREAD_TYPES = {
  application: "azuread:index/application:Application",
  applicationApiAccess: "azuread:index/applicationApiAccess:ApplicationApiAccess",
  appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  delegatedPermissionGrant:
    "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
} as const;

/** The app role id Entra ID uses for "default access" (assigning a user or group to an app): never Graph's. */
export const DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000";

export interface PipelineIdentityConfig {
  allowedApplicationPermissions: string[];
  allowedDelegatedPermissions: string[];
  auditEvidence: boolean;
  graphServicePrincipalObjectIds: string[];
  nonGraphResourceObjectIds: string[];
  knownPermissions: GraphPermission[];
}

const guid = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$";

export const configSchema: PolicyConfigSchema = {
  properties: {
    allowedApplicationPermissions: {
      type: "array",
      items: { type: "string" },
      uniqueItems: true,
      default: [...SYNCGAP_GRAPH_PERMISSIONS],
      description: "Microsoft Graph application permissions (app roles, type Role) the pipeline identity may hold.",
    },
    allowedDelegatedPermissions: {
      type: "array",
      items: { type: "string" },
      uniqueItems: true,
      default: [...SYNCGAP_GRAPH_PERMISSIONS, ...SIGN_IN_SCOPES],
      description: "Microsoft Graph delegated permissions (scopes, type Scope) the pipeline identity may hold.",
    },
    auditEvidence: {
      type: "boolean",
      default: false,
      description:
        "Also allow AuditLog.Read.All and Directory.Read.All (application and delegated), which reading the directory audit log takes, so drift and gate reports can name who changed the switch.",
    },
    graphServicePrincipalObjectIds: {
      type: "array",
      items: { type: "string", pattern: guid },
      default: [],
      description:
        "Object ids of Microsoft Graph's service principal in your tenants, so app-role assignments and delegated grants against it are recognised whatever their ids.",
    },
    nonGraphResourceObjectIds: {
      type: "array",
      items: { type: "string", pattern: guid },
      default: [],
      description: "Object ids of service principals that are not Microsoft Graph (your own APIs): not checked.",
    },
    knownPermissions: {
      type: "array",
      default: [],
      description:
        "Extra Microsoft Graph permission ids (from the permissions reference) so the policy can name them; knowing an id does not allow it.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "kind", "id"],
        properties: {
          name: { type: "string" },
          kind: { type: "string", enum: ["Role", "Scope"] },
          id: { type: "string", pattern: guid },
        },
      },
    },
  },
};

/** One permission reference found in a resource. */
export interface PermissionRef {
  /** Where in the resource, for the message (e.g. "requiredResourceAccesses[0].resourceAccesses[1]"). */
  at: string;
  kind: PermissionKind | string;
  id?: string;
  /** Delegated grants name their scopes instead of giving ids. */
  permissionName?: string;
}

const kindWords = (kind: string) =>
  kind === "Role"
    ? "application permission"
    : kind === "Scope"
      ? "delegated permission"
      : `permission of type "${kind}"`;

const sameId = (a: string | undefined, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();

/** Reads the Graph permission references out of a resource's properties; unknown values are collected, not thrown. */
export function graphPermissionRefs(
  args: Pick<ResourceValidationArgs, "type" | "props">,
  cfg: PipelineIdentityConfig,
  index: Map<string, GraphPermission>,
): { refs: PermissionRef[]; unknowns: Error[]; unverifiable: string[] } {
  const refs: PermissionRef[] = [];
  const unknowns: Error[] = [];
  const unverifiable: string[] = [];
  const props = args.props as Record<string, unknown>;
  const read = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (isUnknownValueError(e)) {
        unknowns.push(e);
        return undefined;
      }
      throw e;
    }
  };
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

  switch (args.type) {
    case AZUREAD_TYPES.application: {
      const accesses = read(() => list<Record<string, unknown>>(props.requiredResourceAccesses)) ?? [];
      accesses.forEach((access, i) => {
        const appId = read(() => access.resourceAppId as string);
        if (!sameId(appId, MICROSOFT_GRAPH_APP_ID)) return;
        const items = read(() => list<Record<string, unknown>>(access.resourceAccesses)) ?? [];
        items.forEach((item, j) => {
          const id = read(() => item.id as string);
          const kind = read(() => item.type as string);
          if (id !== undefined && kind !== undefined) {
            refs.push({ at: `requiredResourceAccesses[${i}].resourceAccesses[${j}]`, kind, id });
          }
        });
      });
      break;
    }
    case AZUREAD_TYPES.applicationApiAccess: {
      const apiClientId = read(() => props.apiClientId as string);
      if (!sameId(apiClientId, MICROSOFT_GRAPH_APP_ID)) break;
      for (const [field, kind] of [
        ["roleIds", "Role"],
        ["scopeIds", "Scope"],
      ] as const) {
        const ids = read(() => list<string>(props[field])) ?? [];
        ids.forEach((_, i) => {
          const id = read(() => ids[i]);
          if (id !== undefined) refs.push({ at: `${field}[${i}]`, kind, id });
        });
      }
      break;
    }
    case AZUREAD_TYPES.appRoleAssignment: {
      const appRoleId = read(() => props.appRoleId as string);
      if (appRoleId === undefined || sameId(appRoleId, DEFAULT_ACCESS_ROLE_ID)) break;
      if (index.has(`Role:${appRoleId.toLowerCase()}`)) {
        refs.push({ at: "appRoleId", kind: "Role", id: appRoleId });
        break;
      }
      const target = read(() => props.resourceObjectId as string);
      if (target === undefined) break;
      if (cfg.graphServicePrincipalObjectIds.some((g) => sameId(target, g))) {
        refs.push({ at: "appRoleId", kind: "Role", id: appRoleId });
      } else if (!cfg.nonGraphResourceObjectIds.some((g) => sameId(target, g))) {
        unverifiable.push(
          `app role ${appRoleId} on service principal ${target}: the id is not a Microsoft Graph app role syncgap knows, ` +
            "and the service principal is listed neither in graphServicePrincipalObjectIds nor in nonGraphResourceObjectIds",
        );
      }
      break;
    }
    case AZUREAD_TYPES.delegatedPermissionGrant: {
      const claims = read(() => list<string>(props.claimValues)) ?? [];
      const names = claims.map((_, i) => read(() => claims[i])).filter((n): n is string => n !== undefined);
      const target = read(() => props.resourceServicePrincipalObjectId as string);
      if (target !== undefined && cfg.nonGraphResourceObjectIds.some((g) => sameId(target, g))) break;
      const knownNames = new Set([...index.values()].filter((p) => p.kind === "Scope").map((p) => p.name));
      const isGraph =
        (target !== undefined && cfg.graphServicePrincipalObjectIds.some((g) => sameId(target, g))) ||
        names.some((n) => knownNames.has(n));
      if (isGraph) {
        names.forEach((n, i) => {
          refs.push({ at: `claimValues[${i}]`, kind: "Scope", permissionName: n });
        });
      } else if (names.length && target !== undefined) {
        unverifiable.push(
          `delegated grant of ${names.join(", ")} on service principal ${target}: none is a Microsoft Graph scope ` +
            "syncgap knows, and the service principal is listed neither in graphServicePrincipalObjectIds nor in nonGraphResourceObjectIds",
        );
      }
      break;
    }
  }
  return { refs, unknowns, unverifiable };
}

export function pipelineIdentityViolations(
  args: Pick<ResourceValidationArgs, "type" | "props" | "name">,
  cfg: PipelineIdentityConfig,
): { messages: string[]; unknowns: Error[] } {
  const index = permissionIndex(cfg.knownPermissions);
  const { refs, unknowns, unverifiable } = graphPermissionRefs(args, cfg, index);
  const audit = cfg.auditEvidence ? AUDIT_EVIDENCE_PERMISSIONS : [];
  const allowed: Record<string, Set<string>> = {
    Role: new Set([...cfg.allowedApplicationPermissions, ...audit]),
    Scope: new Set([...cfg.allowedDelegatedPermissions, ...audit]),
  };
  const allowList = (kind: string) =>
    kind === "Role" ? "allowedApplicationPermissions" : "allowedDelegatedPermissions";
  const subject = `${args.type.split(":").pop()} "${args.name}"`;
  const see = `See ${docLink(name)}.`;
  const messages: string[] = [];

  for (const ref of refs) {
    if (ref.kind !== "Role" && ref.kind !== "Scope") {
      messages.push(
        `${subject} grants Microsoft Graph ${ref.id} with type "${ref.kind}" at ${ref.at}; syncgap cannot verify it (type must be Role or Scope). ${see}`,
      );
      continue;
    }
    const permission = ref.permissionName
      ? { name: ref.permissionName, kind: ref.kind, id: undefined }
      : index.get(`${ref.kind}:${(ref.id as string).toLowerCase()}`);
    if (!permission) {
      const otherKind = isKnownGraphPermissionId(index, ref.id as string);
      messages.push(
        `${subject} grants a Microsoft Graph ${kindWords(ref.kind)} with id ${ref.id} (${ref.at}) that syncgap cannot verify` +
          (otherKind
            ? ` (that id is the ${kindWords(otherKind.kind)} ${otherKind.name}, not a ${kindWords(ref.kind)})`
            : "") +
          `: it is not in syncgap's permission table or the policy config's knownPermissions. Look it up in ${PERMISSIONS_REFERENCE_URL}; ` +
          `remove it unless syncgap needs it. ${see}`,
      );
      continue;
    }
    if (allowed[ref.kind].has(permission.name)) continue;
    messages.push(
      `${subject} grants the Microsoft Graph ${kindWords(ref.kind)} ${permission.name}` +
        `${permission.id ? ` (${permission.id})` : ""} at ${ref.at}, which syncgap does not need. The pipeline identity ` +
        `may hold only ${[...allowed[ref.kind]].join(", ")} (policy config ${allowList(ref.kind)}${
          (AUDIT_EVIDENCE_PERMISSIONS as readonly string[]).includes(permission.name) && !cfg.auditEvidence
            ? "; it is one of the audit-evidence permissions: set the policy config auditEvidence: true if the bootstrap granted them for that"
            : ""
        }). Remove ${permission.name}. ${see}`,
    );
  }
  for (const what of unverifiable) {
    messages.push(`${subject} grants ${what}, so syncgap cannot verify it. ${see}`);
  }
  return { messages, unknowns };
}

export const pipelineIdentityLeastPrivilege: ResourceValidationPolicy = {
  name,
  description:
    "The pipeline identity's Microsoft Graph permissions stay within what syncgap needs (User.Read.All, Organization.Read.All, OnPremDirectorySynchronization.Read.All / ReadWrite.All).",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["syncgap", "least-privilege", "microsoft-graph"],
  url: PERMISSIONS_REFERENCE_URL,
  remediationSteps: `Remove the Microsoft Graph permissions syncgap does not need (${docLink(name)}).`,
  configSchema,
  validateResource: forTypes(Object.values(AZUREAD_TYPES), (args, reportViolation) => {
    const cfg = configWithDefaults<PipelineIdentityConfig>(args, configSchema);
    const { messages, unknowns } = pipelineIdentityViolations(args, cfg);
    for (const m of messages) reportViolation(m);
    // Values not known during preview are checked by `pulumi up` before the resource is created; rethrowing one
    // lets @pulumi/policy say so in the preview ("can't run policy … during preview").
    if (unknowns.length) throw unknowns[0];
  }),
};
