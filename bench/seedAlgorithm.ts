/**
 * The seed article's gap report ("The Sync Gap"), rendered faithfully in TypeScript so the benchmark can run it on
 * the same data as syncgap. The PowerShell it renders:
 *
 *   $entraUsers = Get-MgUser -All -Property UserPrincipalName,MobilePhone,OnPremisesSyncEnabled |
 *       Where-Object {$_.OnPremisesSyncEnabled -eq $true}
 *   $gapReport = @()
 *   foreach ($user in $entraUsers) {
 *       $onPremUser = Get-ADUser -Filter "UserPrincipalName -eq '$($user.UserPrincipalName)'" -Properties mobile,otherMobile -ErrorAction SilentlyContinue
 *       if ($onPremUser) {
 *           if (($onPremUser.mobile -and !$user.MobilePhone) -or
 *               ($onPremUser.mobile -ne $user.MobilePhone)) {
 *               $gapReport += [PSCustomObject]@{
 *                   UserPrincipalName = $user.UserPrincipalName
 *                   ADMobile = $onPremUser.mobile
 *                   ADOtherMobile = $onPremUser.otherMobile
 *                   EntraIDMobile = $user.MobilePhone
 *                   SyncGap = if ($onPremUser.mobile -and !$user.MobilePhone) { "Missing in Entra" } else { "Value Mismatch" }
 *               }
 *           }
 *       }
 *   }
 *   $gapReport | Export-Csv -Path "MobileSyncGapAnalysis.csv" -NoTypeInformation
 *
 * Rendered as:
 *   - Get-MgUser -All: GET /users?$select=userPrincipalName,mobilePhone,onPremisesSyncEnabled with the service's
 *     default page size (the cmdlet sets no $top), every user of the tenant, then the filter on the client;
 *   - Get-ADUser -Filter per user: one LDAP search from the domain root, subtree, for
 *     (&(objectCategory=person)(objectClass=user)(userPrincipalName=<upn>)) — the value escaped (RFC 4515), which
 *     the PowerShell does not do — over one bound connection (favourable to the seed: the AD module talks to AD Web
 *     Services per call);
 *   - -ErrorAction SilentlyContinue: a failed search counts as "no such user" (counted here, silent there);
 *   - the comparison keeps PowerShell's semantics: `-ne` on strings is case-insensitive, `$null -ne "x"` is true (so
 *     a cloud-only number is reported as "Value Mismatch"), `$null -ne $null` is false;
 *   - Export-Csv writes the multi-valued otherMobile (an ADPropertyValueCollection, even when empty) as its type
 *     name, as the real cmdlet does.
 */
import { stringify } from "csv-stringify/sync";
import { Client, Filter } from "ldapts";
import type { GraphConnection } from "../graph/client";

export interface SeedLdap {
  url: string;
  bindDN: string;
  password: string;
  caPem: string;
  /** Get-ADUser's default search base: the domain's default naming context. */
  domainRoot: string;
}

export interface SeedRow {
  UserPrincipalName: string;
  ADMobile: string | null;
  ADOtherMobile: string;
  EntraIDMobile: string | null;
  SyncGap: "Missing in Entra" | "Value Mismatch";
}

export interface SeedResult {
  rows: SeedRow[];
  syncedUsers: number;
  ldapSearches: number;
  ldapErrorsSwallowed: number;
  graphRequests: number;
  ms: number;
  csv: string;
}

const PS_COLLECTION = "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection";

/** PowerShell's truthiness for a string property: $null and "" are false. */
const truthy = (v: string | null | undefined) => v !== null && v !== undefined && v !== "";

/** PowerShell's `-ne` for two scalar strings (case-insensitive; $null equals only $null). */
function psNe(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a !== b;
  return a.toLowerCase() !== b.toLowerCase();
}

export async function runSeedAlgorithm(graph: GraphConnection, ldap: SeedLdap): Promise<SeedResult> {
  const t0 = performance.now();
  const before = graph.stats.requests;
  // Get-MgUser -All -Property …
  const entra: { userPrincipalName: string; mobilePhone: string | null; onPremisesSyncEnabled: boolean | null }[] = [];
  let next: string | undefined = "/users";
  let first = true;
  while (next) {
    const req = graph.client.api(next);
    if (first) req.select(["userPrincipalName", "mobilePhone", "onPremisesSyncEnabled"]);
    first = false;
    const page = (await req.get()) as { value: typeof entra; "@odata.nextLink"?: string };
    entra.push(...page.value);
    next = page["@odata.nextLink"];
  }
  const synced = entra.filter((u) => u.onPremisesSyncEnabled === true);

  const client = new Client({
    url: ldap.url,
    tlsOptions: { ca: [ldap.caPem], minVersion: "TLSv1.2" },
    timeout: 60_000,
  });
  await client.bind(ldap.bindDN, ldap.password);
  const rows: SeedRow[] = [];
  let searches = 0;
  let swallowed = 0;
  try {
    for (const user of synced) {
      let onPrem: Record<string, unknown> | undefined;
      try {
        searches++;
        const { searchEntries } = await client.search(ldap.domainRoot, {
          scope: "sub",
          filter: `(&(objectCategory=person)(objectClass=user)(userPrincipalName=${Filter.escape(user.userPrincipalName)}))`,
          attributes: ["distinguishedName", "userPrincipalName", "sAMAccountName", "mobile", "otherMobile"],
        });
        onPrem = searchEntries[0];
      } catch {
        swallowed++; // -ErrorAction SilentlyContinue
      }
      if (!onPrem) continue;
      const adMobile = typeof onPrem.mobile === "string" ? onPrem.mobile : null;
      const entraMobile = user.mobilePhone ?? null;
      if ((truthy(adMobile) && !truthy(entraMobile)) || psNe(adMobile, entraMobile)) {
        rows.push({
          UserPrincipalName: user.userPrincipalName,
          ADMobile: adMobile,
          ADOtherMobile: PS_COLLECTION,
          EntraIDMobile: entraMobile,
          SyncGap: truthy(adMobile) && !truthy(entraMobile) ? "Missing in Entra" : "Value Mismatch",
        });
      }
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
  const csv = stringify(rows, {
    header: true,
    quoted: true,
    columns: ["UserPrincipalName", "ADMobile", "ADOtherMobile", "EntraIDMobile", "SyncGap"],
  });
  return {
    rows,
    syncedUsers: synced.length,
    ldapSearches: searches,
    ldapErrorsSwallowed: swallowed,
    graphRequests: graph.stats.requests - before,
    ms: performance.now() - t0,
    csv,
  };
}
