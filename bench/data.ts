/**
 * Generated directories for the benchmark: one population of AD users, seen twice — as AD holds it now, and as the
 * tenant holds it (what an earlier sync wrote, plus numbers edited in the cloud since). The differences are spread
 * evenly and deterministically, so every run and both algorithms see the same data.
 *
 * Per 1,000 users: 20 ValueMismatch, 10 MissingInEntra, 10 CloudOnly, 10 FormatOnly; one user in 997 is gone from
 * AD (NotInAD) and one in 1,000 is new in AD (NotInEntra). A tenth of the users have otherMobile values. Users sit in 50
 * OUs and 40 departments.
 */
import { immutableIdFromGuidString } from "../ad/ids";
import type { AdUser } from "../ad/types";

export type View = "ad" | "tenant";

function guid(i: number): string {
  const h = (i + 1).toString(16).padStart(12, "0");
  return `5eed${h.slice(0, 4)}-0bad-4c0d-9e5a-${h}`;
}

const number = (i: number) => `+1425${String(5_000_000 + (i % 5_000_000)).padStart(7, "0")}`;
const spaced = (e164: string) => `${e164.slice(0, 2)} ${e164.slice(2, 5)} ${e164.slice(5, 8)} ${e164.slice(8)}`;

/** User i as `view` shows it, or undefined when it does not exist there. */
export function benchUser(i: number, n: number, view: View): AdUser | undefined {
  if (view === "ad" && i % 997 === 5) return undefined; // deleted in AD since the last sync → NotInAD
  if (view === "tenant" && i >= n) return undefined; // created in AD after the last sync → NotInEntra
  const r = i % 1000;
  let mobile: string | undefined = number(i);
  if (view === "tenant") {
    if (r < 20)
      mobile = number(i + 1_234_567); // ValueMismatch
    else if (r < 30)
      mobile = undefined; // MissingInEntra
    else if (r < 40) mobile = spaced(mobile); // FormatOnly
  }
  if (r >= 40 && r < 50) mobile = view === "tenant" ? number(i) : undefined; // CloudOnly
  if (r >= 50 && r < 60) mobile = undefined; // nobody has one: InSync
  const objectGuid = guid(i);
  const sam = `b${String(i).padStart(7, "0")}`;
  return {
    distinguishedName: `CN=Bench User ${i},OU=Bench ${String(i % 50).padStart(2, "0")},OU=Corp Users,DC=corp,DC=example,DC=test`,
    userPrincipalName: `${sam}@corp.example.test`,
    sAMAccountName: sam,
    displayName: `Bench User ${i}`,
    department: `Department ${String(i % 40).padStart(2, "0")}`,
    ...(mobile ? { mobile } : {}),
    otherMobile: i % 10 === 3 ? [number(i + 7), spaced(number(i + 8))] : [],
    objectGuid,
    immutableId: immutableIdFromGuidString(objectGuid),
    objectSid: `S-1-5-21-2718281828-3141592653-1414213562-${100_000 + i}`,
    enabled: i % 31 !== 0,
  };
}

/** Users of a view: AD holds n + n/1000 users (some new), the tenant n (some gone from AD since). */
export function* benchUsers(n: number, view: View): Generator<AdUser> {
  const total = n + Math.floor(n / 1000);
  for (let i = 0; i < total; i++) {
    const u = benchUser(i, n, view);
    if (u) yield u;
  }
}

/** What the analysis must find on this data (for checking both algorithms' answers). */
export function expectedCounts(n: number): Record<string, number> {
  const c = { MissingInEntra: 0, ValueMismatch: 0, CloudOnly: 0, FormatOnly: 0, NotInAD: 0, NotInEntra: 0, InSync: 0 };
  const total = n + Math.floor(n / 1000);
  for (let i = 0; i < total; i++) {
    const ad = benchUser(i, n, "ad");
    const t = benchUser(i, n, "tenant");
    if (!ad && t) c.NotInAD++;
    else if (ad && !t) c.NotInEntra++;
    else if (ad && t) {
      const r = i % 1000;
      if (ad.mobile === t.mobile) c.InSync++;
      else if (r < 20) c.ValueMismatch++;
      else if (r < 30) c.MissingInEntra++;
      else if (r < 40) c.FormatOnly++;
      else c.CloudOnly++;
    }
  }
  return c;
}
