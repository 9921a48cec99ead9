/**
 * One connection to a domain controller, as every part of syncgap that talks LDAP makes it (the reader, the delta
 * fingerprint): the URL rules (LDAPS, or LDAP with StartTLS — never a plain bind), TLS verified against the given CA
 * (TLS 1.2+, the host name checked), the timeouts, the bind, and what any failure on the way means, as an AdReadError
 * that names the server and what to do. The password lives only here and is redacted from every message.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { Client, type Control, type DN, ResultCodeError, type SearchOptions, type SearchResult } from "ldapts";
import { AdReadError, redact } from "./errors";

/**
 * Per-request timeout. ldapts counts it from a request's send to its final response (all entries of one page or one
 * DirSync reply included), not as idle time. A healthy DC answers a page of 1,000 users or a DirSync reply of at most
 * DIRSYNC_MAX_BYTES well within 30 s; waiting longer only delays the exit 2 of a DC that accepted the connection and
 * hangs (a pipeline would otherwise sit until its job timeout). It stays below AD's own MaxQueryDuration (120 s by
 * default, https://learn.microsoft.com/troubleshoot/windows-server/active-directory/view-set-ldap-policy-using-ntdsutil),
 * so a DC that is slow rather than dead ends here with advice to raise it (timeoutMs) instead of a server time limit.
 * Samba does not keep to MaxBytes: it answers a DirSync search with the whole domain in one reply (docs/benchmarks.md,
 * "AD read"), so a Samba domain of several hundred thousand users needs a higher timeoutMs, or readMode paged.
 */
export const DEFAULT_LDAP_TIMEOUT_MS = 30_000;
/**
 * TCP connect plus TLS handshake: a few round trips. 10 s covers Linux's SYN retransmissions (1 s, 3 s, 7 s after
 * the first SYN) on a lossy link; a DC that has not completed TLS by then is down or filtered.
 */
export const DEFAULT_LDAP_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The ldapts Client timeouts for a `timeoutMs` (and an optional separate connect timeout): the reader's, and
 * everything else in syncgap that talks LDAP to the same DC (gap/adSources.ts' delta fingerprint).
 */
export function ldapClientTimeouts(
  server: string,
  timeoutMs: number | undefined = DEFAULT_LDAP_TIMEOUT_MS,
  connectTimeoutMs?: number,
): { timeout: number; connectTimeout: number } {
  for (const [name, v] of [
    ["timeoutMs", timeoutMs],
    ["connectTimeoutMs", connectTimeoutMs],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new AdReadError(
        "AD_BAD_CONFIG",
        server || "(no url)",
        `${name} ${v} is not a positive number of milliseconds`,
        "Give the time to wait for the DC per request, e.g. 30000 (30 s)",
      );
    }
  }
  return {
    timeout: timeoutMs,
    connectTimeout: connectTimeoutMs ?? Math.min(DEFAULT_LDAP_CONNECT_TIMEOUT_MS, timeoutMs),
  };
}

/**
 * An ldapts Client whose searches ask the DC for no time limit of their own (timeLimit 0) unless a call gives one.
 *
 * ldapts puts `timeLimit: 10` (seconds) into every SearchRequest it is not told otherwise about. A DC honours that
 * (RFC 4511 4.5.1.5: the smaller of the client's and its own limit): a DirSync read of a 100,000-user domain, one
 * request, was cut off at 10 s, and Samba says so as "Operations error (1) … ldb_wait … LDB_WAIT_ALL", not as
 * timeLimitExceeded (docs/benchmarks.md, "Why the 100,000-user DirSync read failed before"). syncgap asks for no
 * limit, as ldapsearch does unless given `-l`, so that how long a request may take is decided by the client's
 * timeout (timeoutMs: its error names itself and what to raise) and by the DC's own policy (AD's MaxQueryDuration,
 * 120 s by default, which answers timeLimitExceeded; see DEFAULT_LDAP_TIMEOUT_MS).
 */
class LdapClient extends Client {
  override search(
    baseDN: DN | string,
    options: SearchOptions = {},
    controls?: Control | Control[],
  ): Promise<SearchResult> {
    return super.search(baseDN, { timeLimit: 0, ...options }, controls);
  }

  override searchPaginated(
    baseDN: DN | string,
    options: SearchOptions = {},
    controls?: Control | Control[],
  ): AsyncGenerator<SearchResult> {
    return super.searchPaginated(baseDN, { timeLimit: 0, ...options }, controls);
  }
}

/** "30 s", "0.3 s": a timeout for a message. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

const TLS_TRUST_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "EPIPE",
]);

/** AD puts a sub-code into bind failures ("… data 52e, v4563"): say what it means. */
const AD_BIND_SUBCODES: Record<string, string> = {
  "525": "the user does not exist",
  "52e": "the password is wrong",
  "530": "logons are not permitted at this time",
  "531": "logons are not permitted from this workstation",
  "532": "the password has expired",
  "533": "the account is disabled",
  "701": "the account has expired",
  "773": "the password must be reset before first use",
  "775": "the account is locked out",
};

/** What a connection to a DC needs (the back-fill's writes use it as is; the reader's LdapAdSourceOptions extend it). */
export interface LdapConnectionOptions {
  /** `ldaps://host[:636]`, or `ldap://host[:389]` together with `startTls: true`. */
  url: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding (required for `ldap://`). */
  startTls?: boolean;
  /** CA certificate(s) (PEM) to trust for the DC's certificate. Without caPem/caCertPath, Node's default CAs. */
  caPem?: string | string[];
  /** File holding the CA certificate(s) (PEM). */
  caCertPath?: string;
  /** Name to check the DC's certificate against (and send as SNI), when it differs from the URL's host. */
  servername?: string;
  /** Who to bind as: a UPN (`svc@corp.example.com`), a DN (`CN=svc,OU=…`) or `DOMAIN\svc`. */
  bindDN: string;
  /** The bind password. Take it from the environment or a secret store; it is never logged. */
  password: string;
  /**
   * How long to wait for the DC, in ms, per LDAP request (StartTLS, bind, the rootDSE, one page, one DirSync reply),
   * from sending it to its last response. Default DEFAULT_LDAP_TIMEOUT_MS (30 s). Also the connect timeout when
   * shorter than DEFAULT_LDAP_CONNECT_TIMEOUT_MS.
   */
  timeoutMs?: number;
  /** TCP + TLS connect timeout in ms (default 10 s, or timeoutMs when that is shorter). */
  connectTimeoutMs?: number;
}

export class LdapConnection {
  readonly url: string;
  readonly bindDN: string;
  readonly servername: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly #secure: boolean;
  readonly #password: string;
  readonly #ca: string[] | undefined;
  readonly #timeouts: { timeout: number; connectTimeout: number };

  /** Checks the options (exit-2 AdReadErrors naming what is wrong); connects nothing yet. */
  constructor(options: LdapConnectionOptions) {
    const url = options.url;
    this.url = url;
    this.bindDN = options.bindDN;
    this.servername = options.servername;
    this.#password = options.password;
    const bad = (problem: string, remedy: string) =>
      new AdReadError("AD_BAD_CONFIG", url || "(no url)", problem, remedy);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad("the AD url is not a URL", "Use ldaps://dc.example.com or ldap://dc.example.com with startTls");
    }
    if (parsed.protocol !== "ldaps:" && parsed.protocol !== "ldap:") {
      throw bad(`unsupported scheme ${parsed.protocol}`, "Use ldaps:// (port 636) or ldap:// with startTls: true");
    }
    this.#secure = parsed.protocol === "ldaps:";
    if (!this.#secure && !options.startTls) {
      throw bad(
        "ldap:// without StartTLS would send the bind password in clear text",
        "Use ldaps://…:636, or set startTls: true for ldap://…:389",
      );
    }
    if (this.#secure && options.startTls) throw bad("startTls is for ldap:// URLs", "Drop startTls or use ldap://");
    this.host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = parsed.port ? Number(parsed.port) : this.#secure ? 636 : 389;
    if (!options.bindDN) throw bad("no bind name", "Set a UPN, a DN or DOMAIN\\user to bind as");
    if (!options.password) {
      // An empty password is an "unauthenticated bind" (RFC 4513 5.1.2): many servers accept it and then show
      // nothing, which would look like an empty directory.
      throw bad(
        "empty bind password",
        "Provide the service account's password (from the environment or a secret store)",
      );
    }
    this.#timeouts = ldapClientTimeouts(url, options.timeoutMs, options.connectTimeoutMs);
    const cas: string[] = [];
    if (options.caPem) cas.push(...(Array.isArray(options.caPem) ? options.caPem : [options.caPem]));
    if (options.caCertPath) {
      try {
        cas.push(readFileSync(options.caCertPath, "utf8"));
      } catch (e) {
        throw bad(
          `cannot read the CA file ${options.caCertPath}: ${(e as NodeJS.ErrnoException).code}`,
          "Fix caCertPath",
        );
      }
    }
    this.#ca = cas.length ? cas : undefined;
  }

  /** The password, for redacting it from messages of the caller's own. */
  redact(text: string): string {
    return redact(text, [this.#password]);
  }

  tlsOptions(): ConnectionOptions {
    const o: ConnectionOptions = { minVersion: "TLSv1.2", rejectUnauthorized: true };
    if (this.#ca) o.ca = this.#ca;
    const name = this.servername;
    if (name) o.servername = name;
    else if (!isIP(this.host)) o.servername = this.host;
    return o;
  }
  /** Maps anything thrown while talking to the server to an AdReadError that names the server and a remedy. */
  fail(e: unknown, during: string, baseDN?: string, outsideNcs?: string): AdReadError {
    if (e instanceof AdReadError) return e;
    const server = this.url;
    const raw = e instanceof Error ? e.message : String(e);
    const msg = redact(raw, [this.#password]);
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (e instanceof ResultCodeError) {
      const ldap = e.code;
      const opts = { cause: e, ldapCode: ldap };
      switch (ldap) {
        case 49: {
          const sub = /data ([0-9a-f]{3})/i.exec(msg)?.[1]?.toLowerCase();
          const why = sub && AD_BIND_SUBCODES[sub] ? `: ${AD_BIND_SUBCODES[sub]}` : "";
          return new AdReadError(
            "AD_BAD_CREDENTIALS",
            server,
            `the DC rejected the bind as ${this.bindDN} (LDAP 49 invalidCredentials${why})`,
            "Check the bind name (UPN, DN or DOMAIN\\user) and the password; make sure the account is enabled and not locked",
            opts,
          );
        }
        case 50:
          return new AdReadError(
            "AD_ACCESS_DENIED",
            server,
            `${this.bindDN} may not ${during} (LDAP 50 insufficientAccessRights)`,
            "Grant the service account read access to the sync-scope OUs",
            opts,
          );
        case 32:
          return new AdReadError(
            "AD_BAD_BASE_DN",
            server,
            `base DN ${baseDN ?? "?"} does not exist (LDAP 32 noSuchObject)${outsideNcs ? `: ${outsideNcs}` : ""}`,
            "Fix baseDNs: each must name an existing OU or container in this domain",
            opts,
          );
        case 34:
          return new AdReadError(
            "AD_BAD_BASE_DN",
            server,
            `base DN ${baseDN ?? "?"} is not a valid DN (LDAP 34 invalidDNSyntax)`,
            "Write base DNs like OU=Staff,DC=corp,DC=example,DC=com",
            opts,
          );
        case 10:
          return new AdReadError(
            "AD_REFERRAL",
            server,
            `the DC referred the search for ${baseDN ?? "?"} elsewhere (LDAP 10 referral): ${outsideNcs ?? "that DN is not in a partition this DC holds"}`,
            "Point url at a DC of the domain that holds the base DN, or use a global catalog (port 3269)",
            opts,
          );
        case 4:
        case 11:
          return new AdReadError(
            "AD_SIZE_LIMIT",
            server,
            `the DC stopped the search at a size or administrative limit (LDAP ${ldap}); results would be incomplete`,
            "Keep paging on (pageSize ≤ 1000) and ask the AD admins about MaxResultSetSize / MaxPageSize",
            opts,
          );
        case 3:
          return new AdReadError(
            "AD_TIMEOUT",
            server,
            `the DC stopped the search at its time limit (LDAP 3 timeLimitExceeded)`,
            "Narrow the base DNs or the filter, or ask the AD admins about MaxQueryDuration",
            opts,
          );
        case 8:
        case 13:
          return new AdReadError(
            "AD_TLS_REQUIRED",
            server,
            `the DC demands a stronger or encrypted connection (LDAP ${ldap})`,
            "Use ldaps:// or StartTLS",
            opts,
          );
        default:
          return new AdReadError(
            "AD_PROTOCOL",
            server,
            `${during} failed: LDAP ${ldap}: ${msg}`,
            "See the DC's logs",
            opts,
          );
      }
    }
    if (code && TLS_TRUST_CODES.has(code)) {
      const altname = code === "ERR_TLS_CERT_ALTNAME_INVALID";
      return new AdReadError(
        "AD_TLS_UNTRUSTED",
        server,
        altname
          ? `the DC's certificate does not name ${this.servername ?? this.host} (${code})`
          : `the DC's certificate is not trusted (${code})`,
        altname
          ? "Connect with the name in the certificate, or set servername to it"
          : "Give the CA that issued the DC's certificate with caCertPath or caPem (never disable verification)",
        { cause: e },
      );
    }
    if (code === "ETIMEDOUT" || /timed? ?out/i.test(msg)) {
      // ldapts: "Connection timeout" (TCP + TLS), "<Request>: Operation timed out" (a request's answer)
      const connecting = /connection timeout/i.test(msg) || code === "ETIMEDOUT";
      const limit = connecting ? this.#timeouts.connectTimeout : this.#timeouts.timeout;
      return new AdReadError(
        "AD_TIMEOUT",
        server,
        connecting
          ? `the DC did not complete the ${this.#secure ? "TCP and TLS" : "TCP"} connection within ${seconds(limit)} (${msg})`
          : `no answer from the DC within ${seconds(limit)} while trying to ${during} (${msg})`,
        `Check that the DC is up and answers LDAP${this.#secure ? "S" : ""} on ${this.host}:${this.port} (a firewall that drops packets, or a DC that accepts connections and hangs, looks like this); for a slow DC or link, raise the timeout (timeoutMs, --ad-timeout-seconds)`,
        { cause: e },
      );
    }
    if ((code && NETWORK_CODES.has(code)) || /socket|connection closed/i.test(msg)) {
      return new AdReadError(
        "AD_UNREACHABLE",
        server,
        `cannot ${during}: ${code ?? msg}`,
        `Check the host and port (${this.host}:${this.port}), DNS, firewalls, and that the DC listens for ${this.#secure ? "LDAPS" : "LDAP"}`,
        { cause: e },
      );
    }
    if (/wrong version number|packet length too long|EPROTO|ssl|tls/i.test(msg)) {
      return new AdReadError(
        "AD_UNREACHABLE",
        server,
        `TLS handshake failed: ${msg}`,
        "Check that the port speaks LDAPS (636) — for port 389 use ldap:// with startTls",
        { cause: e },
      );
    }
    return new AdReadError("AD_PROTOCOL", server, `${during} failed: ${msg}`, "See the cause", { cause: e });
  }

  /** Connects, upgrades with StartTLS if asked, binds. */
  async connect(): Promise<Client> {
    const client = new LdapClient({
      url: `${this.#secure ? "ldaps" : "ldap"}://${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`,
      tlsOptions: this.#secure ? this.tlsOptions() : undefined,
      ...this.#timeouts,
      strictDN: false,
    });
    try {
      if (!this.#secure) {
        // ldapts times the StartTLS request, but not the TLS handshake that follows it on the same socket: a DC that
        // says yes and then stalls the handshake would be waited for for ever. The deadline covers both.
        await withDeadline(
          client.startTLS({ ...this.tlsOptions(), host: this.host }),
          "StartTLS",
          this.#timeouts.timeout,
          () => client.unbind(),
        );
      }
    } catch (e) {
      await client.unbind().catch(() => {});
      throw this.fail(e, this.#secure ? "connect" : "start TLS");
    }
    try {
      await client.bind(this.bindDN, this.#password);
    } catch (e) {
      await client.unbind().catch(() => {});
      throw this.fail(e, "bind");
    }
    return client;
  }
}

/**
 * `work`, or a rejection "Operation timed out" (which LdapAdSource's error mapping reads as AD_TIMEOUT) once `ms`
 * have passed; then `abandon` is called (to close the connection) and a later failure of `work` is ignored.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  what: string,
  ms: number,
  abandon: () => Promise<unknown>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      work.catch(() => {});
      abandon().catch(() => {});
      reject(new Error(`${what}: Operation timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
