import { describe, expect, it } from "vitest";
import { EntraUsers } from "../../../gap/records/entra";
import type { EntraUser } from "../../../gap/types";

describe("EntraUsers", () => {
  const full: EntraUser = {
    id: "6e7b768e-07e2-4810-8459-485f84f8f204",
    userPrincipalName: "zoe@corp.example",
    mobilePhone: "+1 425 555 0100",
    onPremisesImmutableId: "AAECAwQFBgcICQoLDA0ODw==",
    onPremisesSecurityIdentifier: "S-1-5-21-1-2-3-1104",
    onPremisesSamAccountName: "zoe",
    onPremisesUserPrincipalName: "zoe@corp.local",
    onPremisesDistinguishedName: "CN=Zoë,OU=Sales,DC=corp,DC=local",
    onPremisesSyncEnabled: true,
    accountEnabled: false,
    displayName: "Zoë",
    department: "Sales",
    cloudManaged: true,
  };

  it("gives back each user as the reader built it: null, undefined and false kept apart", () => {
    const nulls: EntraUser = {
      id: "b",
      userPrincipalName: "b@corp.example",
      mobilePhone: null,
      onPremisesImmutableId: null,
      onPremisesUserPrincipalName: null,
      onPremisesSyncEnabled: null,
      accountEnabled: null,
      department: null,
      cloudManaged: false,
    };
    const bare: EntraUser = { id: "c", userPrincipalName: "c@corp.example" };
    const sameUpn: EntraUser = {
      ...bare,
      id: "d",
      onPremisesUserPrincipalName: "c@corp.example",
      accountEnabled: true,
    };
    const t = EntraUsers.from([full, nulls, bare, sameUpn]);
    expect(t.toArray()).toEqual([full, nulls, bare, sameUpn]);
    // toEqual treats a missing property and an undefined one alike: say that none is set
    expect(Object.keys(t.at(2))).toEqual(["id", "userPrincipalName"]);
    expect(t.at(3).onPremisesUserPrincipalName).toBe("c@corp.example");
  });

  it("reads the join's fields one by one", () => {
    const t = EntraUsers.from([full, { id: "c", userPrincipalName: "c@corp.example" }]);
    expect([t.immutableId(0), t.mobilePhone(0), t.securityIdentifier(0), t.samAccountName(0)]).toEqual([
      full.onPremisesImmutableId,
      full.mobilePhone,
      full.onPremisesSecurityIdentifier,
      "zoe",
    ]);
    expect([t.onPremisesUserPrincipalName(0), t.userPrincipalName(0), t.cloudManaged(0)]).toEqual([
      "zoe@corp.local",
      "zoe@corp.example",
      true,
    ]);
    expect([t.immutableId(1), t.onPremisesUserPrincipalName(1), t.cloudManaged(1)]).toEqual([
      undefined,
      undefined,
      false,
    ]);
  });
});
