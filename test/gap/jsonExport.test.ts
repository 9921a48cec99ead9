import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEntraJsonFile } from "../../gap/entra/jsonExport";
import { entraExportFailure } from "../support/entraExport";
import { MALFORMED_ENTRA_JSON } from "../support/gapUsers";

const fx = (name: string) => join(__dirname, "../fixtures/gap", name);

describe("Graph JSON export files", () => {
  it("reads an array of users and leaves out those that are not synced", () => {
    const x = readEntraJsonFile(fx("entra-users.json"));
    expect(x.users.toArray().map((u) => u.userPrincipalName)).toEqual([
      "alice.baker@corp.example.test",
      "bob.chen@corp.example.test",
    ]);
    expect(x.info).toMatchObject({ kind: "json", users: 2, mode: "export" });
    expect(x.info.skipped).toEqual([{ count: 1, reason: expect.stringMatching(/not true/) }]);
    expect(x.users.toArray()[1].mobilePhone).toBeNull();
  });

  it("takes onPremisesSyncBehavior.isCloudManaged from a beta export", () => {
    const path = join(tmpdir(), `syncgap-cloud-managed-${process.pid}.json`);
    const user = (id: string, managed?: boolean) => ({
      id,
      userPrincipalName: `${id}@corp.example.test`,
      onPremisesSyncEnabled: true,
      ...(managed === undefined ? {} : { onPremisesSyncBehavior: { isCloudManaged: managed } }),
    });
    writeFileSync(path, JSON.stringify([user("a", true), user("b", false), user("c")]));
    expect(
      readEntraJsonFile(path)
        .users.toArray()
        .map((u) => u.cloudManaged),
    ).toEqual([true, false, undefined]);
  });

  it("reads department, camelCase or PascalCase, and refuses one longer than Graph allows", () => {
    const path = join(tmpdir(), `syncgap-department-${process.pid}.json`);
    const base = { onPremisesSyncEnabled: true };
    writeFileSync(
      path,
      JSON.stringify([
        { ...base, id: "a", userPrincipalName: "a@corp.example.test", department: "Sales" },
        { ...base, Id: "b", UserPrincipalName: "b@corp.example.test", Department: "Finance" },
        { ...base, id: "c", userPrincipalName: "c@corp.example.test", department: null },
      ]),
    );
    expect(
      readEntraJsonFile(path)
        .users.toArray()
        .map((u) => u.department),
    ).toEqual(["Sales", "Finance", null]);
    writeFileSync(
      path,
      JSON.stringify([{ ...base, id: "d", userPrincipalName: "d@x.test", department: "x".repeat(65) }]),
    );
    expect(entraExportFailure(path).message).toMatch(/department is 65 characters; it holds at most 64/);
  });

  it("reads an array of Graph pages", () => {
    const x = readEntraJsonFile(fx("entra-pages.json"));
    expect(x.users.toArray().map((u) => u.mobilePhone)).toEqual(["+14255550100", "+1 425 555 0101"]);
    expect(x.info.description).toMatch(/2 pages/);
  });

  it("reads Microsoft Graph PowerShell output (PascalCase names, BOM)", () => {
    const p = join(tmpdir(), `syncgap-ps-${process.pid}.json`);
    writeFileSync(p, `\ufeff${require("node:fs").readFileSync(fx("entra-powershell.json"), "utf8")}`);
    const x = readEntraJsonFile(p);
    expect(x.users.toArray()[0]).toMatchObject({
      id: "4a1e0c5e-0001-4000-8000-000000000001",
      mobilePhone: "+14255550100",
      onPremisesSyncEnabled: true,
    });
  });

  it("says where malformed JSON breaks (line and column)", () => {
    const p = join(tmpdir(), `syncgap-malformed-${process.pid}.json`);
    writeFileSync(p, MALFORMED_ENTRA_JSON);
    const e = entraExportFailure(p);
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/not valid JSON: .*line 3 column \d+/);
  });

  it("names the JSON pointer of a bad value", () => {
    expect(entraExportFailure(fx("entra-bad-user.json")).message).toMatch(
      /expected a string or null, found number 4255550100 \(at JSON pointer \/1\/value\/0\/mobilePhone\)/,
    );
  });

  it("refuses a file that mixes users and pages", () => {
    expect(entraExportFailure(fx("entra-mixed.json")).message).toMatch(/at JSON pointer \/1\)/);
  });

  it("reads one Graph page saved as it came ({ value: [...] })", () => {
    const x = readEntraJsonFile(fx("entra-single-page.json"));
    expect(x.users.toArray().map((u) => u.id)).toEqual(["a"]);
    expect(x.info.description).toMatch(/one Graph page/);
  });

  it("refuses users without id or UPN, and duplicates", () => {
    const p = join(tmpdir(), `syncgap-bad-${process.pid}.json`);
    writeFileSync(p, JSON.stringify([{ userPrincipalName: "a@x.test" }]));
    expect(entraExportFailure(p).message).toMatch(/the user has no id \(at JSON pointer \/0\)/);
    writeFileSync(
      p,
      JSON.stringify([
        { id: "a", userPrincipalName: "a@x.test" },
        { id: "a", userPrincipalName: "b@x.test" },
      ]),
    );
    expect(entraExportFailure(p).message).toMatch(/user id a appears twice/);
  });

  it("reports a missing file as such", () => {
    expect(entraExportFailure("/nonexistent/users.json").message).toMatch(/cannot read the file.*--entra-json/);
  });
});
