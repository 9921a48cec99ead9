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
import { isEmptyPhone, type PhoneNormalizer } from "./phone";
import { type AdRecord, AdRecords } from "./records/ad";
import { EntraUsers } from "./records/entra";
import {
  CATEGORIES,
  type Category,
  type EntraUser,
  type GapRow,
  MATCH_KEYS,
  type MatchedBy,
  SYNC_GAP_PHRASES,
} from "./types";

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
 * Map costs about twice the memory and time (docs/benchmarks.md, "A million users"). It keeps no key strings: a key
 * is read back from its record (`keyOf` of the code it was added with) when a hash matches.
 */
class KeyIndex {
  #size = 0;
  #codes = new Int32Array(1 << 10);
  #users = new Int32Array(1 << 10);
  #hashes = new Int32Array(1 << 10);
  #slots = new Int32Array(1 << 11).fill(FREE);
  #mask = (1 << 11) - 1;

  constructor(private readonly keyOf: (code: number) => string | undefined) {}

  /** The key's number, or FREE. */
  #find(key: string, h: number): number {
    const slots = this.#slots;
    for (let j = h & this.#mask; ; j = (j + 1) & this.#mask) {
      const k = slots[j]!;
      if (k === FREE || (this.#hashes[k] === h && this.keyOf(this.#codes[k]!) === key)) return k;
    }
  }

  /** Adds user `i` under `key`, which `keyOf(code)` gives back. */
  add(key: string | undefined, i: number, code: number): void {
    if (!key) return;
    const h = hashKey(key);
    const k = this.#find(key, h);
    if (k !== FREE) {
      if (this.#users[k] !== i) this.#users[k] = AMBIGUOUS;
      return;
    }
    const n = this.#size++;
    if (n === this.#users.length) {
      this.#users = grow(this.#users);
      this.#codes = grow(this.#codes);
      this.#hashes = grow(this.#hashes);
    }
    this.#users[n] = i;
    this.#codes[n] = code;
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
    for (let k = 0; k < this.#size; k++) this.#place(k);
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

// Keys are case-folded only when they need it: a copy of every UPN and SID would be work for nothing.
const NEEDS_LOWER = /[A-Z\u00C0-\uFFFF]/;
const NEEDS_UPPER = /[a-z\u00C0-\uFFFF]/;
const lower = (s: string | null | undefined) => (s ? (NEEDS_LOWER.test(s) ? s.toLowerCase() : s) : undefined);
const upper = (s: string | null | undefined) => (s ? (NEEDS_UPPER.test(s) ? s.toUpperCase() : s) : undefined);

function entraKeys(e: EntraUsers, i: number, key: MatchedBy): (string | undefined)[] {
  switch (key) {
    case "immutableId":
      return [e.immutableId(i) ?? undefined];
    case "objectSid":
      return [upper(e.securityIdentifier(i))];
    case "samAccountName":
      return [lower(e.samAccountName(i))];
    case "userPrincipalName":
      return [lower(e.onPremisesUserPrincipalName(i)), lower(e.userPrincipalName(i))];
  }
}

/** The AD side of a weaker key, folded as entraKeys folds the Entra side. */
function adKey(a: AdRecords, j: number, key: Exclude<MatchedBy, "immutableId">): string | undefined {
  switch (key) {
    case "objectSid":
      return upper(a.sid(j));
    case "samAccountName":
      return lower(a.sam(j));
    case "userPrincipalName":
      return lower(a.upn(j));
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

/**
 * Joins both sides and classifies every user. Rows hold every user that is not InSync (all with includeInSync).
 * Takes the readers' packed tables (./records/), or arrays (tests, the delta round), packed here.
 */
export function joinAndClassify(
  adInput: AdRecords | readonly AdRecord[],
  entraInput: EntraUsers | readonly EntraUser[],
  phones: PhoneNormalizer,
  includeInSync = false,
): JoinOutput {
  const ad = adInput instanceof AdRecords ? adInput : AdRecords.from(adInput);
  const entra = entraInput instanceof EntraUsers ? entraInput : EntraUsers.from(entraInput);
  // The strongest key is indexed over every AD user. A weaker key is looked up only for the Entra users the keys
  // before it left unmatched (usually a few), so its index holds only the AD users whose value one of them asks for:
  // every AD user with such a value is in it, so a value two AD users share still matches nobody, as with a full
  // index, without a hash map of a million entries per key (docs/benchmarks.md, "A million users").
  const adTaken = new Uint8Array(ad.length);
  const match = new Int32Array(entra.length).fill(-1);
  const how = new Uint8Array(entra.length);
  for (let k = 0; k < MATCH_KEYS.length; k++) {
    const key = MATCH_KEYS[k];
    let index: KeyIndex;
    if (k === 0) {
      // code: the user's number times two, plus one for the objectGUID-based anchor
      index = new KeyIndex((c) => (c & 1 ? ad.guidImmutableId(c >> 1) : ad.immutableId(c >> 1)));
      for (let j = 0; j < ad.length; j++) {
        index.add(ad.immutableId(j), j, j * 2);
        const g = ad.guidImmutableId(j);
        if (g) index.add(g, j, j * 2 + 1);
      }
    } else {
      const weak = key as Exclude<MatchedBy, "immutableId">;
      const wanted = new Set<string>();
      for (let i = 0; i < entra.length; i++) {
        if (match[i] !== -1) continue;
        for (const value of entraKeys(entra, i, key)) if (value) wanted.add(value);
      }
      if (wanted.size === 0) continue;
      index = new KeyIndex((j) => adKey(ad, j, weak));
      for (let j = 0; j < ad.length; j++) {
        const value = adKey(ad, j, weak);
        if (value && wanted.has(value)) index.add(value, j, j);
      }
    }
    for (let i = 0; i < entra.length; i++) {
      if (match[i] !== -1) continue;
      for (const value of entraKeys(entra, i, key)) {
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
    if (match[i] === -1) {
      counts.NotInAD++;
      rows.push(makeRow("NotInAD", null, undefined, entra.user(i), phones));
      continue;
    }
    matched++;
    const j = match[i];
    const by = MATCH_KEYS[how[i]];
    matchedBy[by]++;
    const pair = classifyPair(ad.mobile(j), entra.mobilePhone(i), phones);
    // A cloud-managed user gets no AD updates at all (facts.md), so a difference is not a DirSync override and the
    // switch does not change it: its own category, not ValueMismatch or MissingInEntra.
    const category: Category = pair !== "InSync" && entra.cloudManaged(i) ? "CloudManaged" : pair;
    counts[category]++;
    if (category !== "InSync" || includeInSync) rows.push(makeRow(category, by, ad.record(j), entra.user(i), phones));
  }
  for (let j = 0; j < ad.length; j++) {
    if (adTaken[j]) continue;
    counts.NotInEntra++;
    rows.push(makeRow("NotInEntra", null, ad.record(j), undefined, phones));
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
