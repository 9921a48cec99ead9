/**
 * Builders for the gap tests: a valid AD user and its synced Entra ID twin, made once; each test changes one thing.
 */
import { immutableIdFromGuidString } from "../../ad/ids";
import type { AdSource, AdUser } from "../../ad/types";
import type { EntraUser } from "../../gap/types";

let n = 0;

/** A GUID string derived from a number (deterministic). */
export function guid(i: number): string {
  const h = i.toString(16).padStart(12, "0");
  return `0000${h.slice(0, 4)}-1111-4222-8333-${h}`;
}

export function sid(i: number): string {
  return `S-1-5-21-2718281828-3141592653-1414213562-${1000 + i}`;
}

/** An enabled AD user with UPN, sAMAccountName, objectGUID, objectSid and mobile +14255550100+i. */
export function adUser(over: Partial<AdUser> = {}, i = ++n): AdUser {
  const sam = `user${i}`;
  const objectGuid = guid(i);
  return {
    distinguishedName: `CN=User ${i},OU=Corp Users,DC=corp,DC=example,DC=test`,
    userPrincipalName: `${sam}@corp.example.test`,
    sAMAccountName: sam,
    displayName: `User ${i}`,
    mobile: `+1425555${String(i % 10000).padStart(4, "0")}`,
    otherMobile: [],
    objectGuid,
    immutableId: immutableIdFromGuidString(objectGuid),
    objectSid: sid(i),
    enabled: true,
    ...over,
  };
}

/** The synced Entra ID user Entra Connect would have made from `ad` (same mobile, so InSync). */
export function entraTwin(ad: AdUser, over: Partial<EntraUser> = {}): EntraUser {
  return {
    id: `e-${ad.objectGuid ?? ad.sAMAccountName}`,
    userPrincipalName: ad.userPrincipalName ?? `${ad.sAMAccountName}@contoso.onmicrosoft.com`,
    displayName: ad.displayName ?? null,
    mobilePhone: ad.mobile ?? null,
    onPremisesImmutableId: ad.immutableId ?? null,
    onPremisesSecurityIdentifier: ad.objectSid ?? null,
    onPremisesSamAccountName: ad.sAMAccountName ?? null,
    onPremisesUserPrincipalName: ad.userPrincipalName ?? null,
    onPremisesDistinguishedName: ad.distinguishedName,
    onPremisesSyncEnabled: true,
    accountEnabled: ad.enabled,
    ...over,
  };
}

export function memorySource(users: AdUser[], pageSize = 2, description = "in-memory test AD"): AdSource {
  return {
    description,
    async *pages() {
      for (let i = 0; i < users.length; i += pageSize) yield users.slice(i, i + pageSize);
    },
  };
}

/** An AdSource whose read fails after `okPages` pages (a dropped connection, a DC that went away). */
export function failingSource(users: AdUser[], okPages: number, message = "connection reset by peer"): AdSource {
  return {
    description: "flaky test AD",
    async *pages() {
      for (let p = 0; p < okPages; p++) yield users.slice(p, p + 1);
      throw new Error(message);
    },
  };
}

/** What the crafted directories (here, the Graph tests' and the live DC's) hold: one user in every gap category. */
export const ONE_GAP_PER_CATEGORY = {
  MissingInEntra: 1,
  ValueMismatch: 1,
  CloudOnly: 1,
  FormatOnly: 1,
  NotInAD: 1,
  NotInEntra: 1,
  // the crafted directories hold no cloud-managed user: test/gap/join.test.ts covers that category on its own
  CloudManaged: 0,
} as const;

/**
 * One crafted pair per category (plus the unmatched ones). Keys are the category names the pair must produce.
 */
export function craftedDirectory(): { ad: AdUser[]; entra: EntraUser[]; expect: Record<string, string> } {
  const inSync = adUser({
    sAMAccountName: "insync",
    userPrincipalName: "insync@corp.example.test",
    mobile: "+14255550100",
  });
  const bothEmpty = adUser({
    sAMAccountName: "bothempty",
    userPrincipalName: "bothempty@corp.example.test",
    mobile: undefined,
  });
  const missing = adUser({
    sAMAccountName: "missing",
    userPrincipalName: "missing@corp.example.test",
    mobile: "+14255550101",
  });
  const mismatch = adUser({
    sAMAccountName: "mismatch",
    userPrincipalName: "mismatch@corp.example.test",
    mobile: "+14255550102",
  });
  const format = adUser({
    sAMAccountName: "format",
    userPrincipalName: "format@corp.example.test",
    mobile: "+1 425 555 0103",
  });
  const cloudOnly = adUser({
    sAMAccountName: "cloudonly",
    userPrincipalName: "cloudonly@corp.example.test",
    mobile: undefined,
  });
  const notInEntra = adUser({
    sAMAccountName: "notinentra",
    userPrincipalName: "notinentra@corp.example.test",
    mobile: "+14255550105",
    otherMobile: ["+14255550205", "+1 425 555 0305"],
  });
  const ad = [inSync, bothEmpty, missing, mismatch, format, cloudOnly, notInEntra];
  const entra = [
    entraTwin(inSync),
    entraTwin(bothEmpty),
    entraTwin(missing, { mobilePhone: null }),
    entraTwin(mismatch, { mobilePhone: "+14255559999" }),
    entraTwin(format, { mobilePhone: "+14255550103" }),
    entraTwin(cloudOnly, { mobilePhone: "+14255550104" }),
    {
      id: "e-orphan",
      userPrincipalName: "orphan@corp.example.test",
      mobilePhone: "+14255550106",
      onPremisesImmutableId: immutableIdFromGuidString(guid(999_999)),
      onPremisesSecurityIdentifier: sid(999_999),
      onPremisesSamAccountName: "orphan",
      onPremisesUserPrincipalName: "orphan@corp.example.test",
      onPremisesSyncEnabled: true,
      accountEnabled: true,
    },
  ];
  return {
    ad,
    entra,
    expect: {
      "insync@corp.example.test": "InSync",
      "bothempty@corp.example.test": "InSync",
      "missing@corp.example.test": "MissingInEntra",
      "mismatch@corp.example.test": "ValueMismatch",
      "format@corp.example.test": "FormatOnly",
      "cloudonly@corp.example.test": "CloudOnly",
      "notinentra@corp.example.test": "NotInEntra",
      "orphan@corp.example.test": "NotInAD",
    },
  };
}

/** A Graph export with a JSON syntax error on line 3 (kept out of the fixtures folder: it is not JSON). */
export const MALFORMED_ENTRA_JSON =
  '[\n  {"id": "a", "userPrincipalName": "a@x.test"},\n  {"id": "b" "userPrincipalName": "b@x.test"}\n]\n';
