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
import { HashSlots, hashText } from "../ad/hashSlots";
import { isEmptyPhone, type PhoneNormalizer } from "./phone";
import {
  GUID_IMMUTABLE_ID as AD_GUID_IMMUTABLE_ID,
  IMMUTABLE_ID as AD_IMMUTABLE_ID,
  MOBILE as AD_MOBILE,
  type AdRecord,
  AdRecords,
} from "./records/ad";
import { IMMUTABLE_ID as ENTRA_IMMUTABLE_ID, MOBILE as ENTRA_MOBILE, EntraUsers } from "./records/entra";
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

/** Whether the key added with `code` is the one looked for. */
type SameKey = (code: number) => boolean;

/**
 * AD users by key value: the one user with that value, or AMBIGUOUS when several have it, on a HashSlots table
 * (../ad/hashSlots.ts) rather than a Map: the strongest key indexes every AD user. It keeps no keys: the caller gives
 * a key's hash and tells, from the code a key was added with (the user's number times two, plus one for a second key
 * of the same user), whether it is the same key; the strongest key is compared on the packed records' bytes.
 */
class KeyIndex {
  // an entry's value: the code its key was first added with; -code - 1 once another user has the key too
  readonly #slots = new HashSlots();

  #find(h: number, same: SameKey): number {
    return this.#slots.find(h, (k) => {
      const v = this.#slots.value(k);
      return same(v < 0 ? -v - 1 : v);
    });
  }

  /** Adds the key of hash `h` (-1: no key), which `same` recognises, under `code`. */
  add(h: number, same: SameKey, code: number): void {
    if (h < 0) return;
    const k = this.#find(h, same);
    if (k < 0) this.#slots.add(h, code);
    else {
      const v = this.#slots.value(k);
      if (v >= 0 && v >> 1 !== code >> 1) this.#slots.setValue(k, -v - 1);
    }
  }

  /** The user of the key of hash `h`, or AMBIGUOUS (several, none, or no key). */
  get(h: number, same: SameKey): number {
    if (h < 0) return AMBIGUOUS;
    const k = this.#find(h, same);
    const v = k < 0 ? -1 : this.#slots.value(k);
    return v < 0 ? AMBIGUOUS : v >> 1;
  }
}

// Keys are case-folded only when they need it: a copy of every UPN and SID would be work for nothing.
const NEEDS_LOWER = /[A-Z\u00C0-\uFFFF]/;
const NEEDS_UPPER = /[a-z\u00C0-\uFFFF]/;
const lower = (s: string | null | undefined) => (s ? (NEEDS_LOWER.test(s) ? s.toLowerCase() : s) : undefined);
const upper = (s: string | null | undefined) => (s ? (NEEDS_UPPER.test(s) ? s.toUpperCase() : s) : undefined);

/** The Entra side of a weaker key (the strongest is compared on bytes). */
function entraKeys(e: EntraUsers, i: number, key: Exclude<MatchedBy, "immutableId">): (string | undefined)[] {
  switch (key) {
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
 * Pairs users key by key, strongest first: `match[i]` is the AD user of Entra user i (-1: none), `how[i]` the key's
 * place in MATCH_KEYS, `adTaken[j]` whether AD user j is paired.
 */
function pairUsers(ad: AdRecords, entra: EntraUsers): { match: Int32Array; how: Uint8Array; adTaken: Uint8Array } {
  // The strongest key is indexed over every AD user. A weaker key is looked up only for the Entra users the keys
  // before it left unmatched (usually a few), so its index holds only the AD users whose value one of them asks for:
  // every AD user with such a value is in it, so a value two AD users share still matches nobody, as with a full
  // index, without a hash map of a million entries per key (docs/benchmarks.md, "A million users").
  const adTaken = new Uint8Array(ad.length);
  const match = new Int32Array(entra.length).fill(-1);
  const how = new Uint8Array(entra.length);
  const A = ad.packed;
  const E = entra.packed;
  // The strongest key: every AD user under its source anchor and its objectGUID-based one (code: the user's number
  // times two, plus one for the latter), compared on the records' bytes.
  const anchorField = (c: number) => (c & 1 ? AD_GUID_IMMUTABLE_ID : AD_IMMUTABLE_ID);
  const anchors = new KeyIndex();
  for (let j = 0; j < ad.length; j++) {
    for (let which = 0; which < 2; which++) {
      const f = anchorField(which);
      anchors.add(A.hash(j, f), (c) => A.same(c >> 1, anchorField(c), A, j, f), j * 2 + which);
    }
  }
  for (let i = 0; i < entra.length; i++) {
    const j = anchors.get(E.hash(i, ENTRA_IMMUTABLE_ID), (c) =>
      A.same(c >> 1, anchorField(c), E, i, ENTRA_IMMUTABLE_ID),
    );
    if (j !== AMBIGUOUS && !adTaken[j]) {
      match[i] = j;
      how[i] = 0;
      adTaken[j] = 1;
    }
  }
  for (let k = 1; k < MATCH_KEYS.length; k++) {
    const key = MATCH_KEYS[k] as Exclude<MatchedBy, "immutableId">;
    const wanted = new Set<string>();
    for (let i = 0; i < entra.length; i++) {
      if (match[i] !== -1) continue;
      for (const value of entraKeys(entra, i, key)) if (value) wanted.add(value);
    }
    if (wanted.size === 0) continue;
    const index = new KeyIndex();
    for (let j = 0; j < ad.length; j++) {
      const value = adKey(ad, j, key);
      if (value && wanted.has(value)) index.add(hashText(value), (c) => adKey(ad, c >> 1, key) === value, j * 2);
    }
    for (let i = 0; i < entra.length; i++) {
      if (match[i] !== -1) continue;
      for (const value of entraKeys(entra, i, key)) {
        if (!value) continue;
        const j = index.get(hashText(value), (c) => adKey(ad, c >> 1, key) === value);
        if (j !== AMBIGUOUS && !adTaken[j]) {
          match[i] = j;
          how[i] = k;
          adTaken[j] = 1;
          break;
        }
      }
    }
  }
  return { match, how, adTaken };
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
  const { match, how, adTaken } = pairUsers(ad, entra);
  const A = ad.packed;
  const E = entra.packed;

  const counts = emptyCounts();
  const matchedBy = Object.fromEntries(MATCH_KEYS.map((k) => [k, 0])) as Record<MatchedBy, number>;
  const rows: GapRow[] = [];
  let matched = 0;
  for (let i = 0; i < entra.length; i++) {
    if (match[i] === -1) {
      counts.NotInAD++;
      rows.push(makeRow("NotInAD", null, undefined, entra.at(i), phones));
      continue;
    }
    matched++;
    const j = match[i];
    const by = MATCH_KEYS[how[i]];
    matchedBy[by]++;
    // the same bytes are the same string: in sync, without decoding either (most users)
    const pair = A.same(j, AD_MOBILE, E, i, ENTRA_MOBILE)
      ? "InSync"
      : classifyPair(ad.mobile(j), entra.mobilePhone(i), phones);
    // A cloud-managed user gets no AD updates at all (facts.md), so a difference is not a DirSync override and the
    // switch does not change it: its own category, not ValueMismatch or MissingInEntra.
    const category: Category = pair !== "InSync" && entra.cloudManaged(i) ? "CloudManaged" : pair;
    counts[category]++;
    if (category !== "InSync" || includeInSync) rows.push(makeRow(category, by, ad.at(j), entra.at(i), phones));
  }
  for (let j = 0; j < ad.length; j++) {
    if (adTaken[j]) continue;
    counts.NotInEntra++;
    rows.push(makeRow("NotInEntra", null, ad.at(j), undefined, phones));
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
