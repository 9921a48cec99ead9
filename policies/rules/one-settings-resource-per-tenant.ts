/**
 * one-settings-resource-per-tenant (mandatory, stack policy): a stack declares at most one DirectoryFeatureSettings
 * per tenant.
 *
 * A tenant has exactly one onPremisesDirectorySynchronization object ("Only Get and Update exist", its id is the
 * tenant id: https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization). Two resources
 * declaring it would each PATCH it back to their own values on every update and show drift on every refresh.
 * Resources are grouped by `tenantId`, else `connection.tenantId`. A tenant written once as a GUID and once as a
 * domain cannot be matched by the policy alone: `tenantAliases` maps domains to the tenant's GUID.
 */
import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
  DIRECTORY_FEATURE_SETTINGS_TYPE,
  type DirectoryFeatureSettingsProps,
  tenantOf,
} from "../lib/directoryFeatureSettings";
import { configWithDefaults, docLink, forStackType, known } from "../lib/policyHelpers";

export const name = "one-settings-resource-per-tenant";

export const SYNC_OBJECT_URL = "https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization";

export interface OneSettingsResourcePerTenantConfig {
  tenantAliases: Record<string, string>;
}

export const configSchema: PolicyConfigSchema = {
  properties: {
    tenantAliases: {
      type: "object",
      default: {},
      additionalProperties: { type: "string", minLength: 1 },
      description:
        'Other names of the same tenant, e.g. {"contoso.onmicrosoft.com": "<tenant GUID>"}, so resources that name ' +
        "one tenant in two ways are grouped together.",
    },
  },
};

export function groupByTenant(
  resources: PolicyResource[],
  aliases: Record<string, string>,
): { byTenant: Map<string, PolicyResource[]>; unknownTenant: PolicyResource[] } {
  const alias = new Map(Object.entries(aliases).map(([k, v]) => [k.trim().toLowerCase(), v.trim().toLowerCase()]));
  const byTenant = new Map<string, PolicyResource[]>();
  const unknownTenant: PolicyResource[] = [];
  for (const r of resources) {
    if (r.type !== DIRECTORY_FEATURE_SETTINGS_TYPE) continue;
    const tenant = known(() => tenantOf(r.props as DirectoryFeatureSettingsProps));
    if (!tenant.known || tenant.value === undefined) {
      unknownTenant.push(r);
      continue;
    }
    const key = alias.get(tenant.value) ?? tenant.value;
    byTenant.set(key, [...(byTenant.get(key) ?? []), r]);
  }
  return { byTenant, unknownTenant };
}

export const oneSettingsResourcePerTenant: StackValidationPolicy = {
  name,
  description:
    "A stack declares at most one DirectoryFeatureSettings per tenant, so two declarations never fight over the tenant's single sync-features object.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["syncgap", "entra-connect"],
  url: SYNC_OBJECT_URL,
  remediationSteps: `Keep one DirectoryFeatureSettings per tenant and move every declared feature into it (${docLink(name)}).`,
  configSchema,
  validateStack: forStackType(DIRECTORY_FEATURE_SETTINGS_TYPE, (args, reportViolation) => {
    const { tenantAliases } = configWithDefaults<OneSettingsResourcePerTenantConfig>(args, configSchema);
    const { byTenant, unknownTenant } = groupByTenant(args.resources, tenantAliases);
    for (const [tenant, group] of byTenant) {
      if (group.length < 2) continue;
      const names = group.map((r) => `"${r.name}"`).join(", ");
      for (const r of group) {
        reportViolation(
          `Tenant ${tenant} is declared by ${group.length} DirectoryFeatureSettings resources (${names}). A tenant has ` +
            "one onPremisesDirectorySynchronization object, so they would overwrite each other's features on every " +
            `update. Keep one resource for this tenant and declare all its features there. See ${docLink(name)}.`,
          r.urn,
        );
      }
    }
    // With a single resource there is nothing to fight with, whatever its tenant.
    const total = unknownTenant.length + [...byTenant.values()].reduce((n, g) => n + g.length, 0);
    for (const r of total > 1 ? unknownTenant : []) {
      reportViolation(
        `DirectoryFeatureSettings "${r.name}" names no tenant this policy can read (tenantId and connection.tenantId ` +
          "are missing or not known yet), so it cannot tell whether one of the stack's other DirectoryFeatureSettings " +
          "manages the same tenant. " +
          `Give the resource a literal tenantId. See ${docLink(name)}.`,
        r.urn,
      );
    }
  }),
};
