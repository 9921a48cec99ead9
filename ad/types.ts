/**
 * One on-prem AD user as syncgap sees it, whatever it was read from (live LDAP, PowerShell CSV export, LDIF).
 *
 * Identifiers follow what Entra Connect does with them
 * (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts#sourceanchor):
 * the sourceAnchor is `mS-DS-ConsistencyGuid` when set, else `objectGUID`; Entra ID stores it base64-encoded
 * as `onPremisesImmutableId`. `objectSid` becomes `onPremisesSecurityIdentifier`.
 */
export interface AdUser {
  distinguishedName: string;
  userPrincipalName?: string;
  sAMAccountName?: string;
  displayName?: string;
  /** AD `department` (single-valued), for the reports' grouping by department. */
  department?: string;
  /** AD `mobile` (single-valued), as written in AD. */
  mobile?: string;
  /** AD `otherMobile` (multi-valued); empty when unset. Graph has no property for it. */
  otherMobile: string[];
  /** Canonical GUID string of `objectGUID` (lower-case, 8-4-4-4-12, .NET byte order). */
  objectGuid?: string;
  /** Canonical GUID string of `mS-DS-ConsistencyGuid`, when set. */
  consistencyGuid?: string;
  /** base64 of the sourceAnchor's raw 16 bytes: what Entra ID shows as `onPremisesImmutableId`. */
  immutableId?: string;
  /** `objectSid` as an SDDL string (S-1-5-21-…). */
  objectSid?: string;
  userAccountControl?: number;
  /** false when userAccountControl has ACCOUNTDISABLE (0x2). */
  enabled: boolean;
  whenChanged?: string;
  uSNChanged?: string;
}

/** Anything that yields AD users page by page (LDAP paged search, export-file parsers). */
export interface AdSource {
  /** Human-readable description for reports and errors, e.g. `ldaps://127.0.0.1:636 (OU=Users,DC=corp,…)`. */
  readonly description: string;
  pages(): AsyncIterable<AdUser[]>;
}
