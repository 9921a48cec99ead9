/**
 * The bootstrap program (bootstrap/) under Pulumi's unit-test mocks: the Azure AD provider plugin cannot be
 * downloaded here, so every resource is registered with the mock monitor and the tests read back what the program
 * asked for. The resources are then fed to the policy pack's pipeline-identity-least-privilege rule.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { BootstrapConfigError, readBootstrapConfig } from "../../bootstrap/config";
import { ALLOWED_APP_ROLE_IDS, APP_ROLES, DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID } from "../../bootstrap/grants";
import { checkPublishedIds, PipelineIdentity } from "../../bootstrap/pipelineIdentity";
import { GRAPH_PERMISSIONS } from "../../graph/permissions";
import { AZUREAD_TYPES, pipelineIdentityLeastPrivilege } from "../../policies/rules/pipeline-identity-least-privilege";
import { createResourceValidationArgs, runResourcePolicy } from "../support/policyArgs";

const GRAPH_SP_OBJECT_ID = "6b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const TENANT = "5d2a9c3e-6f1b-4c8e-9a7d-1b2c3d4e5f60";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const invokes: { token: string; args: Record<string, unknown> }[] = [];

// Graph's service principal as a tenant publishes it: the same ids as Microsoft's permissions reference.
const graphAppRoleIds = Object.fromEntries(Object.values(APP_ROLES).map((p) => [p.value, p.id]));
const graphScopeIds = Object.fromEntries(Object.values(DELEGATED_SCOPES).map((p) => [p.value, p.id]));

let counter = 0;
beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const n = ++counter;
        const objectId = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
        const state: Record<string, unknown> = { ...args.inputs, objectId };
        if (args.type === "azuread:index/application:Application") {
          state.clientId = `11111111-0000-4000-8000-${String(n).padStart(12, "0")}`;
          return { id: `/applications/${objectId}`, state };
        }
        return { id: `${args.name}-${n}`, state };
      },
      call(args) {
        invokes.push({ token: args.token, args: args.inputs });
        if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal") {
          return {
            clientId: MICROSOFT_GRAPH_APP_ID,
            objectId: GRAPH_SP_OBJECT_ID,
            appRoleIds: graphAppRoleIds,
            oauth2PermissionScopeIds: graphScopeIds,
          };
        }
        if (args.token === "azuread:index/getClientConfig:getClientConfig") {
          return { tenantId: TENANT, clientId: "cli", objectId: "me" };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "syncgap-bootstrap",
    "test",
    false,
  );
});

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

const federation = {
  issuer: "https://vstoken.dev.azure.com/7f3b1c52-0d6e-4f4a-9b8e-2a1c3d4e5f60",
  subject: "sc://contoso/identity/syncgap-contoso",
};

/** Creates a component and waits until every child resource is registered with the mocks. */
async function build(name: string, enforcementIdentity: "appOnly" | "delegated", auditEvidence?: boolean) {
  const before = registered.length;
  const identity = new PipelineIdentity(name, {
    displayName: `syncgap ${name}`,
    federation,
    enforcementIdentity,
    ...(auditEvidence ? { auditEvidence } : {}),
  });
  await value(
    pulumi
      .all([
        identity.application.id,
        identity.servicePrincipal.objectId,
        identity.federatedCredential.subject,
        ...identity.appRoleAssignments.map((a) => a.resourceObjectId),
        identity.delegatedGrant?.resourceServicePrincipalObjectId ?? pulumi.output(""),
      ])
      .apply(() => true),
  );
  const mine = registered.slice(before).filter((r) => r.name.startsWith(name));
  const of = (type: string) => mine.filter((r) => r.type === type);
  return { identity, mine, of };
}

const T = {
  app: "azuread:index/application:Application",
  sp: "azuread:index/servicePrincipal:ServicePrincipal",
  fic: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
  assignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  grant: "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
};

describe("PipelineIdentity, appOnly enforcement", () => {
  it("creates an app registration, its service principal, a federated credential and three admin-consented app roles", async () => {
    const { of, identity } = await build("apponly", "appOnly");
    expect(of(T.app)).toHaveLength(1);
    expect(of(T.sp)).toHaveLength(1);
    expect(of(T.fic)).toHaveLength(1);
    expect(of(T.assignment)).toHaveLength(3);
    expect(of(T.grant)).toHaveLength(0);
    expect(identity.grantedAppRoles).toEqual([
      "User.Read.All",
      "Organization.Read.All",
      "OnPremDirectorySynchronization.ReadWrite.All",
    ]);
  });

  it("requests exactly the Graph application permissions syncgap needs, by their documented ids", async () => {
    const { of } = await build("apponly-perms", "appOnly");
    const app = of(T.app)[0] as Registered;
    expect(app.inputs.requiredResourceAccesses).toEqual([
      {
        resourceAppId: "00000003-0000-0000-c000-000000000000",
        resourceAccesses: [
          { id: "df021288-bdef-4463-88db-98f22de89214", type: "Role" }, // User.Read.All
          { id: "498476ce-e0fe-48b0-b801-37ba7e2685c6", type: "Role" }, // Organization.Read.All
          { id: "c22a92cc-79bf-4bb1-8b6c-e0a05d3d80ce", type: "Role" }, // OnPremDirectorySynchronization.ReadWrite.All
        ],
      },
    ]);
    expect(app.inputs.signInAudience).toBe("AzureADMyOrg");
  });

  it("grants each permission to the pipeline's service principal on Microsoft Graph's (looked up, not managed)", async () => {
    const { of, identity } = await build("apponly-grants", "appOnly");
    const spObjectId = await value(identity.servicePrincipal.objectId);
    const assignments = of(T.assignment);
    expect(assignments.map((a) => a.inputs.appRoleId).sort()).toEqual(
      [
        APP_ROLES["User.Read.All"].id,
        APP_ROLES["Organization.Read.All"].id,
        APP_ROLES["OnPremDirectorySynchronization.ReadWrite.All"].id,
      ].sort(),
    );
    for (const a of assignments) {
      expect(a.inputs.principalObjectId).toBe(spObjectId);
      expect(a.inputs.resourceObjectId).toBe(GRAPH_SP_OBJECT_ID);
    }
    // Graph's service principal is read with an invoke; no resource of the program could ever delete it.
    expect(invokes.some((i) => i.args.clientId === MICROSOFT_GRAPH_APP_ID)).toBe(true);
    expect(of(T.sp).every((s) => s.inputs.clientId !== MICROSOFT_GRAPH_APP_ID)).toBe(true);
  });

  it("trusts the Azure DevOps service connection: issuer, subject sc://org/project/connection, audience", async () => {
    const { of, identity } = await build("apponly-fic", "appOnly");
    const fic = of(T.fic)[0] as Registered;
    expect(fic.inputs.issuer).toBe(federation.issuer);
    expect(fic.inputs.subject).toBe("sc://contoso/identity/syncgap-contoso");
    expect(fic.inputs.audiences).toEqual(["api://AzureADTokenExchange"]);
    expect(fic.inputs.applicationId).toBe(await value(identity.application.id));
  });
});

describe("PipelineIdentity, delegated enforcement", () => {
  it("gives the pipeline identity read-only sync permissions and adds a public-client app for the device code", async () => {
    const { of, identity } = await build("delegated", "delegated");
    expect(identity.grantedAppRoles).toEqual([
      "User.Read.All",
      "Organization.Read.All",
      "OnPremDirectorySynchronization.Read.All",
    ]);
    const apps = of(T.app);
    expect(apps).toHaveLength(2);
    const delegatedApp = apps.find((a) => a.name === "delegated-delegated-app") as Registered;
    expect(delegatedApp.inputs.fallbackPublicClientEnabled).toBe(true);
    expect(delegatedApp.inputs.requiredResourceAccesses).toEqual([
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccesses: [{ id: "c2d95988-7604-4ba1-aaed-38a5f82a51c7", type: "Scope" }],
      },
    ]);
    const grant = of(T.grant)[0] as Registered;
    expect(grant.inputs.claimValues).toEqual(["OnPremDirectorySynchronization.ReadWrite.All"]);
    expect(grant.inputs.resourceServicePrincipalObjectId).toBe(GRAPH_SP_OBJECT_ID);
    expect(grant.inputs.userObjectId).toBeUndefined(); // tenant-wide admin consent
    expect(of(T.assignment).map((a) => a.inputs.appRoleId)).not.toContain(
      APP_ROLES["OnPremDirectorySynchronization.ReadWrite.All"].id,
    );
  });
});

describe("permission ids", () => {
  // Typed in from Microsoft's permissions reference (https://learn.microsoft.com/graph/permissions-reference, each
  // permission's Application / Delegated identifier), not from syncgap's table, so a wrong id in the table fails here.
  const REFERENCE: Record<string, { Role?: string; Scope?: string }> = {
    "User.Read.All": { Role: "df021288-bdef-4463-88db-98f22de89214", Scope: "a154be20-db9c-4678-8ab7-66f6cc099a59" },
    "Organization.Read.All": {
      Role: "498476ce-e0fe-48b0-b801-37ba7e2685c6",
      Scope: "4908d5b9-3fb2-4b1e-9336-1888b7937185",
    },
    "OnPremDirectorySynchronization.Read.All": {
      Role: "bb70e231-92dc-4729-aff5-697b3f04be95",
      Scope: "f6609722-4100-44eb-b747-e6ca0536989d",
    },
    "OnPremDirectorySynchronization.ReadWrite.All": {
      Role: "c22a92cc-79bf-4bb1-8b6c-e0a05d3d80ce",
      Scope: "c2d95988-7604-4ba1-aaed-38a5f82a51c7",
    },
    "AuditLog.Read.All": {
      Role: "b0afded3-3588-46d8-8b3d-9842eff778da",
      Scope: "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20",
    },
    "Directory.Read.All": {
      Role: "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
      Scope: "06da0dbc-49e2-44d2-8312-53f166ab848a",
    },
  };

  it("are Microsoft's, as its permissions reference lists them, in the bootstrap and in the policy pack's table", () => {
    for (const p of Object.values(APP_ROLES)) expect(p.id, p.value).toBe(REFERENCE[p.value]?.Role);
    for (const p of Object.values(DELEGATED_SCOPES)) expect(p.id, p.value).toBe(REFERENCE[p.value]?.Scope);
    for (const [name, ids] of Object.entries(REFERENCE)) {
      for (const kind of ["Role", "Scope"] as const) {
        expect(GRAPH_PERMISSIONS.find((g) => g.name === name && g.kind === kind)?.id, `${name} ${kind}`).toBe(
          ids[kind],
        );
      }
    }
    expect(ALLOWED_APP_ROLE_IDS).toHaveLength(6);
  });

  it("refuse to deploy when the tenant's Graph publishes another id, or none, for a permission", () => {
    const roles = [APP_ROLES["User.Read.All"]];
    expect(() =>
      checkPublishedIds("the app role", roles, { "User.Read.All": APP_ROLES["User.Read.All"].id }),
    ).not.toThrow();
    expect(() =>
      checkPublishedIds("the app role", roles, { "User.Read.All": "00000000-1111-2222-3333-444444444444" }),
    ).toThrow(/publishes the app role User.Read.All as 00000000-1111-2222-3333-444444444444/);
    expect(() => checkPublishedIds("the app role", roles, {})).toThrow(/has no the app role named User.Read.All/);
  });
});

describe("least privilege (policies/rules/pipeline-identity-least-privilege.ts)", () => {
  const checked = Object.values(AZUREAD_TYPES) as string[];
  const violations = async (r: Registered) =>
    runResourcePolicy(
      pipelineIdentityLeastPrivilege,
      createResourceValidationArgs(r.inputs, { type: r.type, name: r.name }),
    );

  for (const mode of ["appOnly", "delegated"] as const) {
    it(`passes every resource the bootstrap creates (${mode})`, async () => {
      const { mine } = await build(`policy-${mode}`, mode);
      const relevant = mine.filter((r) => checked.includes(r.type));
      expect(relevant).toHaveLength(mode === "appOnly" ? 4 : 6); // apps, app role assignments, the delegated grant
      for (const r of relevant) expect(await violations(r), `${r.type} ${r.name}`).toEqual({ violations: [] });
    });
  }

  it("with auditEvidence, grants AuditLog.Read.All and Directory.Read.All, which the policy allows only with auditEvidence: true", async () => {
    const { mine, identity } = await build("policy-audit", "appOnly", true);
    expect(identity.grantedAppRoles).toEqual([
      "User.Read.All",
      "Organization.Read.All",
      "OnPremDirectorySynchronization.ReadWrite.All",
      "AuditLog.Read.All",
      "Directory.Read.All",
    ]);
    const app = mine.find((r) => r.type === T.app) as Registered;
    const ids = (app.inputs.requiredResourceAccesses as { resourceAccesses: { id: string }[] }[])[0]?.resourceAccesses;
    expect(ids?.map((a) => a.id)).toEqual(
      expect.arrayContaining(["b0afded3-3588-46d8-8b3d-9842eff778da", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"]),
    );
    const allowed = { auditEvidence: true };
    for (const r of mine.filter((x) => checked.includes(x.type))) {
      expect(
        await runResourcePolicy(
          pipelineIdentityLeastPrivilege,
          createResourceValidationArgs(r.inputs, { type: r.type, name: r.name, config: allowed }),
        ),
        `${r.type} ${r.name}`,
      ).toEqual({ violations: [] });
    }
    expect((await violations(app)).violations.map((v) => v.message).join("\n")).toMatch(/auditEvidence: true/);
  });

  it("would catch a broader permission added to the bootstrap's application (the check is live)", async () => {
    const { of } = await build("policy-control", "appOnly");
    const app = structuredClone(of(T.app)[0] as Registered);
    const accesses = app.inputs.requiredResourceAccesses as { resourceAccesses: { id: string; type: string }[] }[];
    accesses[0]?.resourceAccesses.push({ id: "19dbc75e-c2e2-444c-a770-ec69d8559fc7", type: "Role" }); // Directory.ReadWrite.All
    const { violations: found } = await violations(app);
    expect(found.map((f) => f.message).join("\n")).toMatch(/Directory\.ReadWrite\.All/);
  });
});

describe("bootstrap configuration", () => {
  const reader = (values: Record<string, unknown>) => ({
    get: (k: string) => values[k] as string | undefined,
    getObject: <T>(k: string) => values[k] as T | undefined,
  });

  const base = {
    azureDevOpsOrganization: "contoso",
    azureDevOpsOrganizationId: "7f3b1c52-0d6e-4f4a-9b8e-2a1c3d4e5f60",
    azureDevOpsProject: "identity",
    serviceConnectionName: "syncgap-contoso",
  };

  it("builds the classic issuer and subject from the organization, project and service connection", () => {
    const args = readBootstrapConfig(reader(base));
    expect(args.federation).toEqual({
      issuer: "https://vstoken.dev.azure.com/7f3b1c52-0d6e-4f4a-9b8e-2a1c3d4e5f60",
      subject: "sc://contoso/identity/syncgap-contoso",
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(args.enforcementIdentity).toBe("appOnly");
    expect(args.displayName).toBe("syncgap pipeline");
    expect(args.auditEvidence).toBeUndefined();
    expect(readBootstrapConfig(reader({ ...base, auditEvidence: "true" })).auditEvidence).toBe(true);
    expect(() => readBootstrapConfig(reader({ ...base, auditEvidence: "yes" }))).toThrow(/auditEvidence is "yes"/);
  });

  it("takes the issuer and subject as Azure DevOps shows them, when given", () => {
    const args = readBootstrapConfig(
      reader({
        federationIssuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        federationSubject: "/eid1/c/pub/t/abc/a/def/sc/7f3b1c52/0d6e",
        enforcementIdentity: "delegated",
      }),
    );
    expect(args.federation.issuer).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0`);
    expect(args.federation.subject).toBe("/eid1/c/pub/t/abc/a/def/sc/7f3b1c52/0d6e");
    expect(args.enforcementIdentity).toBe("delegated");
  });

  it("says what is missing or wrong, all at once", () => {
    expect(() =>
      readBootstrapConfig(
        reader({ azureDevOpsOrganizationId: "not-a-guid", enforcementIdentity: "both", owners: ["x"] }),
      ),
    ).toThrow(BootstrapConfigError);
    try {
      readBootstrapConfig(
        reader({ azureDevOpsOrganizationId: "not-a-guid", enforcementIdentity: "both", owners: ["x"] }),
      );
    } catch (e) {
      const m = (e as Error).message;
      expect(m).toContain('enforcementIdentity is "both"');
      expect(m).toContain('azureDevOpsOrganizationId "not-a-guid" is not a GUID');
      expect(m).toContain(
        "set azureDevOpsOrganization, azureDevOpsProject, serviceConnectionName (or federationSubject)",
      );
      expect(m).toContain('owners: "x" is not an object id');
    }
  });
});
