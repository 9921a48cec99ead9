/**
 * What a read of a live DC is told (`LdapAdSourceOptions`: the connection of ./ldapConnection.ts plus the sync
 * scope, the filter, the page size and the read mode), and the check of those options before anything connects:
 * every base DN parses (RFC 4514) and none lies inside another, the page size is a positive integer (cut to AD's
 * 1000), the read mode is known and the filter parses. A bad option is an AdReadError (AD_BAD_CONFIG,
 * AD_BAD_BASE_DN, AD_BAD_FILTER) that says what to write instead.
 */
import { DnSyntaxError, formatDn, isSameOrBelow, type ParsedDn, parseDn, sameDn } from "./dn";
import { AdReadError } from "./errors";
import { compileFilter } from "./filter";
import type { LdapConnectionOptions } from "./ldapConnection";

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

/** A base DN as given, parsed, and as sent to the DC (RFC 4514 form: see formatDn). */
export interface BaseDn {
  given: string;
  parsed: ParsedDn;
  wire: string;
}

/** The options after the check: what the readers use. */
export interface ReadSettings {
  bases: BaseDn[];
  /** After the cap of 1000. */
  pageSize: number;
  filter: string;
  readMode: LdapReadMode;
}

export function describeBase(baseDNs: string[]): string {
  return baseDNs.length === 1 ? baseDNs[0]! : `${baseDNs.length} base DNs`;
}

/** Checks the read options (not the connection's: ./ldapConnection.ts does those) and says what is wrong. */
export function checkReadOptions(options: LdapAdSourceOptions): ReadSettings {
  const url = options.url;
  const bad = (problem: string, remedy: string) => new AdReadError("AD_BAD_CONFIG", url || "(no url)", problem, remedy);
  if (!options.baseDNs.length) throw bad("no base DN", "Give at least one sync-scope OU (or the domain root)");
  const bases = options.baseDNs.map((given) => {
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
  for (const [i, a] of bases.entries()) {
    for (const [j, b] of bases.entries()) {
      if (i < j && sameDn(a.parsed, b.parsed)) {
        throw bad(`base DNs ${a.given} and ${b.given} are the same DN: its users would be read twice`, "Drop one");
      }
      if (i !== j && isSameOrBelow(a.parsed, b.parsed) && !sameDn(a.parsed, b.parsed)) {
        throw bad(`base DN ${a.given} lies inside ${b.given}: its users would be read twice`, "Drop the inner base DN");
      }
    }
  }
  const pageSize = options.pageSize ?? AD_MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw bad(`page size ${pageSize} is not a positive integer`, "Use 1–1000");
  const filter = options.filter ?? DEFAULT_USER_FILTER;
  const readMode = options.readMode ?? "auto";
  if (!LDAP_READ_MODES.includes(readMode))
    throw bad(`unknown read mode ${readMode}`, `Use ${LDAP_READ_MODES.join(", ")}`);
  try {
    compileFilter(filter);
  } catch (e) {
    throw new AdReadError(
      "AD_BAD_FILTER",
      url,
      `the LDAP filter ${filter} does not parse: ${(e as Error).message}`,
      "Fix the filter (RFC 4515); escape user input with Filter.escape() from ldapts",
    );
  }
  return { bases, pageSize: Math.min(pageSize, AD_MAX_PAGE_SIZE), filter, readMode };
}
