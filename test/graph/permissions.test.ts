import { describe, expect, it } from "vitest";
import { describeGraphError, permissionHint } from "../../graph/errors";
import {
  AUDIT_EVIDENCE_PERMISSIONS,
  GRAPH_PERMISSIONS,
  SYNCGAP_GRAPH_PERMISSIONS,
  SYNCGAP_NEEDS,
} from "../../graph/permissions";

describe("the table of what syncgap asks of Graph", () => {
  it("needs exactly the four permissions docs/policies.md names, and the audit pair only as an option", () => {
    expect([...SYNCGAP_GRAPH_PERMISSIONS]).toEqual([
      "User.Read.All",
      "Organization.Read.All",
      "OnPremDirectorySynchronization.Read.All",
      "OnPremDirectorySynchronization.ReadWrite.All",
    ]);
    expect([...AUDIT_EVIDENCE_PERMISSIONS]).toEqual(["AuditLog.Read.All", "Directory.Read.All"]);
  });

  it("has an application id for every permission it names, and a hint that names them", () => {
    for (const [name, need] of Object.entries(SYNCGAP_NEEDS)) {
      for (const p of need.permissions) {
        expect(
          GRAPH_PERMISSIONS.some((g) => g.name === p && g.kind === "Role"),
          `${name}: ${p}`,
        ).toBe(true);
        expect(need.hint, name).toContain(p);
      }
      expect(need.doc, name).toMatch(/^https:\/\/learn\.microsoft\.com\/graph\/api\//);
    }
  });

  it("is what a refused call tells the user", () => {
    const refused = Object.assign(new Error("Insufficient privileges to complete the operation."), {
      statusCode: 403,
      code: "Authorization_RequestDenied",
    });
    const err = describeGraphError("GET /organization", refused, permissionHint("organizationRead"));
    expect(err.message).toContain("Organization.Read.All");
    expect(err.message).toContain("https://learn.microsoft.com/graph/api/organization-get");
  });
});
