/**
 * A read's synced Entra ID users, packed (../../ad/packedRecords.ts): `at(i)` gives one back as an EntraUser.
 */

import { type Field, RecordTable } from "../../ad/packedRecords";
import type { EntraUser } from "../types";

// Field order: what the join reads for every user first.
export const IMMUTABLE_ID = 0;
export const MOBILE = 1;
const SID = 2;
const SAM = 3;
/** Left undefined when it equals the UPN (the usual case): a flag says so. */
const ON_PREM_UPN = 4;
const UPN = 5;
const ID = 6;
const DISPLAY_NAME = 7;
const DEPARTMENT = 8;
const ON_PREM_DN = 9;
const FIELDS = 10;

// Flags: three tri-state booleans (undefined, null, false, true) in two bits each, and one bit.
const ACCOUNT_ENABLED = 0;
const SYNC_ENABLED = 2;
const CLOUD_MANAGED = 4;
const ON_PREM_UPN_IS_UPN = 1 << 6;

const tri = (v: boolean | null | undefined, shift: number) =>
  (v === undefined ? 0 : v === null ? 1 : v ? 3 : 2) << shift;
const untri = (flags: number, shift: number): boolean | null | undefined => {
  const v = (flags >> shift) & 3;
  return v === 0 ? undefined : v === 1 ? null : v === 3;
};

export class EntraUsers extends RecordTable<EntraUser> {
  constructor() {
    super(FIELDS);
  }

  static from(users: Iterable<EntraUser>): EntraUsers {
    const t = new EntraUsers();
    for (const u of users) t.push(u);
    return t;
  }

  push(u: EntraUser): void {
    const row = this.row;
    const sameUpn = u.onPremisesUserPrincipalName === u.userPrincipalName;
    row[IMMUTABLE_ID] = u.onPremisesImmutableId;
    row[MOBILE] = u.mobilePhone;
    row[SID] = u.onPremisesSecurityIdentifier;
    row[SAM] = u.onPremisesSamAccountName;
    row[ON_PREM_UPN] = sameUpn ? undefined : u.onPremisesUserPrincipalName;
    row[UPN] = u.userPrincipalName;
    row[ID] = u.id;
    row[DISPLAY_NAME] = u.displayName;
    row[DEPARTMENT] = u.department;
    row[ON_PREM_DN] = u.onPremisesDistinguishedName;
    const flags =
      tri(u.accountEnabled, ACCOUNT_ENABLED) |
      tri(u.onPremisesSyncEnabled, SYNC_ENABLED) |
      tri(u.cloudManaged, CLOUD_MANAGED) |
      (sameUpn ? ON_PREM_UPN_IS_UPN : 0);
    this.add(flags);
  }

  immutableId(i: number): Field {
    return this.packed.get(i, IMMUTABLE_ID);
  }
  mobilePhone(i: number): Field {
    return this.packed.get(i, MOBILE);
  }
  securityIdentifier(i: number): Field {
    return this.packed.get(i, SID);
  }
  samAccountName(i: number): Field {
    return this.packed.get(i, SAM);
  }
  onPremisesUserPrincipalName(i: number): Field {
    return this.packed.flags(i) & ON_PREM_UPN_IS_UPN ? this.packed.get(i, UPN) : this.packed.get(i, ON_PREM_UPN);
  }
  id(i: number): string {
    return this.packed.get(i, ID) as string;
  }
  userPrincipalName(i: number): string {
    return this.packed.get(i, UPN) as string;
  }
  cloudManaged(i: number): boolean {
    return untri(this.packed.flags(i), CLOUD_MANAGED) === true;
  }

  /** The user as the reader built it (properties it had undefined are left out). */
  at(i: number): EntraUser {
    const t = this.packed;
    const flags = t.flags(i);
    const upn = t.get(i, UPN) as string;
    const u: EntraUser = { id: t.get(i, ID) as string, userPrincipalName: upn };
    const set = (k: keyof EntraUser, v: Field | boolean) => {
      if (v !== undefined) (u as unknown as Record<string, unknown>)[k] = v;
    };
    set("mobilePhone", t.get(i, MOBILE));
    set("onPremisesImmutableId", t.get(i, IMMUTABLE_ID));
    set("onPremisesSecurityIdentifier", t.get(i, SID));
    set("onPremisesSamAccountName", t.get(i, SAM));
    set("onPremisesUserPrincipalName", flags & ON_PREM_UPN_IS_UPN ? upn : t.get(i, ON_PREM_UPN));
    set("onPremisesDistinguishedName", t.get(i, ON_PREM_DN));
    set("onPremisesSyncEnabled", untri(flags, SYNC_ENABLED));
    set("accountEnabled", untri(flags, ACCOUNT_ENABLED));
    set("displayName", t.get(i, DISPLAY_NAME));
    set("department", t.get(i, DEPARTMENT));
    set("cloudManaged", untri(flags, CLOUD_MANAGED));
    return u;
  }
}
