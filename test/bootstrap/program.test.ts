/**
 * bootstrap/index.ts as a whole program under Pulumi's mocks: stack configuration in, exports out (what the guide
 * tells the reader to copy into Azure DevOps).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

const TENANT = "5d2a9c3e-6f1b-4c8e-9a7d-1b2c3d4e5f60";
const types: string[] = [];

beforeAll(() => {
  pulumi.runtime.setAllConfig({
    "syncgap-bootstrap:azureDevOpsOrganization": "contoso",
    "syncgap-bootstrap:azureDevOpsOrganizationId": "7f3b1c52-0d6e-4f4a-9b8e-2a1c3d4e5f60",
    "syncgap-bootstrap:azureDevOpsProject": "identity",
    "syncgap-bootstrap:serviceConnectionName": "syncgap-contoso",
    "syncgap-bootstrap:enforcementIdentity": "delegated",
  });
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        types.push(args.type);
        const state: Record<string, unknown> = { ...args.inputs, objectId: `obj-${args.name}` };
        if (args.type === "azuread:index/application:Application") state.clientId = `client-${args.name}`;
        return { id: `id-${args.name}`, state };
      },
      call(args) {
        if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal") {
          return {
            objectId: "graph-sp",
            appRoleIds: {
              "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
              "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
              "OnPremDirectorySynchronization.Read.All": "bb70e231-92dc-4729-aff5-697b3f04be95",
            },
            oauth2PermissionScopeIds: {
              "OnPremDirectorySynchronization.ReadWrite.All": "c2d95988-7604-4ba1-aaed-38a5f82a51c7",
            },
          };
        }
        if (args.token === "azuread:index/getClientConfig:getClientConfig") return { tenantId: TENANT };
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "syncgap-bootstrap",
    "prod",
    false,
  );
});

const value = <T>(o: pulumi.Output<T> | undefined): Promise<T | undefined> =>
  o ? new Promise((resolve) => o.apply(resolve)) : Promise.resolve(undefined);

describe("bootstrap program", () => {
  it("exports what Azure DevOps needs: tenant, client id, issuer, subject, permissions, delegated client id", async () => {
    const program = await import("../../bootstrap/index.js");
    expect(await value(program.tenantId)).toBe(TENANT);
    expect(await value(program.clientId)).toBe("client-syncgap-pipeline-app");
    expect(await value(program.federationIssuer)).toBe(
      "https://vstoken.dev.azure.com/7f3b1c52-0d6e-4f4a-9b8e-2a1c3d4e5f60",
    );
    expect(await value(program.federationSubject)).toBe("sc://contoso/identity/syncgap-contoso");
    expect(program.graphApplicationPermissions).toEqual([
      "User.Read.All",
      "Organization.Read.All",
      "OnPremDirectorySynchronization.Read.All",
    ]);
    expect(program.enforcementIdentity).toBe("delegated");
    expect(await value(program.delegatedClientId)).toBe("client-syncgap-pipeline-delegated-app");
    await pulumi.runtime.disconnect(); // waits for every outstanding registration
    expect(types.filter((t) => t.startsWith("azuread:")).sort()).toEqual(
      [
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/application:Application",
        "azuread:index/application:Application",
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
      ].sort(),
    );
  });
});
