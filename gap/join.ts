/**
 * Join and classify: pairs each synced Entra user with its AD user and sorts every user into a category.
 *
 * Keys, strongest first (the report records which one matched, `matchedBy`):
 *   1. onPremisesImmutableId ↔ the AD source anchor (base64 of mS-DS-ConsistencyGuid, else of objectGUID); the
 *      objectGUID-based anchor is accepted too, for tenants that anchored on objectGUID before a consistency GUID
 *      was written;
 *   2. onPremisesSecurityIdentifier ↔ objectSid;
 *   3. onPremisesSamAccountName ↔ sAMAccountName;
 *   4. onPremisesUserPrincipalName, then userPrincipalName ↔ userPrincipalName (case-insensitive). UPN alone is not
 *      safe: an unverified UPN suffix becomes …@<tenant>.onmicrosoft.com in Entra ID
 *      (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname).
 * Each key is a hash-map lookup (O(n) overall). Matching runs pass by pass over all users, so a stronger key always
 * wins over a weaker one, and each AD user is matched at most once. A key value that two AD users share (e.g. one
 * sAMAccountName in two domains of a forest) matches nobody.
 */
import { formatDn, parseDn } from "../ad/dn";
import { immutableIdFromGuidString } from "../ad/ids";
import type { AdUser } from "../ad/types";
import { isEmptyPhone, type PhoneNormalizer } from "./phone";
import {
  CATEGORIES,
  type Category,
  type EntraUser,
  type GapRow,
  MATCH_KEYS,
  type MatchedBy,
  SYNC_GAP_PHRASES,
} from "./types";

/** What the join keeps of an AD user (smaller than AdUser: 100k users must fit comfortably in memory). */
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

/**
 * One string per department (a tenant has hundreds, not a million), so a million records share them. Takes no new
 * value past a cap: a field that does not repeat is then kept as it is.
 */
class Interner {
  readonly #values = new Map<string, string>();
  get(s: string): string {
    const hit = this.#values.get(s);
    if (hit !== undefined) return hit;
    if (this.#values.size < 50_000) this.#values.set(s, s);
    return s;
  }
}

const departments = new Interner();

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
  if (u.department) r.department = departments.get(u.department);
  if (u.mobile !== undefined && u.mobile !== null) r.mobile = u.mobile;
  if (immutableId) r.immutableId = immutableId;
  if (guidImmutableId) r.guidImmutableId = guidImmutableId;
  if (u.objectSid) r.sid = u.objectSid;
  return r;
}

/** Category of a matched pair. Only identical strings are in sync: sync copies AD's value verbatim. */
export function classifyPair(
  adMobile: string | null | undefined,
  entraMobile: string | null | undefined,
  phones: PhoneNormalizer,
): Category {
  const adEmpty = isEmptyPhone(adMobile);
  const entraEmpty = isEmptyPhone(entraMobile);
  if (adEmpty && entraEmpty) return "InSync";
  if (entraEmpty) return "MissingInEntra";
  if (adEmpty) return "CloudOnly";
  if (adMobile === entraMobile) return "InSync";
  return phones.same(adMobile as string, entraMobile as string) ? "FormatOnly" : "ValueMismatch";
}

const AMBIGUOUS = -1;

/** FNV-1a over a string's UTF-16 code units. */
function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

const FREE = -1;

/**
 * AD users by key value: the one user with that value, or AMBIGUOUS when several have it. An open-addressing table
 * of key numbers in typed arrays rather than a Map: the strongest key indexes every AD user, and at a million users a
 * Map costs about twice the memory and time (docs/benchmarks.md, "A million users"). The key strings are the
 * records' own.
 */
class KeyIndex {
  #keys: string[] = [];
  #users = new Int32Array(1 << 10);
  #hashes = new Int32Array(1 << 10);
  #slots = new Int32Array(1 << 11).fill(FREE);
  #mask = (1 << 11) - 1;

  /** The key's number, or FREE. */
  #find(key: string, h: number): number {
    const slots = this.#slots;
    for (let j = h & this.#mask; ; j = (j + 1) & this.#mask) {
      const k = slots[j]!;
      if (k === FREE || (this.#hashes[k] === h && this.#keys[k] === key)) return k;
    }
  }

  add(key: string | undefined, i: number): void {
    if (!key) return;
    const h = hashKey(key);
    const k = this.#find(key, h);
    if (k !== FREE) {
      if (this.#users[k] !== i) this.#users[k] = AMBIGUOUS;
      return;
    }
    const n = this.#keys.length;
    this.#keys.push(key);
    if (n === this.#users.length) {
      this.#users = grow(this.#users);
      this.#hashes = grow(this.#hashes);
    }
    this.#users[n] = i;
    this.#hashes[n] = h;
    if ((n + 1) * 2 > this.#slots.length) this.#rehash();
    else this.#place(n);
  }

  get(key: string | null | undefined): number {
    if (!key) return AMBIGUOUS;
    const k = this.#find(key, hashKey(key));
    return k === FREE ? AMBIGUOUS : this.#users[k]!;
  }

  #place(k: number): void {
    const slots = this.#slots;
    let j = this.#hashes[k]! & this.#mask;
    while (slots[j] !== FREE) j = (j + 1) & this.#mask;
    slots[j] = k;
  }

  #rehash(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(FREE);
    this.#mask = this.#slots.length - 1;
    for (let k = 0; k < this.#keys.length; k++) this.#place(k);
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

// Keys are case-folded only when they need it: at 100k users a copy of every UPN and SID is memory for nothing.
const NEEDS_LOWER = /[A-Z\u00C0-\uFFFF]/;
const NEEDS_UPPER = /[a-z\u00C0-\uFFFF]/;
const lower = (s: string | null | undefined) => (s ? (NEEDS_LOWER.test(s) ? s.toLowerCase() : s) : undefined);
const upper = (s: string | null | undefined) => (s ? (NEEDS_UPPER.test(s) ? s.toUpperCase() : s) : undefined);

function entraKeys(u: EntraUser, key: MatchedBy): (string | undefined)[] {
  switch (key) {
    case "immutableId":
      return [u.onPremisesImmutableId ?? undefined];
    case "objectSid":
      return [upper(u.onPremisesSecurityIdentifier)];
    case "samAccountName":
      return [lower(u.onPremisesSamAccountName)];
    case "userPrincipalName":
      return [lower(u.onPremisesUserPrincipalName), lower(u.userPrincipalName)];
  }
}

/** The AD side of a weaker key, folded as entraKeys folds the Entra side. */
function adKey(a: AdRecord, key: Exclude<MatchedBy, "immutableId">): string | undefined {
  switch (key) {
    case "objectSid":
      return upper(a.sid);
    case "samAccountName":
      return lower(a.sam);
    case "userPrincipalName":
      return lower(a.upn);
  }
}

export interface JoinOutput {
  counts: Record<Category, number>;
  matchedBy: Record<MatchedBy, number>;
  matched: number;
  rows: GapRow[];
}

export function emptyCounts(): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
}

/** Joins both sides and classifies every user. Rows hold every user that is not InSync (all with includeInSync). */
export function joinAndClassify(
  ad: readonly AdRecord[],
  entra: readonly EntraUser[],
  phones: PhoneNormalizer,
  includeInSync = false,
): JoinOutput {
  // The strongest key is indexed over every AD user. A weaker key is looked up only for the Entra users the keys
  // before it left unmatched (usually a few), so its index holds only the AD users whose value one of them asks for:
  // every AD user with such a value is in it, so a value two AD users share still matches nobody, as with a full
  // index, without a hash map of a million entries per key (docs/benchmarks.md, "A million users").
  const adTaken = new Uint8Array(ad.length);
  const match = new Int32Array(entra.length).fill(-1);
  const how = new Uint8Array(entra.length);
  for (let k = 0; k < MATCH_KEYS.length; k++) {
    const key = MATCH_KEYS[k];
    const index = new KeyIndex();
    if (k === 0) {
      for (let j = 0; j < ad.length; j++) {
        const a = ad[j];
        index.add(a.immutableId, j);
        if (a.guidImmutableId) index.add(a.guidImmutableId, j);
      }
    } else {
      const wanted = new Set<string>();
      for (let i = 0; i < entra.length; i++) {
        if (match[i] !== -1) continue;
        for (const value of entraKeys(entra[i], key)) if (value) wanted.add(value);
      }
      if (wanted.size === 0) continue;
      for (let j = 0; j < ad.length; j++) {
        const value = adKey(ad[j], key as Exclude<MatchedBy, "immutableId">);
        if (value && wanted.has(value)) index.add(value, j);
      }
    }
    for (let i = 0; i < entra.length; i++) {
      if (match[i] !== -1) continue;
      for (const value of entraKeys(entra[i], key)) {
        const j = index.get(value);
        if (j !== AMBIGUOUS && !adTaken[j]) {
          match[i] = j;
          how[i] = k;
          adTaken[j] = 1;
          break;
        }
      }
    }
  }

  const counts = emptyCounts();
  const matchedBy = Object.fromEntries(MATCH_KEYS.map((k) => [k, 0])) as Record<MatchedBy, number>;
  const rows: GapRow[] = [];
  let matched = 0;
  for (let i = 0; i < entra.length; i++) {
    const e = entra[i];
    if (match[i] === -1) {
      counts.NotInAD++;
      rows.push(makeRow("NotInAD", null, undefined, e, phones));
      continue;
    }
    matched++;
    const a = ad[match[i]];
    const by = MATCH_KEYS[how[i]];
    matchedBy[by]++;
    const pair = classifyPair(a.mobile, e.mobilePhone, phones);
    // A cloud-managed user gets no AD updates at all (facts.md), so a difference is not a DirSync override and the
    // switch does not change it: its own category, not ValueMismatch or MissingInEntra.
    const category: Category = e.cloudManaged && pair !== "InSync" ? "CloudManaged" : pair;
    counts[category]++;
    if (category !== "InSync" || includeInSync) rows.push(makeRow(category, by, a, e, phones));
  }
  for (let j = 0; j < ad.length; j++) {
    if (adTaken[j]) continue;
    counts.NotInEntra++;
    rows.push(makeRow("NotInEntra", null, ad[j], undefined, phones));
  }
  sortRows(rows);
  return { counts, matchedBy, matched, rows };
}

const ORDER = new Map(CATEGORIES.map((c, i) => [c, i]));

/** Category order first, then UPN (case-insensitive): stable reports that diff well. */
export function sortRows(rows: GapRow[]): void {
  const keyed = rows.map((r) => ({ r, o: ORDER.get(r.category) ?? 99, u: r.userPrincipalName.toLowerCase() }));
  keyed.sort((x, y) => x.o - y.o || (x.u < y.u ? -1 : x.u > y.u ? 1 : 0));
  for (let i = 0; i < rows.length; i++) rows[i] = keyed[i].r;
}

function nonEmpty(v: string | null | undefined): string | null {
  return isEmptyPhone(v) ? null : (v as string);
}

export function makeRow(
  category: Category,
  matchedBy: MatchedBy | null,
  a: AdRecord | undefined,
  e: EntraUser | undefined,
  phones: PhoneNormalizer,
): GapRow {
  const adMobile = a ? nonEmpty(a.mobile) : null;
  const entraMobile = e ? nonEmpty(e.mobilePhone) : null;
  return {
    userPrincipalName: e?.userPrincipalName ?? a?.upn ?? a?.sam ?? a?.dn ?? "",
    category,
    syncGap: SYNC_GAP_PHRASES[category],
    matchedBy,
    adMobile,
    adOtherMobile: a ? [...a.otherMobile] : [],
    entraMobile,
    adMobileE164: phones.e164(adMobile),
    entraMobileE164: phones.e164(entraMobile),
    immutableId: e?.onPremisesImmutableId ?? a?.immutableId ?? null,
    entraId: e?.id ?? null,
    adDistinguishedName: a?.dn ?? null,
    adSamAccountName: a?.sam ?? null,
    displayName: e?.displayName ?? a?.displayName ?? null,
    department: a?.department ?? e?.department ?? null,
    ou: parentDn(a?.dn) ?? parentDn(e?.onPremisesDistinguishedName),
    accountEnabled: e ? (e.accountEnabled ?? null) : a ? a.enabled : null,
  };
}

/** DNs as DCs write them: no escape, quote or `;`, so every comma separates RDNs. */
const PLAIN_DN = /^[^\\";]*$/;

/**
 * The DN of the container an entry is in: its DN without the first RDN (`CN=Ann,OU=Sales,DC=corp` → `OU=Sales,DC=corp`),
 * in the spelling the directory wrote. A DN with escapes, quotes or `;` (`CN=Doe\, Ann,OU=…`) goes through the RFC 4514
 * parser (ad/dn.ts), so an escaped comma is not taken for a separator, and comes back in RFC 4514's string form. Null
 * for no DN, a DN of one RDN, or one that does not parse.
 */
export function parentDn(dn: string | null | undefined): string | null {
  if (!dn) return null;
  if (PLAIN_DN.test(dn)) {
    const comma = dn.indexOf(",");
    const parent = comma < 0 ? "" : dn.slice(comma + 1).trim();
    return parent || null;
  }
  try {
    const parsed = parseDn(dn);
    return parsed.rdns.length > 1 ? formatDn({ ...parsed, rdns: parsed.rdns.slice(1) }) : null;
  } catch {
    return null;
  }
}
