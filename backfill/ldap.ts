/**
 * The LDAP side of apply and undo: connect and bind as the AD reader does, read a user's `mobile` by objectGUID, and
 * send one guarded modify (changes.ts) per user.
 *
 * The connection is the reader's own (ad/ldapConnection.ts): the URL rules (LDAPS, or LDAP with StartTLS, never a
 * plain bind), TLS verified against the given CA, the timeouts, the StartTLS deadline, the bind and the translation of
 * every failure into a message that names the server and what to do.
 */
import { Attribute, Change, type Client, ResultCodeError } from "ldapts";
import { guidBytesToString } from "../ad/ids";
import { LdapConnection } from "../ad/ldapConnection";
import { DEFAULT_AD_PASSWORD_ENV } from "../gap/adSources";
import { changeOps, GUARD_CODES, type GuardedChange } from "./changes";
import { BackfillError } from "./errors";
import { DELEGATION_LINK, MOBILE_SCHEMA_GUID, USER_CLASS_GUID } from "./types";

/** The AD connection options of apply and undo (the reader's, without base DNs: every user is named by GUID or DN). */
export interface AdWriteTarget {
  url: string;
  bindDN: string;
  /** Environment variable holding the password (default SYNCGAP_AD_PASSWORD). */
  passwordEnv?: string;
  caCertPath?: string;
  startTls?: boolean;
  /** Per request, ms (default the reader's, 30 s). */
  timeoutMs?: number;
}

export interface MobileSeen {
  dn: string;
  objectGuid: string;
  mobile: string | null;
}

export type ModifyResult = { ok: true } | { ok: false; kind: "changed" | "gone"; ldapCode: number; message: string };

/** The right to delegate, in the words of the Delegation of Control Wizard and as dsacls/SDDL say it. */
export function delegationAdvice(bindDN: string): string {
  return (
    `delegate "Write mobile" on the users' OU to ${bindDN} (Active Directory Users and Computers → the OU → ` +
    `Delegate Control → Create a custom task → Only the following objects: User objects → Property-specific → ` +
    `Write mobile; or: dsacls "OU=…" /I:S /G "DOMAIN\\account:WP;mobile;user"; SDDL ` +
    `(OA;CI;WP;${MOBILE_SCHEMA_GUID};${USER_CLASS_GUID};<account SID>)): ${DELEGATION_LINK}`
  );
}

function text(v: unknown): string | null {
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  return Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
}

export class AdWriter {
  private constructor(
    private readonly client: Client,
    private readonly conn: LdapConnection,
    private readonly target: AdWriteTarget,
  ) {}

  /** Connects and binds. Any failure is a BackfillError (exit 2) naming the server and what to check. */
  static async open(target: AdWriteTarget, env: NodeJS.ProcessEnv = process.env): Promise<AdWriter> {
    const envName = target.passwordEnv ?? DEFAULT_AD_PASSWORD_ENV;
    const password = env[envName];
    if (!password) {
      throw new BackfillError(
        "BACKFILL_BAD_CONFIG",
        `AD ${target.url}: the bind password is not set`,
        `put the password of ${target.bindDN} in the environment variable ${envName} (never on the command line)`,
      );
    }
    let conn: LdapConnection;
    let client: Client;
    try {
      conn = new LdapConnection({
        url: target.url,
        bindDN: target.bindDN,
        password,
        ...(target.caCertPath ? { caCertPath: target.caCertPath } : {}),
        ...(target.startTls ? { startTls: true } : {}),
        ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
      });
      client = await conn.connect();
    } catch (e) {
      throw new BackfillError("BACKFILL_CONNECT", (e as Error).message, undefined, { cause: e });
    }
    return new AdWriter(client, conn, target);
  }

  private fail(e: unknown, what: string): BackfillError {
    const msg = this.conn.redact(e instanceof Error ? e.message : String(e));
    if (e instanceof ResultCodeError && e.code === 50) {
      return new BackfillError(
        "BACKFILL_ACCESS_DENIED",
        `AD ${this.target.url}: ${this.target.bindDN} may not ${what} (LDAP 50 insufficientAccessRights: ${msg})`,
        delegationAdvice(this.target.bindDN),
        { cause: e },
      );
    }
    const timedOut = /timed? ?out/i.test(msg);
    if (!(e instanceof ResultCodeError) && !timedOut) {
      return new BackfillError(
        "BACKFILL_WRITE",
        `${this.conn.fail(e, what).message}`,
        "nothing after this user was attempted",
        {
          cause: e,
        },
      );
    }
    return new BackfillError(
      "BACKFILL_WRITE",
      `AD ${this.target.url}: ${what} failed: ${e instanceof ResultCodeError ? `LDAP ${e.code}: ` : ""}${msg}${timedOut ? " (no answer in time: whether the DC made the change is unknown)" : ""}`,
      timedOut
        ? "run the same command again once the DC answers: users whose value is already the planned one are reported as already applied"
        : "see the DC's message; nothing after this user was attempted",
      { cause: e },
    );
  }

  /** The user's DN and mobile now, by objectGUID (undefined when no object has it). */
  async readByGuid(objectGuid: string): Promise<MobileSeen | undefined> {
    return this.readBase(`<GUID=${objectGuid}>`, `read the user ${objectGuid}`);
  }

  /** The entry's objectGUID and mobile now, by DN (undefined when it does not exist). */
  async readByDn(dn: string): Promise<MobileSeen | undefined> {
    return this.readBase(dn, `read ${dn}`);
  }

  private async readBase(base: string, what: string): Promise<MobileSeen | undefined> {
    let entries: Record<string, unknown>[];
    try {
      ({ searchEntries: entries } = await this.client.search(base, {
        scope: "base",
        filter: "(objectClass=*)",
        attributes: ["mobile", "objectGUID"],
        explicitBufferAttributes: ["objectGUID", "objectguid"],
      }));
    } catch (e) {
      if (e instanceof ResultCodeError && e.code === 32) return undefined;
      throw this.fail(e, what);
    }
    const entry = entries[0];
    if (!entry) return undefined;
    const raw = entry.objectGUID ?? entry.objectguid;
    const guidBytes = Array.isArray(raw) ? raw[0] : raw;
    return {
      dn: String(entry.dn),
      objectGuid: Buffer.isBuffer(guidBytes) && guidBytes.length === 16 ? guidBytesToString(guidBytes) : "",
      mobile: text(entry.mobile ?? entry.Mobile),
    };
  }

  /**
   * One guarded modify. The guard's refusals (the value changed: LDAP 16/20; the user is gone: 32) are results; any
   * other failure is a BackfillError (access denied names the right to delegate).
   */
  async modify(change: GuardedChange): Promise<ModifyResult> {
    const changes = changeOps(change).map(
      (op) =>
        new Change({ operation: op.operation, modification: new Attribute({ type: "mobile", values: [op.value] }) }),
    );
    try {
      await this.client.modify(change.dn, changes);
      return { ok: true };
    } catch (e) {
      if (e instanceof ResultCodeError && (GUARD_CODES.has(e.code) || e.code === 32)) {
        return {
          ok: false,
          kind: e.code === 32 ? "gone" : "changed",
          ldapCode: e.code,
          message: this.conn.redact(e.message),
        };
      }
      throw this.fail(e, `write mobile of ${change.dn}`);
    }
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => {});
  }
}
