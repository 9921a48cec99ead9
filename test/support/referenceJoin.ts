/**
 * The join as gap/join.ts's header states it, written the plain way (a Map of every AD value per key, strings only),
 * for tests that hold the packed, byte-comparing join to the same answers on random directories.
 */

import { classifyPair } from "../../gap/join";
import type { PhoneNormalizer } from "../../gap/phone";
import type { AdRecord } from "../../gap/records/ad";
import { type Category, type EntraUser, MATCH_KEYS, type MatchedBy } from "../../gap/types";

export interface ReferencePair {
  entraId: string | null;
  adDn: string | null;
  category: Category;
  matchedBy: MatchedBy | null;
}

const lower = (s: string | null | undefined) => (s ? s.toLowerCase() : undefined);
const upper = (s: string | null | undefined) => (s ? s.toUpperCase() : undefined);

function adValues(a: AdRecord, key: MatchedBy): (string | undefined)[] {
  if (key === "immutableId") return [a.immutableId, a.guidImmutableId];
  if (key === "objectSid") return [upper(a.sid)];
  if (key === "samAccountName") return [lower(a.sam)];
  return [lower(a.upn)];
}

function entraValues(e: EntraUser, key: MatchedBy): (string | undefined)[] {
  if (key === "immutableId") return [e.onPremisesImmutableId ?? undefined];
  if (key === "objectSid") return [upper(e.onPremisesSecurityIdentifier)];
  if (key === "samAccountName") return [lower(e.onPremisesSamAccountName)];
  return [lower(e.onPremisesUserPrincipalName), lower(e.userPrincipalName)];
}

export function referenceJoin(ad: AdRecord[], entra: EntraUser[], phones: PhoneNormalizer): ReferencePair[] {
  const match = new Array<number>(entra.length).fill(-1);
  const how = new Array<MatchedBy | null>(entra.length).fill(null);
  const taken = new Set<number>();
  for (const key of MATCH_KEYS) {
    const index = new Map<string, number>(); // -1: two AD users have it
    ad.forEach((a, j) => {
      for (const v of adValues(a, key)) {
        if (!v) continue;
        const had = index.get(v);
        index.set(v, had === undefined || had === j ? j : -1);
      }
    });
    entra.forEach((e, i) => {
      if (match[i] !== -1) return;
      for (const v of entraValues(e, key)) {
        const j = v ? (index.get(v) ?? -1) : -1;
        if (j >= 0 && !taken.has(j)) {
          match[i] = j;
          how[i] = key;
          taken.add(j);
          return;
        }
      }
    });
  }
  const out: ReferencePair[] = entra.map((e, i) => {
    if (match[i] === -1) return { entraId: e.id, adDn: null, category: "NotInAD", matchedBy: null };
    const a = ad[match[i]]!;
    const pair = classifyPair(a.mobile, e.mobilePhone, phones);
    const category = e.cloudManaged && pair !== "InSync" ? "CloudManaged" : pair;
    return { entraId: e.id, adDn: a.dn, category, matchedBy: how[i] };
  });
  ad.forEach((a, j) => {
    if (!taken.has(j)) out.push({ entraId: null, adDn: a.dn, category: "NotInEntra", matchedBy: null });
  });
  return out;
}
