/**
 * Active Directory's DirSync control (LDAP_SERVER_DIRSYNC_OID, 1.2.840.113556.1.4.841) for ldapts.
 *
 * What it is, from Microsoft's documentation:
 * - MS-ADTS 3.1.1.3.4.1.3, https://learn.microsoft.com/openspecs/windows_protocols/ms-adts/2213a7f2-0a36-483c-b2a4-8574d53aa1e3:
 *   request value `SEQUENCE { Flags INTEGER, MaxBytes INTEGER, Cookie OCTET STRING }`, response value
 *   `SEQUENCE { MoreResults INTEGER, unused INTEGER, CookieServer OCTET STRING }` under the same OID. It works across a
 *   whole naming context (NC) replica only, not a subtree.
 * - "Polling for Changes Using the DirSync Control",
 *   https://learn.microsoft.com/windows/win32/ad/polling-for-changes-using-the-dirsync-control: the base must be the
 *   root of a directory partition, the scope subtree; an empty cookie returns every object that matches the filter;
 *   the results also carry objectGUID and instanceType.
 * - LDAP_DIRSYNC_OBJECT_SECURITY (0x1): since Windows Server 2003 the caller then needs no "Replicating Directory
 *   Changes" right; the DC returns only the objects and attributes the caller may read.
 *
 * It is how Entra Connect's AD connector reads a domain. syncgap uses it for a full read (empty cookie) because it is
 * one search per NC instead of one per page (Samba, for one, serves a paged search by fetching every entry twice:
 * see docs/benchmarks.md), and filters the result to the sync-scope OUs itself, as Entra Connect's OU filtering does.
 */
import { Ber, type BerReader, BerWriter, Control } from "ldapts";
import { asDn, isSameOrBelow, type ParsedDn, parseDn } from "./dn";

export const DIRSYNC_OID = "1.2.840.113556.1.4.841";
/** Return only what the caller may read; needs no replication right (Windows Server 2003 and later). */
export const DIRSYNC_OBJECT_SECURITY = 0x1;
/** Bytes per DirSync reply that syncgap asks for; the DC may send less and says so with MoreResults. */
export const DIRSYNC_MAX_BYTES = 10 * 1024 * 1024;

export interface DirSyncResponse {
  moreResults: boolean;
  cookie: Buffer;
}

/**
 * One DirSync request; after the search returns, `response` holds the DC's answer (ldapts parses a response control
 * into the request control whose responseType matches).
 */
export class DirSyncControl extends Control {
  static readonly type = DIRSYNC_OID;
  readonly flags: number;
  readonly maxBytes: number;
  readonly cookie: Buffer;
  response?: DirSyncResponse;

  constructor(options: { flags?: number; maxBytes?: number; cookie?: Buffer } = {}) {
    // Critical: a server that does not know DirSync must refuse (unavailableCriticalExtension), not run a plain search.
    super(DIRSYNC_OID, { critical: true });
    this.flags = options.flags ?? DIRSYNC_OBJECT_SECURITY;
    this.maxBytes = options.maxBytes ?? DIRSYNC_MAX_BYTES;
    this.cookie = options.cookie ?? Buffer.alloc(0);
  }

  override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.flags);
    value.writeInt(this.maxBytes);
    value.writeBuffer(this.cookie, Ber.OctetString);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }

  override parseControl(reader: BerReader): void {
    if (reader.readSequence() === null) return;
    const more = reader.readInt() ?? 0;
    reader.readInt(); // unused
    const cookie = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
    this.response = { moreResults: more !== 0, cookie: Buffer.from(cookie) };
  }
}

/**
 * Groups base DNs by the naming context (from the rootDSE's namingContexts) that holds each: the longest NC (most
 * RDNs) the base lies in, DNs compared as parsed RDNs (ad/dn.ts). Returns the bases no listed NC holds in `outside`
 * (another domain: not DirSync's business). Naming contexts that do not parse are ignored: they cannot hold a base.
 */
export function baseDnsByNamingContext<T>(
  baseDNs: readonly T[],
  namingContexts: readonly string[],
  dnOf: (base: T) => string | ParsedDn = (base) => base as string | ParsedDn,
): { byNc: Map<string, T[]>; outside: T[] } {
  const ncs: [string, ParsedDn][] = [];
  for (const nc of namingContexts) {
    try {
      ncs.push([nc, parseDn(nc)]);
    } catch {
      // the DC's own list; a name that does not parse cannot be matched either
    }
  }
  const byNc = new Map<string, T[]>();
  const outside: T[] = [];
  for (const base of baseDNs) {
    const dn = asDn(dnOf(base));
    let best: [string, ParsedDn] | undefined;
    for (const nc of ncs) {
      if (isSameOrBelow(dn, nc[1]) && (!best || nc[1].keys.length > best[1].keys.length)) best = nc;
    }
    if (!best) outside.push(base);
    else byNc.set(best[0], [...(byNc.get(best[0]) ?? []), base]);
  }
  return { byNc, outside };
}
