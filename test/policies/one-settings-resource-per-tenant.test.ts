import { describe, expect, it } from "vitest";
import { oneSettingsResourcePerTenant } from "../../policies/rules/one-settings-resource-per-tenant";
import {
  createPolicyResource,
  createStackValidationArgs,
  runStackPolicy,
  settingsProps,
  TENANT_ID,
  UNKNOWN_STRING,
} from "../support/policyArgs";

const OTHER_TENANT = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const check = (resources: ReturnType<typeof createPolicyResource>[], config = {}) =>
  runStackPolicy(oneSettingsResourcePerTenant, createStackValidationArgs(resources, config));

describe("one-settings-resource-per-tenant", () => {
  it("is a mandatory stack policy", () => {
    expect(oneSettingsResourcePerTenant.enforcementLevel).toBe("mandatory");
    expect(typeof oneSettingsResourcePerTenant.validateStack).toBe("function");
  });

  it("passes one resource", async () => {
    expect((await check([createPolicyResource(settingsProps())])).violations).toEqual([]);
  });

  it("fails two resources for the same tenant, on each resource, naming both", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const b = createPolicyResource(settingsProps(), { name: "b" });
    const { violations } = await check([a, b]);
    expect(violations.map((v) => v.urn)).toEqual([a.urn, b.urn]);
    expect(violations[0].message).toContain(
      `Tenant ${TENANT_ID} is declared by 2 DirectoryFeatureSettings resources ("a", "b")`,
    );
  });

  it("passes two resources for different tenants", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const b = createPolicyResource(settingsProps({ tenantId: OTHER_TENANT }), { name: "b" });
    expect((await check([a, b])).violations).toEqual([]);
  });

  it("falls back to connection.tenantId, case-insensitively", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const noTenantId = settingsProps();
    delete noTenantId.tenantId;
    (noTenantId.connection as Record<string, unknown>).tenantId = TENANT_ID.toUpperCase();
    const b = createPolicyResource(noTenantId, { name: "b" });
    expect((await check([a, b])).violations).toHaveLength(2);
  });

  it("groups a domain with its tenant GUID only through tenantAliases", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const domain = settingsProps({ tenantId: "contoso.onmicrosoft.com" });
    const b = createPolicyResource(domain, { name: "b" });
    expect((await check([a, b])).violations).toEqual([]);
    const aliased = await check([a, b], { tenantAliases: { "Contoso.onmicrosoft.com": TENANT_ID } });
    expect(aliased.violations).toHaveLength(2);
  });

  it("fails a resource whose tenant is unknown when the stack has another settings resource", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const unknownTenant = settingsProps({ tenantId: UNKNOWN_STRING });
    const b = createPolicyResource(unknownTenant, { name: "b" });
    const { violations } = await check([a, b]);
    expect(violations).toHaveLength(1);
    expect(violations[0].urn).toBe(b.urn);
    expect(violations[0].message).toContain("names no tenant this policy can read");
  });

  it("passes a single resource whose tenant is unknown (nothing to fight with)", async () => {
    const b = createPolicyResource(settingsProps({ tenantId: UNKNOWN_STRING }), { name: "b" });
    expect((await check([b])).violations).toEqual([]);
  });

  it("ignores other resource types", async () => {
    const a = createPolicyResource(settingsProps(), { name: "a" });
    const other = createPolicyResource(settingsProps(), { name: "b", type: "pulumi-nodejs:dynamic/smoke:Echo" });
    expect((await check([a, other])).violations).toEqual([]);
  });
});
