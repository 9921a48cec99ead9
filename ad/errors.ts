/**
 * One error type for everything that can go wrong reading AD, with a stable `code`, the server (or file) it is
 * about, and a remedy. Messages never contain the bind password.
 */

export type AdErrorCode =
  | "AD_UNREACHABLE"
  | "AD_TLS_UNTRUSTED"
  | "AD_TLS_REQUIRED"
  | "AD_BAD_CREDENTIALS"
  | "AD_ACCESS_DENIED"
  | "AD_TIMEOUT"
  | "AD_SIZE_LIMIT"
  | "AD_REFERRAL"
  | "AD_BAD_BASE_DN"
  /** A base DN under which no user was read (the DC returned none there, or none of what it returned lies there). */
  | "AD_EMPTY_SCOPE"
  | "AD_BAD_FILTER"
  | "AD_BAD_CONFIG"
  | "AD_BAD_ENTRY"
  | "AD_BAD_EXPORT"
  | "AD_PROTOCOL";

export class AdReadError extends Error {
  override readonly name = "AdReadError";
  readonly code: AdErrorCode;
  /** The server URL or file the error is about. */
  readonly server: string;
  /** What to do about it. */
  readonly remedy: string;
  /** LDAP result code, when the server sent one. */
  readonly ldapCode?: number;

  constructor(
    code: AdErrorCode,
    server: string,
    problem: string,
    remedy: string,
    options?: { cause?: unknown; ldapCode?: number },
  ) {
    super(`${problem} (${server}). ${remedy}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.server = server;
    this.remedy = remedy;
    this.ldapCode = options?.ldapCode;
  }
}

/** Replaces every occurrence of each secret in a text (for messages that quote server or library text). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join("***");
  return out;
}
