/**
 * The AD side: turns an AdSourceSpec into an AdSource (the readers live in `ad/`), reads it page by page, and
 * fingerprints it so a delta re-run can reuse the previous read when nothing changed.
 *
 * Fingerprints (see docs/gap-analysis.md, "Delta runs"):
 *   - export file: path, size and SHA-256 of the content, plus the file's identity and times (device, inode,
 *     modification and change time in ns). When those are all as the previous fingerprint recorded them, the file was
 *     not written since (any write moves the change time, and no tool can set it back), so the hash is not computed
 *     again: the way git trusts its index. Anything else (a copy, a restore, a touch) hashes, and equal content
 *     still counts as unchanged;
 *   - live LDAP: the DC that answered (rootDSE `dsServiceName`) and its `highestCommittedUSN`, plus URL, base DNs and
 *     filter. A DC's highestCommittedUSN grows with every write it commits, originating or replicated
 *     (https://learn.microsoft.com/windows/win32/adschema/a-highestcommittedusn), so an unchanged value on the same
 *     DC means no object on it changed. Read before the users, so a change during the read makes the next run read
 *     again.
 *   - in-memory sources have none: they are always read.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { readAdCsvFile } from "../ad/csvFileSource";
import { createLdapAdSource } from "../ad/ldapReader";
import type { LdapAdSourceOptions } from "../ad/ldapReadOptions";
import { readLdifFile } from "../ad/ldifFileSource";
import type { AdSource, AdUser } from "../ad/types";
import { errorText, GapInputError } from "./errors";
import { AdRecords, toAdRecord } from "./records/ad";
import type { AdSourceSpec } from "./types";

export const DEFAULT_AD_PASSWORD_ENV = "SYNCGAP_AD_PASSWORD";

/** A name for the AD side in messages and reports (never the password). */
export function adSourceName(spec: AdSourceSpec): string {
  switch (spec.kind) {
    case "ldap":
      return `AD ${spec.url} (${spec.baseDNs.join("; ")})`;
    case "ldif":
      return `AD LDIF export ${spec.path}`;
    case "csv":
      return `AD CSV export ${spec.path}`;
    case "source":
      return `AD ${spec.source.description}`;
  }
}

function readCa(path: string, source: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new GapInputError(source, `cannot read the CA certificate ${path}: ${errorText(e)}`, "check --ad-ca-cert");
  }
}

export function ldapPassword(spec: Extract<AdSourceSpec, { kind: "ldap" }>, env: NodeJS.ProcessEnv): string {
  const name = spec.passwordEnv ?? DEFAULT_AD_PASSWORD_ENV;
  const pw = env[name];
  if (!pw) {
    throw new GapInputError(
      adSourceName(spec),
      `the bind password is not set`,
      `put the password of ${spec.bindDN} in the environment variable ${name} (never on the command line)`,
    );
  }
  return pw;
}

export async function openAdSource(spec: AdSourceSpec, env: NodeJS.ProcessEnv = process.env): Promise<AdSource> {
  const source = adSourceName(spec);
  switch (spec.kind) {
    case "source":
      return spec.source;
    case "ldif":
    case "csv": {
      try {
        if (!statSync(spec.path).isFile()) throw new Error("not a regular file");
      } catch (e) {
        throw new GapInputError(
          source,
          `cannot read the file: ${errorText(e)}`,
          `check the path given to --ad-${spec.kind}`,
        );
      }
      try {
        return spec.kind === "ldif" ? readLdifFile(spec.path) : readAdCsvFile(spec.path);
      } catch (e) {
        throw new GapInputError(source, errorText(e), undefined, { cause: e });
      }
    }
    case "ldap": {
      const options: LdapAdSourceOptions = {
        url: spec.url,
        bindDN: spec.bindDN,
        password: ldapPassword(spec, env),
        baseDNs: spec.baseDNs,
        ...(spec.startTls ? { startTls: true } : {}),
        ...(spec.caCertPath ? { caPem: readCa(spec.caCertPath, source) } : {}),
        ...(spec.filter ? { filter: spec.filter } : {}),
        ...(spec.readMode ? { readMode: spec.readMode } : {}),
        ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
      };
      try {
        return createLdapAdSource(options);
      } catch (e) {
        throw new GapInputError(source, errorText(e), LDAP_REMEDY, { cause: e });
      }
    }
  }
}

export const LDAP_REMEDY =
  "check --ad-url (ldaps://host:636), that the DC is reachable, the bind DN and SYNCGAP_AD_PASSWORD, and --ad-ca-cert";

export interface AdReadResult {
  users: AdRecords;
  pages: number;
}

/** Reads every page; any error ends the read (a partial directory is never analysed). */
export async function readAdSource(
  source: AdSource,
  name: string,
  opts: {
    signal?: AbortSignal;
    onProgress?: (p: { users: number; pages: number; done: boolean }) => void;
    remedy?: string;
  } = {},
): Promise<AdReadResult> {
  const users = new AdRecords();
  let pages = 0;
  try {
    for await (const page of source.pages()) {
      opts.signal?.throwIfAborted();
      if (!Array.isArray(page)) throw new Error(`page ${pages + 1} is not an array of users`);
      for (const u of page as AdUser[]) users.push(toAdRecord(u));
      pages++;
      opts.onProgress?.({ users: users.length, pages, done: false });
    }
  } catch (e) {
    if (e instanceof GapInputError) throw e;
    if (opts.signal?.aborted) throw e;
    throw new GapInputError(
      name,
      `reading failed after ${users.length} users (${pages} pages): ${errorText(e)}`,
      opts.remedy ?? "no verdict is drawn from partial data (the reports say why); fix the source and run again",
      { cause: e },
    );
  }
  opts.onProgress?.({ users: users.length, pages, done: true });
  return { users, pages };
}

async function sha256File(path: string): Promise<string> {
  // One reused buffer: a stream would allocate (and leave for the GC) as many buffers as the file is large.
  const h = createHash("sha256");
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest("hex");
}

/**
 * Reads the rootDSE's dsServiceName and highestCommittedUSN, connected and bound as the reader is (the same
 * LdapConnection: TLS, timeouts, StartTLS deadline, errors).
 */
async function ldapFingerprint(
  spec: Extract<AdSourceSpec, { kind: "ldap" }>,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (!spec.url.toLowerCase().startsWith("ldaps:") && !spec.startTls) return undefined; // the reader says why
  const source = adSourceName(spec);
  const reader = (await openAdSource(spec, env)) as ReturnType<typeof createLdapAdSource>;
  let root: Record<string, unknown>;
  try {
    root = await reader.readRootDse(["dsServiceName", "highestCommittedUSN"]);
  } catch (e) {
    throw new GapInputError(source, errorText(e), LDAP_REMEDY, { cause: e });
  }
  const usn = String(root.highestCommittedUSN ?? "");
  if (!usn) return undefined; // not AD-like: no fingerprint, read every time
  return `ldap|${spec.url}|${String(root.dsServiceName ?? "")}|${usn}|${spec.baseDNs.join(";")}|${spec.filter ?? ""}`;
}

/**
 * The source's fingerprint, or undefined when it has none (in-memory sources). `previous` (the fingerprint a delta
 * state saved) lets an export file that was not written since skip hashing.
 */
export async function adFingerprint(
  spec: AdSourceSpec,
  env: NodeJS.ProcessEnv = process.env,
  previous?: string,
): Promise<string | undefined> {
  switch (spec.kind) {
    case "source":
      return undefined;
    case "ldif":
    case "csv": {
      const st = statSync(spec.path, { bigint: true });
      const head = `${spec.kind}|${spec.path}|${st.size}|`;
      const stamp = `|file=${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
      if (previous?.startsWith(head) && previous.endsWith(stamp)) return previous;
      return `${head}${await sha256File(spec.path)}${stamp}`;
    }
    case "ldap":
      return ldapFingerprint(spec, env);
  }
}

/** Two fingerprints name the same content: equal but for the file stamp (see adFingerprint). */
export function sameAdContent(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const strip = (f: string) => f.replace(/\|file=[^|]*$/, "");
  return strip(a) === strip(b);
}
