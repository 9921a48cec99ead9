/**
 * Users of the local tenant: the Graph `user` properties the emulator models, and a store built for paging large
 * directories (an array in creation order plus Map indexes, and a change log ordered by change counter for delta).
 */
import { randomUUID } from "node:crypto";
import { badRequest } from "./errors";

export type UserPropType = "string" | "boolean" | "stringArray" | "datetime";

export interface UserPropDef {
  type: UserPropType;
  /** Never writable through PATCH. */
  readOnly?: boolean;
  /** Mastered on-premises: PATCH refused on synced users (mobilePhone is the DirSync-override exception). */
  onPremMastered?: boolean;
  /** Returned when the request has no `$select` (Graph v1.0 default property set). */
  default?: boolean;
  maxLength?: number;
}

/**
 * Modelled properties of microsoft.graph.user, in the order they are serialised. Default set per
 * https://learn.microsoft.com/graph/api/user-list ("By default, only a limited set of properties are returned:
 * businessPhones, displayName, givenName, id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname,
 * and userPrincipalName").
 */
export const USER_PROPS: Record<string, UserPropDef> = {
  businessPhones: { type: "stringArray", default: true, onPremMastered: true },
  displayName: { type: "string", default: true, onPremMastered: true, maxLength: 256 },
  givenName: { type: "string", default: true, onPremMastered: true, maxLength: 64 },
  jobTitle: { type: "string", default: true, onPremMastered: true, maxLength: 128 },
  mail: { type: "string", default: true, onPremMastered: true },
  mobilePhone: { type: "string", default: true, onPremMastered: true, maxLength: 64 },
  officeLocation: { type: "string", default: true, onPremMastered: true },
  preferredLanguage: { type: "string", default: true },
  surname: { type: "string", default: true, onPremMastered: true, maxLength: 64 },
  userPrincipalName: { type: "string", default: true, onPremMastered: true },
  id: { type: "string", default: true, readOnly: true },
  accountEnabled: { type: "boolean", onPremMastered: true },
  city: { type: "string", onPremMastered: true },
  companyName: { type: "string", onPremMastered: true },
  country: { type: "string", onPremMastered: true },
  createdDateTime: { type: "datetime", readOnly: true },
  deletedDateTime: { type: "datetime", readOnly: true },
  department: { type: "string", onPremMastered: true },
  employeeId: { type: "string", onPremMastered: true },
  mailNickname: { type: "string", onPremMastered: true },
  onPremisesDistinguishedName: { type: "string", readOnly: true },
  onPremisesDomainName: { type: "string", readOnly: true },
  onPremisesImmutableId: { type: "string", onPremMastered: true },
  onPremisesLastSyncDateTime: { type: "datetime", readOnly: true },
  onPremisesSamAccountName: { type: "string", readOnly: true },
  onPremisesSecurityIdentifier: { type: "string", readOnly: true },
  onPremisesSyncEnabled: { type: "boolean", readOnly: true },
  onPremisesUserPrincipalName: { type: "string", readOnly: true },
  postalCode: { type: "string", onPremMastered: true },
  proxyAddresses: { type: "stringArray", readOnly: true },
  state: { type: "string", onPremMastered: true },
  streetAddress: { type: "string", onPremMastered: true },
  usageLocation: { type: "string" },
  userType: { type: "string" },
};

export const USER_PROP_NAMES: readonly string[] = Object.keys(USER_PROPS);
export const DEFAULT_USER_SELECT: readonly string[] = USER_PROP_NAMES.filter((p) => USER_PROPS[p].default);

const CANONICAL = new Map(USER_PROP_NAMES.map((p) => [p.toLowerCase(), p]));
/** Canonical spelling of a user property name (Graph matches `$select`/`$filter` names case-insensitively). */
export function canonicalUserProp(name: string): string | undefined {
  return CANONICAL.get(name.toLowerCase());
}

/** A user as Graph shows it: every modelled property present (null or [] when unset) so all share one shape. */
export type GraphUser = Record<string, unknown> & { id: string; userPrincipalName: string };

export interface SignIn {
  password: string;
  /** Delegated permissions consented for this user (the `scp` of their tokens). */
  scopes: string[];
}

export interface UserRecord {
  /** Creation order; the sort key of `/users` paging. */
  seq: number;
  /** Value of the tenant's change counter at this user's last change (delta queries). */
  changeSeq: number;
  data: GraphUser;
  /** Set when an admin edited mobilePhone in the cloud on a synced user (a "DirSyncOverride"). */
  dirSyncOverride: boolean;
  /** Directory role template ids (the `wids` of delegated tokens). */
  directoryRoles: string[];
  signIn?: SignIn;
  /** Fingerprint of the AD object at the last sync that touched it (delta sync skips unchanged objects). */
  adHash?: string;
  /**
   * Source of authority moved to the cloud (beta `onPremisesSyncBehavior.isCloudManaged`): sync sends it no AD updates
   * at all and `onPremisesSyncEnabled` is null
   * (https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure).
   */
  cloudManaged?: boolean;
  /** Set when isCloudManaged went back to false: the next sync takes the object over again. */
  soaRollbackPending?: boolean;
}

/**
 * Storage of one user's Graph properties. A class with every field declared keeps all users on one V8 hidden class in
 * fast (in-object) mode; objects grown with computed keys fall into dictionary mode and cost several times the memory.
 * Its fields must be exactly USER_PROPS (a test checks this).
 */
const NO_STRINGS = Object.freeze([]) as unknown as string[];

/**
 * A flat copy of a string. Strings built by concatenation (template literals, `randomUUID()`) are V8 cons-string
 * trees that can cost several times their length; users are stored by the hundred thousand, so their strings are
 * flattened once when created.
 */
export function flat(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}

class UserData {
  businessPhones: string[] = NO_STRINGS;
  displayName: string | null = null;
  givenName: string | null = null;
  jobTitle: string | null = null;
  mail: string | null = null;
  mobilePhone: string | null = null;
  officeLocation: string | null = null;
  preferredLanguage: string | null = null;
  surname: string | null = null;
  userPrincipalName = "";
  id: string;
  accountEnabled: boolean | null = true;
  city: string | null = null;
  companyName: string | null = null;
  country: string | null = null;
  createdDateTime: string;
  deletedDateTime: string | null = null;
  department: string | null = null;
  employeeId: string | null = null;
  mailNickname: string | null = null;
  onPremisesDistinguishedName: string | null = null;
  onPremisesDomainName: string | null = null;
  onPremisesImmutableId: string | null = null;
  onPremisesLastSyncDateTime: string | null = null;
  onPremisesSamAccountName: string | null = null;
  onPremisesSecurityIdentifier: string | null = null;
  onPremisesSyncEnabled: boolean | null = null;
  onPremisesUserPrincipalName: string | null = null;
  postalCode: string | null = null;
  proxyAddresses: string[] = NO_STRINGS;
  state: string | null = null;
  streetAddress: string | null = null;
  usageLocation: string | null = null;
  userType: string | null = "Member";

  constructor(id: string, createdDateTime: string) {
    this.id = id;
    this.createdDateTime = createdDateTime;
  }
}

export function blankUser(id: string = flat(randomUUID()), createdDateTime = new Date().toISOString()): GraphUser {
  return new UserData(id, createdDateTime) as unknown as GraphUser;
}

/** Checks a value against a property's type (used by PATCH, seeds and sync). */
export function checkUserValue(prop: string, value: unknown): void {
  const def = USER_PROPS[prop];
  const bad = () =>
    badRequest(`Invalid value specified for property '${prop}' of resource 'User'.`, "Request_BadRequest");
  if (value === null) {
    if (def.type === "stringArray" || prop === "accountEnabled" || prop === "userPrincipalName") throw bad();
    return;
  }
  switch (def.type) {
    case "string":
      if (typeof value !== "string") throw bad();
      if (def.maxLength && value.length > def.maxLength) throw bad();
      return;
    case "boolean":
      if (typeof value !== "boolean") throw bad();
      return;
    case "datetime":
      if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw bad();
      return;
    case "stringArray":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw bad();
      if (prop === "businessPhones" && value.length > 1) throw bad();
      return;
  }
}

/** A removed user in the change log. */
export interface Tombstone {
  seq: number;
  id: string;
}

/** Change-log entry: a live user (its changeSeq is the change) or a tombstone. */
export type ChangeEntry = UserRecord | Tombstone;

export function isTombstone(e: ChangeEntry): e is Tombstone {
  return !("data" in e);
}

export function changeSeqOf(e: ChangeEntry): number {
  return isTombstone(e) ? e.seq : e.changeSeq;
}

const NO_ROLES: string[] = [];

export class UserStore {
  /** Live users ordered by `seq`. */
  readonly list: UserRecord[] = [];
  readonly byId = new Map<string, UserRecord>();
  private readonly byUpn = new Map<string, UserRecord>();
  private readonly byImmutableId = new Map<string, UserRecord>();
  /** Last change per object id, in ascending change order (Map keeps insertion order; changed ids are re-inserted). */
  readonly changes = new Map<string, ChangeEntry>();
  private nextSeq = 1;
  /** The change counter: bumped on every create, update and delete. */
  counter = 0;
  /** Changes when the store is replaced (seed/reset): delta tokens of an older generation are refused. */
  readonly generation = randomUUID().slice(0, 8);
  /**
   * Bumped by the admin API to stand for Entra's "synchronization reset" (internal maintenance or migration): every
   * delta token issued before is answered 410 Gone (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset).
   */
  deltaEpoch = 0;

  get size(): number {
    return this.list.length;
  }

  getById(id: string): UserRecord | undefined {
    return this.byId.get(id.toLowerCase()) ?? this.byId.get(id);
  }

  getByUpn(upn: string): UserRecord | undefined {
    return this.byUpn.get(upn.toLowerCase());
  }

  getByImmutableId(immutableId: string): UserRecord | undefined {
    return this.byImmutableId.get(immutableId);
  }

  /** Looks a user up by object id or userPrincipalName, as `/users/{id | userPrincipalName}` does. */
  find(key: string): UserRecord | undefined {
    return this.getById(key) ?? this.getByUpn(key);
  }

  add(data: GraphUser, extra: Partial<Omit<UserRecord, "seq" | "changeSeq" | "data">> = {}): UserRecord {
    if (this.byId.has(data.id)) throw new Error(`duplicate user id ${data.id}`);
    const upnKey = data.userPrincipalName.toLowerCase();
    if (this.byUpn.has(upnKey)) throw new Error(`duplicate userPrincipalName ${data.userPrincipalName}`);
    const rec: UserRecord = {
      seq: this.nextSeq++,
      changeSeq: ++this.counter,
      data,
      dirSyncOverride: extra.dirSyncOverride ?? false,
      directoryRoles: extra.directoryRoles ?? NO_ROLES,
      signIn: extra.signIn,
      adHash: extra.adHash,
    };
    this.list.push(rec);
    this.byId.set(data.id, rec);
    this.byUpn.set(upnKey, rec);
    const imm = data.onPremisesImmutableId;
    if (typeof imm === "string" && imm) this.byImmutableId.set(imm, rec);
    this.changes.set(data.id, rec);
    return rec;
  }

  upnTaken(upn: string, except?: UserRecord): boolean {
    const r = this.byUpn.get(upn.toLowerCase());
    return r !== undefined && r !== except;
  }

  /** Applies property changes; returns true (and bumps the change counter) when something actually changed. */
  update(rec: UserRecord, patch: Record<string, unknown>): boolean {
    let changed = false;
    const d = rec.data as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      const old = d[k];
      const same =
        Array.isArray(v) && Array.isArray(old) ? v.length === old.length && v.every((x, i) => x === old[i]) : old === v;
      if (same) continue;
      if (k === "userPrincipalName") {
        const nv = String(v);
        if (this.upnTaken(nv, rec)) throw new Error(`duplicate userPrincipalName ${nv}`);
        this.byUpn.delete(String(old).toLowerCase());
        this.byUpn.set(nv.toLowerCase(), rec);
      }
      if (k === "onPremisesImmutableId") {
        if (typeof old === "string" && this.byImmutableId.get(old) === rec) this.byImmutableId.delete(old);
        if (typeof v === "string" && v) this.byImmutableId.set(v, rec);
      }
      d[k] = v;
      changed = true;
    }
    if (changed) this.touch(rec);
    return changed;
  }

  /** Marks a user changed without a property change (e.g. DirSync override flag). */
  touch(rec: UserRecord): void {
    rec.changeSeq = ++this.counter;
    this.changes.delete(rec.data.id);
    this.changes.set(rec.data.id, rec);
  }

  remove(rec: UserRecord): void {
    const i = this.indexAfter(rec.seq - 1);
    if (this.list[i] === rec) this.list.splice(i, 1);
    this.byId.delete(rec.data.id);
    this.byUpn.delete(rec.data.userPrincipalName.toLowerCase());
    const imm = rec.data.onPremisesImmutableId;
    if (typeof imm === "string" && this.byImmutableId.get(imm) === rec) this.byImmutableId.delete(imm);
    const seq = ++this.counter;
    this.changes.delete(rec.data.id);
    this.changes.set(rec.data.id, { seq, id: rec.data.id });
  }

  /** Index in `list` of the first user whose seq is greater than `seq` (binary search). */
  indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid].seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Projects a user onto the selected properties (in Graph's order for the default set). */
export function projectUser(u: GraphUser, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select) out[p] = u[p] ?? null;
  return out;
}
