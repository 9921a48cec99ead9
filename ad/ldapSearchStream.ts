/**
 * One read of a live DC (`LdapReadRun`): its figures (`LdapReadStats`), the cap on users, the "no user under this
 * base DN" check, and the stream that turns a search's entries into pages of users as they arrive. The DirSync read
 * (./dirSyncRead.ts) and the paged read (./pagedRead.ts) both run their searches through it; ./ldapReader.ts
 * starts a run per `pages()`.
 */
import type { Client, SearchEntry } from "ldapts";
import { AdReadError } from "./errors";
import { compileFilter } from "./filter";
import type { LdapConnection } from "./ldapConnection";
import { type BaseDn, describeBase, type ReadSettings } from "./ldapReadOptions";
import { entryAttributes, lowerAttributeName, tapSearchEntries } from "./ldaptsDecoding";
import type { AdUser } from "./types";
import {
  AD_BINARY_ATTRIBUTES,
  AD_USER_ATTRIBUTES,
  type AttrValue,
  adUserFromAttributes,
  type RawAttributes,
} from "./userMapping";

/** The binary attributes, by lower-cased name. */
const BINARY_ATTRIBUTES: ReadonlySet<string> = new Set(AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));

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

export function freshStats(): LdapReadStats {
  return { pages: 0, requests: 0, users: 0, largestPage: 0, references: [], elapsedMs: 0, outOfScope: 0 };
}

/** Attribute map with lower-cased names from an ldapts entry. */
export function rawAttributes(entry: Record<string, unknown>): RawAttributes {
  const attrs: RawAttributes = new Map();
  for (const k in entry) {
    if (k === "dn") continue;
    const v = entry[k];
    attrs.set(lowerAttributeName(k), (Array.isArray(v) ? v : [v]) as AttrValue[]);
  }
  return attrs;
}

/** The search options of a user read: scope sub, the user attributes, binary ones as buffers. */
export function searchOptions(filter: string) {
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

export interface LdapReadRunOptions {
  url: string;
  /** The base DNs as given, for messages. */
  baseDNs: string[];
  maxUsers?: number;
  streamEntries?: boolean;
}

export class LdapReadRun {
  /** Entries received in this read (in scope or not). */
  received = 0;
  /** Set when the rootDSE showed base DNs in no naming context of the DC: named in a later "no such object" error. */
  outsideNcs: string | undefined;
  readonly t0 = performance.now();

  constructor(
    readonly options: LdapReadRunOptions,
    readonly settings: ReadSettings,
    /** Filled in place: the reader's `stats`. */
    readonly stats: LdapReadStats,
    readonly connection: LdapConnection,
  ) {}

  get url(): string {
    return this.options.url;
  }

  /** Anything thrown while talking to the DC, as an AdReadError (./ldapConnection.ts). */
  fail(e: unknown, during: string, baseDN?: string): AdReadError {
    return this.connection.fail(e, during, baseDN, this.outsideNcs);
  }

  /** Counts a page of users and enforces maxUsers. */
  counted(page: AdUser[]): AdUser[] {
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

  /**
   * Runs `search` (one or more requests on `client`) and yields the users of its entries in pages of up to pageSize
   * while it runs: each entry is turned into an AdUser as it arrives (tapSearchEntries), not collected first, so the
   * conversion overlaps the DC's sending and a large read's memory stays flat. With an ldapts the tap does not fit
   * (`search` is told: `tapped` false), `search` returns the collected entries and they are converted after it.
   * `scope` says which of the stream's bases an entry lies in (-1: none, dropped as out of scope); `inScope` counts
   * the users kept per base. Errors of `search` end the iteration as they are (`search` maps them); pages not yet
   * yielded are dropped.
   */
  async *stream(
    client: Client,
    where: string,
    scope: (dn: string) => number,
    inScope: number[],
    search: (tapped: boolean) => Promise<Record<string, unknown>[]>,
  ): AsyncGenerator<AdUser[]> {
    const pageSize = this.settings.pageSize;
    let page: AdUser[] = [];
    const ready: AdUser[][] = [];
    let wake: (() => void) | undefined;
    const add = (dn: string, attrs: RawAttributes) => {
      this.received++;
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
      if (page.length >= pageSize) {
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
        for (const entry of collected) add(String(entry.dn), rawAttributes(entry));
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
          yield this.counted(next);
          continue;
        }
        if (done) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (page.length) yield this.counted(page);
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
  emptyScope(bases: BaseDn[], inScope: number[], problem: (names: string) => string): AdReadError | undefined {
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
}
