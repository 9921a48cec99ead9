/**
 * The DirSync read of a live DC (readMode `dirsync`, and `auto` where the DC offers it): the rootDSE tells whether
 * the DC lists the DirSync control and which naming contexts it holds; then one DirSync search per naming context
 * (more while the DC says MoreResults), its entries kept to the base DNs, as Entra Connect reads. The control itself
 * is ./dirSyncControl.ts.
 */
import { type Client, ResultCodeError } from "ldapts";
import { baseDnsByNamingContext, DIRSYNC_OID, DirSyncControl } from "./dirSyncControl";
import { dnScope } from "./dn";
import { AdReadError } from "./errors";
import type { BaseDn } from "./ldapReadOptions";
import { type LdapReadRun, searchOptions } from "./ldapSearchStream";
import type { AdUser } from "./types";

/**
 * For dirsync/auto: reads the rootDSE (one request), groups the base DNs by naming context and checks that each
 * exists. Undefined means "read paged" (auto only; `dirsync` fails instead, saying why).
 */
export async function dirSyncPlan(run: LdapReadRun, client: Client): Promise<Map<string, BaseDn[]> | undefined> {
  const { readMode, bases } = run.settings;
  const unusable = (why: string, remedy: string) => {
    if (readMode === "dirsync") throw new AdReadError("AD_PROTOCOL", run.url, why, remedy);
    run.stats.fallback = `${why}: read with a paged search instead`;
    return undefined;
  };
  let root: Record<string, unknown>;
  try {
    const res = await client.search("", {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["supportedControl", "namingContexts"],
    });
    root = res.searchEntries[0] ?? {};
  } catch (e) {
    if (!(e instanceof ResultCodeError)) throw run.fail(e, "read the rootDSE");
    return unusable(`the rootDSE could not be read (LDAP ${e.code})`, "Use readMode paged for this server");
  } finally {
    run.stats.requests++;
  }
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
  if (!list(root.supportedControl).includes(DIRSYNC_OID)) {
    return unusable(
      `the server does not list the DirSync control (${DIRSYNC_OID}) in its rootDSE`,
      "Use readMode paged (--ad-read-mode paged) for servers other than Active Directory",
    );
  }
  const ncs = list(root.namingContexts);
  const { byNc, outside } = baseDnsByNamingContext(bases, ncs, (b) => b.parsed);
  if (outside.length) {
    const names = outside.map((b) => b.given).join("; ");
    run.outsideNcs = `${outside.length === 1 ? "it lies" : `${names} lie`} in no naming context this DC holds (${ncs.join("; ")})`;
    // A global catalog or a referral may still serve a paged search (auto); DirSync cannot.
    if (readMode === "dirsync") {
      throw new AdReadError(
        "AD_BAD_BASE_DN",
        run.url,
        `base DN ${names} lies in no naming context this DC holds (${ncs.join("; ")})`,
        "Check the DC=… part of the base DN (the domain), or point url at a DC of the domain that holds it",
      );
    }
    return unusable(`base DN ${names} lies in no naming context this DC holds`, "Check the base DN and the DC");
  }
  // DirSync reads the whole naming context, so a base DN that does not exist would simply match nothing: check
  // each one first (a base-scope search, no attributes) so it fails as the paged search would.
  for (const base of bases) {
    try {
      await client.search(base.wire, { scope: "base", filter: "(objectClass=*)", attributes: ["1.1"] });
    } catch (e) {
      throw run.fail(e, `read the base DN ${base.given}`, base.given);
    }
    run.stats.requests++;
  }
  return byNc;
}

/** One DirSync search per naming context (more when the DC says MoreResults), filtered to the base DNs. */
export async function* dirSyncPages(
  run: LdapReadRun,
  client: Client,
  plan: Map<string, BaseDn[]>,
): AsyncGenerator<AdUser[]> {
  const { explicitBufferAttributes, attributes, filter } = searchOptions(run.settings.filter);
  for (const [nc, bases] of plan) {
    const search = async (tapped: boolean) => {
      const collected: Record<string, unknown>[] = [];
      let cookie: Buffer = Buffer.alloc(0);
      for (;;) {
        const control = new DirSyncControl({ cookie });
        const before = run.received + collected.length;
        let res: { searchEntries: Record<string, unknown>[]; searchReferences: string[] };
        try {
          res = await client.search(nc, { scope: "sub", filter, attributes, explicitBufferAttributes }, [control]);
        } catch (e) {
          throw run.fail(e, `run a DirSync search of ${nc}`, nc);
        }
        run.stats.requests++;
        run.stats.references.push(...res.searchReferences);
        if (!tapped) for (const entry of res.searchEntries) collected.push(entry);
        run.stats.elapsedMs = performance.now() - run.t0;
        const answer = control.response;
        if (!answer) {
          throw new AdReadError(
            "AD_PROTOCOL",
            run.url,
            `the DC answered a DirSync search of ${nc} without a DirSync response control`,
            "Use readMode paged for this server",
          );
        }
        if (!answer.moreResults) return collected;
        if (run.received + collected.length === before && answer.cookie.equals(cookie)) {
          throw new AdReadError(
            "AD_PROTOCOL",
            run.url,
            `the DC said MoreResults for ${nc} but sent nothing and the same cookie`,
            "Use readMode paged for this server",
          );
        }
        cookie = answer.cookie;
      }
    };
    const inScope: number[] = [];
    const received = run.received;
    yield* run.stream(client, `${run.url} ${nc} (DirSync)`, dnScope(bases.map((b) => b.parsed)), inScope, search);
    const returned = run.received - received;
    const empty = run.emptyScope(bases, inScope, (names) =>
      returned === 0
        ? `the DirSync search of ${nc} returned no entry matching the filter, so no user was read under base DN ${names}`
        : `the DirSync search of ${nc} returned ${returned.toLocaleString("en-US")} ${returned === 1 ? "entry" : "entries"} matching the filter, none of them in or under base DN ${names}`,
    );
    if (empty) throw empty;
  }
}
