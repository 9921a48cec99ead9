/**
 * Reads users from a live Active Directory (or Samba AD) domain controller over LDAPS or LDAP+StartTLS with ldapts,
 * page by page (LDAP paged results control, RFC 2696), and turns them into `AdUser`s.
 *
 * Safety rules this reader keeps:
 * - TLS is always verified against the CA you give (or the system store); there is no switch to turn it off.
 * - Plain `ldap://` without StartTLS is refused: a simple bind would send the password in clear.
 * - The password never appears in logs or error messages (errors quote server text only after redaction).
 * - Nothing that fails comes back as an empty or short result: a missing base DN, a referral, a size limit, a
 *   timeout, a dropped connection each end the iteration with an `AdReadError`.
 */
import { type Client, Filter, ResultCodeError, type SearchEntry } from "ldapts";
import { baseDnsByNamingContext, DIRSYNC_OID, DirSyncControl } from "./dirSyncControl";
import { DnSyntaxError, dnScope, formatDn, isSameOrBelow, type ParsedDn, parseDn, sameDn } from "./dn";
import { AdReadError } from "./errors";
import { compileFilter } from "./filter";
import { guidStringToBytes, sidStringToBytes } from "./ids";
import { LdapConnection, type LdapConnectionOptions } from "./ldapConnection";
import { entryAttributes, lowerAttributeName, tapSearchEntries, useFastAttributeDecoding } from "./ldaptsDecoding";
import type { AdSource, AdUser } from "./types";
import {
  AD_BINARY_ATTRIBUTES,
  AD_USER_ATTRIBUTES,
  type AttrValue,
  adUserFromAttributes,
  type RawAttributes,
} from "./userMapping";

useFastAttributeDecoding();

/** The binary attributes, by lower-cased name. */
const BINARY_ATTRIBUTES: ReadonlySet<string> = new Set(AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));

/** Real AD's default MaxPageSize: a larger page size is silently cut to this. */
export const AD_MAX_PAGE_SIZE = 1000;
export const DEFAULT_USER_FILTER = "(&(objectCategory=person)(objectClass=user))";

/** The connection (./ldapConnection.ts) and what to read through it. */
export interface LdapAdSourceOptions extends LdapConnectionOptions {
  /** Sync-scope OUs (or the domain root). Each is searched with scope `sub`; none may contain another. */
  baseDNs: string[];
  /** LDAP filter for user objects. Default `(&(objectCategory=person)(objectClass=user))`. */
  filter?: string;
  /** Entries per page, 1–1000 (default and maximum 1000, AD's MaxPageSize). */
  pageSize?: number;
  /** Fail with AD_SIZE_LIMIT once more than this many users came back (default: no cap). */
  maxUsers?: number;
  /**
   * How to read (default `auto`):
   * - `dirsync`: one DirSync search (ad/dirSyncControl.ts) per naming context, filtered here to the base DNs. Reads the whole
   *   domain's users to keep those in scope, as Entra Connect does; no replication right needed (object security).
   * - `paged`: a paged search (RFC 2696) under each base DN, one request per page of up to 1000.
   * - `auto`: DirSync when the DC lists it in the rootDSE's supportedControl and every base DN lies in a naming
   *   context it holds, else paged; a DirSync search the DC refuses (LDAP 12, 50 or 53) before it returned anything
   *   falls back to paged too. `stats.method` and `stats.fallback` say what happened.
   */
  readMode?: LdapReadMode;
  /**
   * Turn entries into users as they arrive (default true; see ad/ldaptsDecoding.ts, tapSearchEntries). false lets
   * ldapts collect each search's entries first, which is also what happens with an ldapts the tap does not fit.
   */
  streamEntries?: boolean;
}

export type LdapReadMode = "auto" | "dirsync" | "paged";
export const LDAP_READ_MODES: readonly LdapReadMode[] = ["auto", "dirsync", "paged"];

export interface LdapReadStats {
  /** Pages yielded (non-empty pages). */
  pages: number;
  /** Search requests sent (one per server page, including a final empty one). */
  requests: number;
  users: number;
  /** Largest page the server sent. */
  largestPage: number;
  /** Continuation references (other partitions/domains) that were returned and not followed. */
  references: string[];
  elapsedMs: number;
  /** How the users were read (see LdapAdSourceOptions.readMode). */
  method?: "dirsync" | "paged";
  /** Why `auto` read with a paged search although DirSync was tried or considered. */
  fallback?: string;
  /** DirSync: entries the DC returned outside the base DNs (other OUs of the domain), dropped here. */
  outOfScope: number;
}

/** A base DN as given, parsed, and as sent to the DC (RFC 4514 form: see formatDn). */
interface BaseDn {
  given: string;
  parsed: ParsedDn;
  wire: string;
}

function freshStats(): LdapReadStats {
  return { pages: 0, requests: 0, users: 0, largestPage: 0, references: [], elapsedMs: 0, outOfScope: 0 };
}

function describeBase(baseDNs: string[]): string {
  return baseDNs.length === 1 ? baseDNs[0]! : `${baseDNs.length} base DNs`;
}

export class LdapAdSource implements AdSource {
  readonly description: string;
  readonly options: Readonly<Omit<LdapAdSourceOptions, "password">>;
  /** Figures of the last (or current) run of pages(). */
  readonly stats: LdapReadStats = freshStats();
  readonly #pageSize: number;
  readonly #filter: string;
  readonly #readMode: LdapReadMode;
  readonly #bases: BaseDn[];
  /** URL rules, TLS, timeouts, bind and error translation (./ldapConnection.ts). */
  readonly #connection: LdapConnection;

  constructor(options: LdapAdSourceOptions) {
    const { password: _password, ...rest } = options;
    this.options = Object.freeze({ ...rest, baseDNs: [...options.baseDNs] });
    const url = options.url;
    this.#connection = new LdapConnection(options);
    const bad = (problem: string, remedy: string) =>
      new AdReadError("AD_BAD_CONFIG", url || "(no url)", problem, remedy);
    if (!options.baseDNs.length) throw bad("no base DN", "Give at least one sync-scope OU (or the domain root)");
    this.#bases = options.baseDNs.map((given) => {
      let parsed: ParsedDn;
      try {
        parsed = parseDn(given);
      } catch (e) {
        if (!(e instanceof DnSyntaxError)) throw e;
        throw new AdReadError(
          "AD_BAD_BASE_DN",
          url,
          `base DN ${JSON.stringify(given)} is not a valid DN: ${e.problem} (character ${e.position + 1})`,
          'Write base DNs like OU=Staff,DC=corp,DC=example,DC=com (RFC 4514); in a value, escape , + " \\ < > ; with a backslash',
          { cause: e },
        );
      }
      if (!parsed.rdns.length) {
        throw new AdReadError(
          "AD_BAD_BASE_DN",
          url,
          `base DN ${JSON.stringify(given)} is empty`,
          "Give the sync-scope OU or the domain root, e.g. DC=corp,DC=example,DC=com",
        );
      }
      return { given, parsed, wire: formatDn(parsed) };
    });
    for (const [i, a] of this.#bases.entries()) {
      for (const [j, b] of this.#bases.entries()) {
        if (i < j && sameDn(a.parsed, b.parsed)) {
          throw bad(`base DNs ${a.given} and ${b.given} are the same DN: its users would be read twice`, "Drop one");
        }
        if (i !== j && isSameOrBelow(a.parsed, b.parsed) && !sameDn(a.parsed, b.parsed)) {
          throw bad(
            `base DN ${a.given} lies inside ${b.given}: its users would be read twice`,
            "Drop the inner base DN",
          );
        }
      }
    }
    const pageSize = options.pageSize ?? AD_MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw bad(`page size ${pageSize} is not a positive integer`, "Use 1–1000");
    this.#pageSize = Math.min(pageSize, AD_MAX_PAGE_SIZE);
    this.#filter = options.filter ?? DEFAULT_USER_FILTER;
    const mode = options.readMode ?? "auto";
    if (!LDAP_READ_MODES.includes(mode)) throw bad(`unknown read mode ${mode}`, `Use ${LDAP_READ_MODES.join(", ")}`);
    this.#readMode = mode;
    try {
      compileFilter(this.#filter);
    } catch (e) {
      throw new AdReadError(
        "AD_BAD_FILTER",
        url,
        `the LDAP filter ${this.#filter} does not parse: ${(e as Error).message}`,
        "Fix the filter (RFC 4515); escape user input with Filter.escape() from ldapts",
      );
    }
    this.description = `${url} (${describeBase(options.baseDNs)})`;
  }

  /** The effective page size (after the cap of 1000). */
  get pageSize(): number {
    return this.#pageSize;
  }

  #fail(e: unknown, during: string, baseDN?: string): AdReadError {
    return this.#connection.fail(e, during, baseDN, this.#outsideNcs);
  }

  /** Attribute map with lower-cased names from an ldapts entry. */
  static #rawAttributes(entry: Record<string, unknown>): RawAttributes {
    const attrs: RawAttributes = new Map();
    for (const k in entry) {
      if (k === "dn") continue;
      const v = entry[k];
      attrs.set(lowerAttributeName(k), (Array.isArray(v) ? v : [v]) as AttrValue[]);
    }
    return attrs;
  }

  #searchOptions(filter: string) {
    // ldapts matches explicitBufferAttributes against the attribute names the server sends, case-sensitively.
    // AD and Samba send the schema spelling; list lower-case too for servers that echo the request's case.
    const explicit = [...AD_BINARY_ATTRIBUTES, ...AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase())];
    return {
      scope: "sub" as const,
      // compiled here, not by ldapts, so escaped bytes (binary GUIDs, UTF-8 escapes) go out as the bytes they are
      filter: compileFilter(filter),
      attributes: [...AD_USER_ATTRIBUTES],
      explicitBufferAttributes: explicit,
    };
  }

  /**
   * Yields the users in pages of up to pageSize, as they arrive. One connection per call. Reads with DirSync or a
   * paged search (options.readMode); either way a failure ends the iteration with an AdReadError, and so does a base
   * DN under which no user was read (AD_EMPTY_SCOPE).
   */
  async *pages(): AsyncGenerator<AdUser[]> {
    const t0 = performance.now();
    Object.assign(this.stats, freshStats(), { method: undefined, fallback: undefined });
    this.#received = 0;
    this.#outsideNcs = undefined;
    const client = await this.#connection.connect();
    try {
      const plan = this.#readMode === "paged" ? undefined : await this.#dirSyncPlan(client);
      if (plan) {
        this.stats.method = "dirsync";
        const before = this.stats.requests;
        try {
          yield* this.#dirSyncPages(client, plan, t0);
          return;
        } catch (e) {
          // auto: a DC that refuses DirSync before sending anything gets a paged search instead
          const ldap = (e as AdReadError).ldapCode;
          const refused = ldap === 12 || ldap === 50 || ldap === 53;
          if (this.#readMode !== "auto" || !refused || this.stats.requests > before || this.#received > 0) throw e;
          this.stats.fallback = `the DC refused the DirSync search (LDAP ${ldap}): read with a paged search instead`;
        }
      }
      this.stats.method = "paged";
      yield* this.#pagedPages(client, t0);
    } finally {
      this.stats.elapsedMs = performance.now() - t0;
      await client.unbind().catch(() => {});
    }
  }

  /** Set when the rootDSE showed base DNs in no naming context of the DC: named in a later "no such object" error. */
  #outsideNcs: string | undefined;

  /**
   * For dirsync/auto: reads the rootDSE (one request), groups the base DNs by naming context and checks that each
   * exists. Undefined means "read paged" (auto only; `dirsync` fails instead, saying why).
   */
  async #dirSyncPlan(client: Client): Promise<Map<string, BaseDn[]> | undefined> {
    const unusable = (why: string, remedy: string) => {
      if (this.#readMode === "dirsync") throw new AdReadError("AD_PROTOCOL", this.options.url, why, remedy);
      this.stats.fallback = `${why}: read with a paged search instead`;
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
      if (!(e instanceof ResultCodeError)) throw this.#fail(e, "read the rootDSE");
      return unusable(`the rootDSE could not be read (LDAP ${e.code})`, "Use readMode paged for this server");
    } finally {
      this.stats.requests++;
    }
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
    if (!list(root.supportedControl).includes(DIRSYNC_OID)) {
      return unusable(
        `the server does not list the DirSync control (${DIRSYNC_OID}) in its rootDSE`,
        "Use readMode paged (--ad-read-mode paged) for servers other than Active Directory",
      );
    }
    const ncs = list(root.namingContexts);
    const { byNc, outside } = baseDnsByNamingContext(this.#bases, ncs, (b) => b.parsed);
    if (outside.length) {
      const names = outside.map((b) => b.given).join("; ");
      this.#outsideNcs = `${outside.length === 1 ? "it lies" : `${names} lie`} in no naming context this DC holds (${ncs.join("; ")})`;
      // A global catalog or a referral may still serve a paged search (auto); DirSync cannot.
      if (this.#readMode === "dirsync") {
        throw new AdReadError(
          "AD_BAD_BASE_DN",
          this.options.url,
          `base DN ${names} lies in no naming context this DC holds (${ncs.join("; ")})`,
          "Check the DC=… part of the base DN (the domain), or point url at a DC of the domain that holds it",
        );
      }
      return unusable(`base DN ${names} lies in no naming context this DC holds`, "Check the base DN and the DC");
    }
    // DirSync reads the whole naming context, so a base DN that does not exist would simply match nothing: check
    // each one first (a base-scope search, no attributes) so it fails as the paged search would.
    for (const base of this.#bases) {
      try {
        await client.search(base.wire, { scope: "base", filter: "(objectClass=*)", attributes: ["1.1"] });
      } catch (e) {
        throw this.#fail(e, `read the base DN ${base.given}`, base.given);
      }
      this.stats.requests++;
    }
    return byNc;
  }

  /** Counts a page of users and enforces maxUsers. */
  #counted(page: AdUser[]): AdUser[] {
    this.stats.pages++;
    this.stats.users += page.length;
    this.stats.largestPage = Math.max(this.stats.largestPage, page.length);
    if (this.options.maxUsers !== undefined && this.stats.users > this.options.maxUsers) {
      throw new AdReadError(
        "AD_SIZE_LIMIT",
        this.options.url,
        `more than maxUsers=${this.options.maxUsers} users under ${describeBase(this.options.baseDNs)}`,
        "Raise maxUsers, or narrow baseDNs/filter if the scope is wrong",
      );
    }
    return page;
  }

  /** Entries received in this read (in scope or not). */
  #received = 0;

  /**
   * Runs `search` (one or more requests on `client`) and yields the users of its entries in pages of up to pageSize
   * while it runs: each entry is turned into an AdUser as it arrives (tapSearchEntries), not collected first, so the
   * conversion overlaps the DC's sending and a large read's memory stays flat. With an ldapts the tap does not fit
   * (`search` is told: `tapped` false), `search` returns the collected entries and they are converted after it.
   * `scope` says which of the stream's bases an entry lies in (-1: none, dropped as out of scope); `inScope` counts
   * the users kept per base. Errors of `search` end the iteration as they are (`search` maps them); pages not yet
   * yielded are dropped.
   */
  async *#stream(
    client: Client,
    where: string,
    scope: (dn: string) => number,
    inScope: number[],
    search: (tapped: boolean) => Promise<Record<string, unknown>[]>,
  ): AsyncGenerator<AdUser[]> {
    let page: AdUser[] = [];
    const ready: AdUser[][] = [];
    let wake: (() => void) | undefined;
    const add = (dn: string, attrs: RawAttributes) => {
      this.#received++;
      let at: number;
      try {
        at = scope(dn);
      } catch (e) {
        throw new AdReadError(
          "AD_BAD_ENTRY",
          where,
          `the DC sent an entry whose DN does not parse (${(e as Error).message})`,
          "Report this with the DN to the AD admins; no users were read",
          { cause: e },
        );
      }
      if (at < 0) {
        this.stats.outOfScope++;
        return;
      }
      inScope[at] = (inScope[at] ?? 0) + 1;
      page.push(adUserFromAttributes(dn, attrs, where));
      if (page.length >= this.#pageSize) {
        ready.push(page);
        page = [];
        wake?.();
      }
    };
    let failure: { error: unknown } | undefined;
    const onEntry = (entry: SearchEntry) => {
      if (failure) return;
      try {
        add(entry.name, entryAttributes(entry, BINARY_ATTRIBUTES));
      } catch (error) {
        failure = { error };
        wake?.();
      }
    };
    const tap = this.options.streamEntries === false ? undefined : tapSearchEntries(client, onEntry);
    let done = false;
    void search(tap !== undefined)
      .then((collected) => {
        for (const entry of collected) add(String(entry.dn), LdapAdSource.#rawAttributes(entry));
      })
      .catch((error) => {
        failure ??= { error };
      })
      .finally(() => {
        done = true;
        wake?.();
      });
    try {
      for (;;) {
        if (failure) throw failure.error;
        const next = ready.shift();
        if (next) {
          yield this.#counted(next);
          continue;
        }
        if (done) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (page.length) yield this.#counted(page);
    } finally {
      tap?.off();
    }
  }

  /**
   * A base DN under which no user was read is an error, never an empty success: with DirSync a misspelt or wrong
   * scope would otherwise drop every entry silently (the DC sends the whole naming context), and in a paged read an
   * OU that holds none of the users means the scope is not the one meant (or the account may not see them: AD
   * leaves out what it may not read).
   */
  #emptyScope(bases: BaseDn[], inScope: number[], problem: (names: string) => string): AdReadError | undefined {
    const empty = bases.filter((_, i) => !inScope[i]);
    if (!empty.length) return undefined;
    const one = empty.length === 1;
    return new AdReadError(
      "AD_EMPTY_SCOPE",
      this.options.url,
      problem(empty.map((b) => b.given).join("; ")),
      `Check the spelling of ${one ? "the base DN" : "these base DNs"} (each OU=… and DC=…) and that ${one ? "the OU holds" : "the OUs hold"} the users to compare (Get-ADUser -SearchBase '<base DN>' -Filter *), that the filter matches them, and that the bind account may read them (AD leaves out what it may not); drop an OU that holds no users from the base DNs`,
    );
  }

  /** One DirSync search per naming context (more when the DC says MoreResults), filtered to the base DNs. */
  async *#dirSyncPages(client: Client, plan: Map<string, BaseDn[]>, t0: number): AsyncGenerator<AdUser[]> {
    const { explicitBufferAttributes, attributes, filter } = this.#searchOptions(this.#filter);
    for (const [nc, bases] of plan) {
      const search = async (tapped: boolean) => {
        const collected: Record<string, unknown>[] = [];
        let cookie: Buffer = Buffer.alloc(0);
        for (;;) {
          const control = new DirSyncControl({ cookie });
          const before = this.#received + collected.length;
          let res: { searchEntries: Record<string, unknown>[]; searchReferences: string[] };
          try {
            res = await client.search(nc, { scope: "sub", filter, attributes, explicitBufferAttributes }, [control]);
          } catch (e) {
            throw this.#fail(e, `run a DirSync search of ${nc}`, nc);
          }
          this.stats.requests++;
          this.stats.references.push(...res.searchReferences);
          if (!tapped) for (const entry of res.searchEntries) collected.push(entry);
          this.stats.elapsedMs = performance.now() - t0;
          const answer = control.response;
          if (!answer) {
            throw new AdReadError(
              "AD_PROTOCOL",
              this.options.url,
              `the DC answered a DirSync search of ${nc} without a DirSync response control`,
              "Use readMode paged for this server",
            );
          }
          if (!answer.moreResults) return collected;
          if (this.#received + collected.length === before && answer.cookie.equals(cookie)) {
            throw new AdReadError(
              "AD_PROTOCOL",
              this.options.url,
              `the DC said MoreResults for ${nc} but sent nothing and the same cookie`,
              "Use readMode paged for this server",
            );
          }
          cookie = answer.cookie;
        }
      };
      const inScope: number[] = [];
      const received = this.#received;
      yield* this.#stream(
        client,
        `${this.options.url} ${nc} (DirSync)`,
        dnScope(bases.map((b) => b.parsed)),
        inScope,
        search,
      );
      const returned = this.#received - received;
      const empty = this.#emptyScope(bases, inScope, (names) =>
        returned === 0
          ? `the DirSync search of ${nc} returned no entry matching the filter, so no user was read under base DN ${names}`
          : `the DirSync search of ${nc} returned ${returned.toLocaleString("en-US")} ${returned === 1 ? "entry" : "entries"} matching the filter, none of them in or under base DN ${names}`,
      );
      if (empty) throw empty;
    }
  }

  /** A paged search (RFC 2696) under each base DN. */
  async *#pagedPages(client: Client, t0: number): AsyncGenerator<AdUser[]> {
    for (const base of this.#bases) {
      const search = async (tapped: boolean) => {
        const collected: Record<string, unknown>[] = [];
        const it = client.searchPaginated(base.wire, {
          ...this.#searchOptions(this.#filter),
          paged: { pageSize: this.#pageSize },
        });
        for (;;) {
          let step: IteratorResult<{ searchEntries: Record<string, unknown>[]; searchReferences: string[] }>;
          try {
            step = await it.next();
          } catch (e) {
            throw this.#fail(e, `search ${base.given}`, base.given);
          }
          if (step.done) return collected;
          this.stats.requests++;
          this.stats.references.push(...step.value.searchReferences);
          if (!tapped) for (const entry of step.value.searchEntries) collected.push(entry);
          this.stats.elapsedMs = performance.now() - t0;
        }
      };
      // The DC returns only entries under the base (scope sub): every one is in scope.
      const inScope: number[] = [];
      yield* this.#stream(client, `${this.options.url} ${base.given}`, () => 0, inScope, search);
      const empty = this.#emptyScope(
        [base],
        inScope,
        (name) => `no user under base DN ${name} matches the filter: the DC found the base DN but returned no entries`,
      );
      if (empty) throw empty;
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
    const filter = `(&${this.#filter}(${attribute}=${assertion}))`;
    const client = await this.#connection.connect();
    const out: AdUser[] = [];
    try {
      for (const base of this.#bases) {
        let res: { searchEntries: Record<string, unknown>[] };
        try {
          res = await client.search(base.wire, {
            ...this.#searchOptions(filter),
            paged: { pageSize: this.#pageSize },
          });
        } catch (e) {
          throw this.#fail(e, `search ${base.given}`, base.given);
        }
        for (const entry of res.searchEntries) {
          out.push(
            adUserFromAttributes(
              String(entry.dn),
              LdapAdSource.#rawAttributes(entry),
              `${this.options.url} ${base.given}`,
            ),
          );
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
