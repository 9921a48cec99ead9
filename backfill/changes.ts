/**
 * One guarded change of AD `mobile`, the unit apply, undo and the emitted LDIF share.
 *
 * The guard is the change itself, so the DC — not a read made a moment earlier — refuses a write over a value that
 * changed: one LDAP modify (atomic: all of its changes or none, RFC 4511 4.6) with
 *   - `delete: mobile` of the exact value seen, when one was seen: the DC answers noSuchAttribute (16) when the
 *     attribute holds anything else now;
 *   - then `add: mobile` of the new value: on its own (nothing was seen), the DC answers attributeOrValueExists (20)
 *     when a value appeared meanwhile, as `mobile` is single-valued
 *     (https://learn.microsoft.com/windows/win32/adschema/a-mobile).
 * The LDAP assertion control (RFC 4528) would say the same more directly, but neither Active Directory nor Samba
 * lists it (1.3.6.1.1.12) in the rootDSE's supportedControl. A plain `replace` is never used: it overwrites whatever
 * is there.
 */
export interface GuardedChange {
  /** Where to write (the user's DN as the DC names it). */
  dn: string;
  objectGuid: string;
  userPrincipalName: string;
  /** The value that must be there (null: none). */
  from: string | null;
  /** The value to leave there (null: none, i.e. the undo of a back-fill into an empty mobile). */
  to: string | null;
}

export interface MobileOp {
  operation: "delete" | "add";
  value: string;
}

export function changeOps(c: Pick<GuardedChange, "from" | "to">): MobileOp[] {
  const ops: MobileOp[] = [];
  if (c.from !== null) ops.push({ operation: "delete", value: c.from });
  if (c.to !== null) ops.push({ operation: "add", value: c.to });
  return ops;
}

/** The change that puts back what `c` replaced, guarded by what `c` wrote. */
export function inverse(c: GuardedChange): GuardedChange {
  return { ...c, from: c.to, to: c.from };
}

/** LDAP result codes the guard produces: the value changed underneath, so the user is skipped, never overwritten. */
export const GUARD_CODES: ReadonlySet<number> = new Set([16, 20]);
