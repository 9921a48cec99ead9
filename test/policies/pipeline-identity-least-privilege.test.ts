import { describe, expect, it } from "vitest";
import { GRAPH_PERMISSIONS, MICROSOFT_GRAPH_APP_ID, SYNCGAP_GRAPH_PERMISSIONS } from "../../graph/permissions";
import { AZUREAD_TYPES, pipelineIdentityLeastPrivilege } from "../../policies/rules/pipeline-identity-least-privilege";
import { createResourceValidationArgs, runResourcePolicy, UNKNOWN_STRING } from "../support/policyArgs";

const id = (name: string, kind: "Role" | "Scope") => {
  const p = GRAPH_PERMISSIONS.find((x) => x.name === name && x.kind === kind);
  if (!p) throw new Error(`no ${kind} ${name} in the table`);
  return p.id;
};
const AZURE_DEVOPS_APP_ID = "499b84ac-1321-427f-aa17-267ca6975798";
const GRAPH_SP_OBJECT_ID = "6b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const UNKNOWN_ID = "12345678-90ab-4cde-8f01-234567890abc";

/** The happy path: the pipeline app requests exactly what syncgap needs. */
function applicationProps(extra: { id: string; type: string }[] = []) {
  return {
    displayName: "syncgap-pipeline",
    requiredResourceAccesses: [
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccesses: [
          ...SYNCGAP_GRAPH_PERMISSIONS.map((n) => ({ id: id(n, "Role"), type: "Role" })),
          { id: id("OnPremDirectorySynchronization.ReadWrite.All", "Scope"), type: "Scope" },
          { id: id("openid", "Scope"), type: "Scope" },
          ...extra,
        ],
      },
      { resourceAppId: AZURE_DEVOPS_APP_ID, resourceAccesses: [{ id: UNKNOWN_ID, type: "Scope" }] },
    ],
  };
}

const check = (props: Record<string, unknown>, type: string = AZUREAD_TYPES.application, config = {}) =>
  runResourcePolicy(
    pipelineIdentityLeastPrivilege,
    createResourceValidationArgs(props, { type, name: "pipeline", config }),
  );

describe("Graph permission table", () => {
  it("has no id twice and both kinds of every permission syncgap needs", () => {
    const ids = GRAPH_PERMISSIONS.map((p) => `${p.kind}:${p.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of SYNCGAP_GRAPH_PERMISSIONS) {
      expect(id(n, "Role")).toMatch(/^[0-9a-f-]{36}$/);
      expect(id(n, "Scope")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("pipeline-identity-least-privilege", () => {
  it("is mandatory", () => {
    expect(pipelineIdentityLeastPrivilege.enforcementLevel).toBe("mandatory");
  });

  it("passes an application that requests only what syncgap needs (other APIs are not its business)", async () => {
    expect((await check(applicationProps())).violations).toEqual([]);
  });

  it.each([
    "Directory.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
  ])("fails the application permission %s, naming it", async (permission) => {
    const { violations } = await check(applicationProps([{ id: id(permission, "Role"), type: "Role" }]));
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain(
      `grants the Microsoft Graph application permission ${permission} (${id(permission, "Role")})`,
    );
    expect(violations[0].message).toContain("allowedApplicationPermissions");
  });

  it("fails a delegated scope outside the scope allowlist", async () => {
    const { violations } = await check(
      applicationProps([{ id: id("Directory.AccessAsUser.All", "Scope"), type: "Scope" }]),
    );
    expect(violations[0].message).toContain("delegated permission Directory.AccessAsUser.All");
    expect(violations[0].message).toContain("allowedDelegatedPermissions");
  });

  it("fails an id it does not know: cannot verify, not a pass", async () => {
    const { violations } = await check(applicationProps([{ id: UNKNOWN_ID, type: "Role" }]));
    expect(violations[0].message).toContain(`application permission with id ${UNKNOWN_ID}`);
    expect(violations[0].message).toContain("that syncgap cannot verify");
  });

  it("fails a role id given as a scope, and says what the id is", async () => {
    const { violations } = await check(applicationProps([{ id: id("User.Read.All", "Role"), type: "Scope" }]));
    expect(violations[0].message).toContain("that id is the application permission User.Read.All");
  });

  it("fails a type that is neither Role nor Scope", async () => {
    const { violations } = await check(applicationProps([{ id: id("User.Read.All", "Role"), type: "Admin" }]));
    expect(violations[0].message).toContain('with type "Admin"');
  });

  it("follows a configured allowlist", async () => {
    const props = applicationProps([{ id: id("Directory.Read.All", "Role"), type: "Role" }]);
    const allowed = [...SYNCGAP_GRAPH_PERMISSIONS, "Directory.Read.All"];
    expect(
      (await check(props, AZUREAD_TYPES.application, { allowedApplicationPermissions: allowed })).violations,
    ).toEqual([]);
  });

  it("allows the audit-evidence permissions only with auditEvidence: true, and says so when they are refused", async () => {
    const props = applicationProps([
      { id: id("AuditLog.Read.All", "Role"), type: "Role" },
      { id: id("Directory.Read.All", "Role"), type: "Role" },
    ]);
    const refused = (await check(props)).violations.map((v) => v.message);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toContain("AuditLog.Read.All");
    expect(refused[0]).toContain("set the policy config auditEvidence: true");
    expect((await check(props, AZUREAD_TYPES.application, { auditEvidence: true })).violations).toEqual([]);
    // it does not open anything else
    const broader = applicationProps([{ id: id("Directory.ReadWrite.All", "Role"), type: "Role" }]);
    const r = await check(broader, AZUREAD_TYPES.application, { auditEvidence: true });
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0].message).not.toContain("auditEvidence");
  });

  it("names ids added through knownPermissions (knowing is not allowing)", async () => {
    const props = applicationProps([{ id: UNKNOWN_ID, type: "Role" }]);
    const config = { knownPermissions: [{ name: "Example.ReadWrite.All", kind: "Role", id: UNKNOWN_ID }] };
    const { violations } = await check(props, AZUREAD_TYPES.application, config);
    expect(violations[0].message).toContain("application permission Example.ReadWrite.All");
  });

  it("checks the known ids and reports values unknown during preview for `up` to check", async () => {
    const props = applicationProps([
      { id: UNKNOWN_STRING, type: "Role" },
      { id: id("Directory.ReadWrite.All", "Role"), type: "Role" },
    ]);
    const r = await check(props);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0].message).toContain("Directory.ReadWrite.All");
    expect(r.unknown).toMatch(/can't be known during preview/);
  });

  describe("ApplicationApiAccess", () => {
    const api = (roleIds: string[], scopeIds: string[] = [], apiClientId = MICROSOFT_GRAPH_APP_ID) => ({
      applicationId: "/applications/00000000-0000-0000-0000-000000000001",
      apiClientId,
      roleIds,
      scopeIds,
    });
    it("passes the roles syncgap needs", async () => {
      const props = api([id("User.Read.All", "Role")], [id("offline_access", "Scope")]);
      expect((await check(props, AZUREAD_TYPES.applicationApiAccess)).violations).toEqual([]);
    });
    it("fails a forbidden role", async () => {
      const { violations } = await check(
        api([id("Application.ReadWrite.All", "Role")]),
        AZUREAD_TYPES.applicationApiAccess,
      );
      expect(violations[0].message).toContain("Application.ReadWrite.All");
      expect(violations[0].message).toContain("roleIds[0]");
    });
    it("ignores other APIs", async () => {
      const props = api([UNKNOWN_ID], [], AZURE_DEVOPS_APP_ID);
      expect((await check(props, AZUREAD_TYPES.applicationApiAccess)).violations).toEqual([]);
    });
  });

  describe("AppRoleAssignment", () => {
    const assignment = (appRoleId: string, resourceObjectId = GRAPH_SP_OBJECT_ID) => ({
      appRoleId,
      principalObjectId: "7c6b5a49-3827-4165-9483-7261504f3e2d",
      resourceObjectId,
    });
    it("passes a Graph role syncgap needs", async () => {
      const props = assignment(id("OnPremDirectorySynchronization.ReadWrite.All", "Role"));
      expect((await check(props, AZUREAD_TYPES.appRoleAssignment)).violations).toEqual([]);
    });
    it("fails AppRoleAssignment.ReadWrite.All", async () => {
      const props = assignment(id("AppRoleAssignment.ReadWrite.All", "Role"));
      const { violations } = await check(props, AZUREAD_TYPES.appRoleAssignment);
      expect(violations[0].message).toContain("application permission AppRoleAssignment.ReadWrite.All");
    });
    it("fails an unknown role id on a service principal it cannot place", async () => {
      const { violations } = await check(assignment(UNKNOWN_ID), AZUREAD_TYPES.appRoleAssignment);
      expect(violations[0].message).toContain("syncgap cannot verify it");
      expect(violations[0].message).toContain("graphServicePrincipalObjectIds");
    });
    it("fails an unknown role id on the configured Graph service principal", async () => {
      const config = { graphServicePrincipalObjectIds: [GRAPH_SP_OBJECT_ID] };
      const { violations } = await check(assignment(UNKNOWN_ID), AZUREAD_TYPES.appRoleAssignment, config);
      expect(violations[0].message).toContain("that syncgap cannot verify");
    });
    it("passes a role on a service principal configured as not Graph", async () => {
      const config = { nonGraphResourceObjectIds: [GRAPH_SP_OBJECT_ID] };
      expect((await check(assignment(UNKNOWN_ID), AZUREAD_TYPES.appRoleAssignment, config)).violations).toEqual([]);
    });
    it("passes the default-access role (never Graph's)", async () => {
      const props = assignment("00000000-0000-0000-0000-000000000000");
      expect((await check(props, AZUREAD_TYPES.appRoleAssignment)).violations).toEqual([]);
    });
  });

  describe("ServicePrincipalDelegatedPermissionGrant", () => {
    const grant = (claimValues: string[]) => ({
      claimValues,
      resourceServicePrincipalObjectId: GRAPH_SP_OBJECT_ID,
      servicePrincipalObjectId: "7c6b5a49-3827-4165-9483-7261504f3e2d",
    });
    it("passes the scopes syncgap needs", async () => {
      const props = grant(["OnPremDirectorySynchronization.ReadWrite.All", "User.Read.All", "offline_access"]);
      expect((await check(props, AZUREAD_TYPES.delegatedPermissionGrant)).violations).toEqual([]);
    });
    it("fails a broader scope", async () => {
      const { violations } = await check(
        grant(["User.Read.All", "Directory.ReadWrite.All"]),
        AZUREAD_TYPES.delegatedPermissionGrant,
      );
      expect(violations).toHaveLength(1);
      expect(violations[0].message).toContain("delegated permission Directory.ReadWrite.All");
    });
    it("fails scopes it cannot place", async () => {
      const { violations } = await check(grant(["access_as_user"]), AZUREAD_TYPES.delegatedPermissionGrant);
      expect(violations[0].message).toContain("syncgap cannot verify it");
    });
  });
});
