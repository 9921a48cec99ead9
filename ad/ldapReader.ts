/**
 * Reads users from a live Active Directory (or Samba AD) domain controller over LDAPS or LDAP+StartTLS with ldapts,
 * and turns them into `AdUser`s: `LdapAdSource`, the AdSource over a DC. It picks the read mode and falls back from
 * DirSync to paged; the reads themselves are ./dirSyncRead.ts and ./pagedRead.ts (both stream entries through
 * ./ldapSearchStream.ts), the options and their check ./ldapReadOptions.ts, the connection ./ldapConnection.ts.
 *
 * Safety rules this reader keeps:
 * - TLS is always verified against the CA you give (or the system store); there is no switch to turn it off.
 * - Plain `ldap://` without StartTLS is refused: a simple bind would send the password in clear.
 * - The password never appears in logs or error messages (errors quote server text only after redaction).
 * - Nothing that fails comes back as an empty or short result: a missing base DN, a referral, a size limit, a
 *   timeout, a dropped connection each end the iteration with an `AdReadError`.
 */
import { Filter } from "ldapts";
import { dirSyncPages, dirSyncPlan } from "./dirSyncRead";
import type { AdReadError } from "./errors";
import { guidStringToBytes, sidStringToBytes } from "./ids";
import { LdapConnection } from "./ldapConnection";
import { checkReadOptions, describeBase, type LdapAdSourceOptions, type ReadSettings } from "./ldapReadOptions";
import { freshStats, LdapReadRun, type LdapReadStats, rawAttributes, searchOptions } from "./ldapSearchStream";
import { useFastAttributeDecoding } from "./ldaptsDecoding";
import { pagedPages } from "./pagedRead";
import type { AdSource, AdUser } from "./types";
import { adUserFromAttributes } from "./userMapping";

useFastAttributeDecoding();

export class LdapAdSource implements AdSource {
  readonly description: string;
  readonly options: Readonly<Omit<LdapAdSourceOptions, "password">>;
  /** Figures of the last (or current) run of pages(). */
  readonly stats: LdapReadStats = freshStats();
  readonly #settings: ReadSettings;
  /** URL rules, TLS, timeouts, bind and error translation (./ldapConnection.ts). */
  readonly #connection: LdapConnection;
  /** The last (or current) run of pages(). */
  #run: LdapReadRun | undefined;

  constructor(options: LdapAdSourceOptions) {
    const { password: _password, ...rest } = options;
    this.options = Object.freeze({ ...rest, baseDNs: [...options.baseDNs] });
    this.#connection = new LdapConnection(options);
    this.#settings = checkReadOptions(options);
    this.description = `${options.url} (${describeBase(options.baseDNs)})`;
  }

  /** The effective page size (after the cap of 1000). */
  get pageSize(): number {
    return this.#settings.pageSize;
  }

  #fail(e: unknown, during: string, baseDN?: string): AdReadError {
    return this.#connection.fail(e, during, baseDN, this.#run?.outsideNcs);
  }

  /**
   * Yields the users in pages of up to pageSize, as they arrive. One connection per call. Reads with DirSync or a
   * paged search (options.readMode); either way a failure ends the iteration with an AdReadError, and so does a base
   * DN under which no user was read (AD_EMPTY_SCOPE).
   */
  async *pages(): AsyncGenerator<AdUser[]> {
    Object.assign(this.stats, freshStats(), { method: undefined, fallback: undefined });
    const run = new LdapReadRun(this.options, this.#settings, this.stats, this.#connection);
    this.#run = run;
    const readMode = this.#settings.readMode;
    const client = await this.#connection.connect();
    try {
      const plan = readMode === "paged" ? undefined : await dirSyncPlan(run, client);
      if (plan) {
        this.stats.method = "dirsync";
        const before = this.stats.requests;
        try {
          yield* dirSyncPages(run, client, plan);
          return;
        } catch (e) {
          // auto: a DC that refuses DirSync before sending anything gets a paged search instead
          const ldap = (e as AdReadError).ldapCode;
          const refused = ldap === 12 || ldap === 50 || ldap === 53;
          if (readMode !== "auto" || !refused || this.stats.requests > before || run.received > 0) throw e;
          this.stats.fallback = `the DC refused the DirSync search (LDAP ${ldap}): read with a paged search instead`;
        }
      }
      this.stats.method = "paged";
      yield* pagedPages(run, client);
    } finally {
      this.stats.elapsedMs = performance.now() - run.t0;
      await client.unbind().catch(() => {});
    }
  }

  /** All users (convenience for small directories; prefer pages() for large ones). */
  async readAll(): Promise<AdUser[]> {
    const all: AdUser[] = [];
    for await (const page of this.pages()) all.push(...page);
    return all;
  }

  /**
   * Finds users in the sync scope by one attribute. The value is escaped (RFC 4515); GUIDs and SIDs given as strings
   * are turned into their binary form, which is how AD matches them; ldapts' Filter.escape writes bytes as `\hh`.
   */
  async findUsers(
    attribute:
      | "userPrincipalName"
      | "sAMAccountName"
      | "mail"
      | "displayName"
      | "mobile"
      | "objectGUID"
      | "objectSid"
      | "mS-DS-ConsistencyGuid",
    value: string,
  ): Promise<AdUser[]> {
    let assertion: string;
    if (attribute === "objectGUID" || attribute === "mS-DS-ConsistencyGuid")
      assertion = Filter.escape(guidStringToBytes(value));
    else if (attribute === "objectSid") assertion = Filter.escape(sidStringToBytes(value));
    else assertion = Filter.escape(value);
    const filter = `(&${this.#settings.filter}(${attribute}=${assertion}))`;
    const client = await this.#connection.connect();
    const out: AdUser[] = [];
    try {
      for (const base of this.#settings.bases) {
        let res: { searchEntries: Record<string, unknown>[] };
        try {
          res = await client.search(base.wire, {
            ...searchOptions(filter),
            paged: { pageSize: this.#settings.pageSize },
          });
        } catch (e) {
          throw this.#fail(e, `search ${base.given}`, base.given);
        }
        for (const entry of res.searchEntries) {
          out.push(adUserFromAttributes(String(entry.dn), rawAttributes(entry), `${this.options.url} ${base.given}`));
        }
      }
    } finally {
      await client.unbind().catch(() => {});
    }
    return out;
  }

  /** Binds and unbinds: checks URL, TLS trust and credentials without reading anything. */
  async verify(): Promise<void> {
    const client = await this.#connection.connect();
    await client.unbind().catch(() => {});
  }

  /**
   * Reads attributes of the rootDSE, connected and bound as for a read (same TLS checks, timeouts and errors): for
   * the delta fingerprint (`dsServiceName`, `highestCommittedUSN`).
   */
  async readRootDse(attributes: string[]): Promise<Record<string, unknown>> {
    const client = await this.#connection.connect();
    try {
      const res = await client.search("", { scope: "base", filter: "(objectClass=*)", attributes });
      return res.searchEntries[0] ?? {};
    } catch (e) {
      throw this.#fail(e, "read the rootDSE");
    } finally {
      await client.unbind().catch(() => {});
    }
  }
}

/** An AdSource over a live DC. See LdapAdSourceOptions. */
export function createLdapAdSource(options: LdapAdSourceOptions): LdapAdSource {
  return new LdapAdSource(options);
}
