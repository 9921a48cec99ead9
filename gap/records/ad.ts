/**
 * What the join keeps of an AD user, and the table that holds a directory's worth of them packed (../../ad/packedRecords.ts).
 */
import { immutableIdFromGuidString } from "../../ad/ids";
import { type Field, RecordTable } from "../../ad/packedRecords";
import type { AdUser } from "../../ad/types";

/** What the join keeps of an AD user (smaller than AdUser). */
export interface AdRecord {
  dn: string;
  upn?: string;
  sam?: string;
  displayName?: string;
  department?: string;
  mobile?: string;
  otherMobile: string[];
  /** Source anchor as Entra shows it. */
  immutableId?: string;
  /** base64 of objectGUID, when it differs from immutableId. */
  guidImmutableId?: string;
  sid?: string;
  enabled: boolean;
}

/** One empty otherMobile list for every user without one (most users): never written to. */
const NO_VALUES: string[] = Object.freeze([]) as unknown as string[];

export function toAdRecord(u: AdUser): AdRecord {
  let immutableId = u.immutableId;
  let guidImmutableId: string | undefined;
  try {
    if (!immutableId && u.consistencyGuid) immutableId = immutableIdFromGuidString(u.consistencyGuid);
    const fromGuid = u.objectGuid ? immutableIdFromGuidString(u.objectGuid) : undefined;
    if (!immutableId) immutableId = fromGuid;
    else if (fromGuid && fromGuid !== immutableId) guidImmutableId = fromGuid;
  } catch {
    // A malformed GUID string leaves the user matchable by the other keys.
  }
  const r: AdRecord = {
    dn: u.distinguishedName,
    otherMobile: u.otherMobile?.length ? u.otherMobile : NO_VALUES,
    enabled: u.enabled,
  };
  if (u.userPrincipalName) r.upn = u.userPrincipalName;
  if (u.sAMAccountName) r.sam = u.sAMAccountName;
  if (u.displayName) r.displayName = u.displayName;
  if (u.department) r.department = u.department;
  if (u.mobile !== undefined && u.mobile !== null) r.mobile = u.mobile;
  if (immutableId) r.immutableId = immutableId;
  if (guidImmutableId) r.guidImmutableId = guidImmutableId;
  if (u.objectSid) r.sid = u.objectSid;
  return r;
}

// Field order: what the join reads for every user first.
export const IMMUTABLE_ID = 0;
export const GUID_IMMUTABLE_ID = 1;
export const MOBILE = 2;
const SID = 3;
const SAM = 4;
const UPN = 5;
const DN = 6;
const DISPLAY_NAME = 7;
const DEPARTMENT = 8;
/** JSON of the list when it has values (a number may hold any character, so no separator would do). */
const OTHER_MOBILE = 9;
const FIELDS = 10;

const ENABLED = 1;

const str = (v: Field) => (typeof v === "string" ? v : undefined);

/** AD records, packed: `at(i)` gives one back as an AdRecord. */
export class AdRecords extends RecordTable<AdRecord> {
  constructor() {
    super(FIELDS);
  }

  static from(records: Iterable<AdRecord>): AdRecords {
    const t = new AdRecords();
    for (const r of records) t.push(r);
    return t;
  }

  push(r: AdRecord): void {
    const row = this.row;
    row[IMMUTABLE_ID] = r.immutableId;
    row[GUID_IMMUTABLE_ID] = r.guidImmutableId;
    row[MOBILE] = r.mobile;
    row[SID] = r.sid;
    row[SAM] = r.sam;
    row[UPN] = r.upn;
    row[DN] = r.dn;
    row[DISPLAY_NAME] = r.displayName;
    row[DEPARTMENT] = r.department;
    row[OTHER_MOBILE] = r.otherMobile.length ? JSON.stringify(r.otherMobile) : undefined;
    this.add(r.enabled ? ENABLED : 0);
  }

  immutableId(i: number): string | undefined {
    return str(this.packed.get(i, IMMUTABLE_ID));
  }
  guidImmutableId(i: number): string | undefined {
    return str(this.packed.get(i, GUID_IMMUTABLE_ID));
  }
  mobile(i: number): string | undefined {
    return str(this.packed.get(i, MOBILE));
  }
  sid(i: number): string | undefined {
    return str(this.packed.get(i, SID));
  }
  sam(i: number): string | undefined {
    return str(this.packed.get(i, SAM));
  }
  upn(i: number): string | undefined {
    return str(this.packed.get(i, UPN));
  }

  at(i: number): AdRecord {
    const t = this.packed;
    const other = str(t.get(i, OTHER_MOBILE));
    const r: AdRecord = {
      dn: t.get(i, DN) as string,
      otherMobile: other ? (JSON.parse(other) as string[]) : NO_VALUES,
      enabled: (t.flags(i) & ENABLED) !== 0,
    };
    const set = <K extends keyof AdRecord>(k: K, f: number) => {
      const v = str(t.get(i, f));
      if (v !== undefined) (r as unknown as Record<string, string>)[k] = v;
    };
    set("upn", UPN);
    set("sam", SAM);
    set("displayName", DISPLAY_NAME);
    set("department", DEPARTMENT);
    set("mobile", MOBILE);
    set("immutableId", IMMUTABLE_ID);
    set("guidImmutableId", GUID_IMMUTABLE_ID);
    set("sid", SID);
    return r;
  }
}
