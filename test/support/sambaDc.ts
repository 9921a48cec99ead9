/**
 * Programmatic wrapper of `scripts/samba-dc.sh`: starts (or reuses) the throwaway Samba AD DC for tests, the demo
 * and the benchmark, and describes how to reach it.
 *
 *   const dc = await startSambaDc();           // 1,500 generated users + the demo users
 *   const src = createLdapAdSource({ url: dc.url, caPem: dc.caPem, bindDN: dc.bindUPN, password: dc.password,
 *                                    baseDNs: [dc.usersDN] });
 *   …
 *   await dc.stop();                           // no-op when the DC was already running before (reused)
 *
 * `sambaDcFromEnv()` rebuilds the same description from the SYNCGAP_SAMBA_* variables that `exportSambaDcEnv()`
 * (or `eval "$(scripts/samba-dc.sh start)"`) sets, so a vitest globalSetup can start one DC for the whole suite.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { MOBILE_SCHEMA_GUID, USER_CLASS_GUID } from "../../backfill/types";

const ROOT = resolve(__dirname, "../..");
const SCRIPT = resolve(ROOT, "scripts/samba-dc.sh");

export interface SambaDcOptions {
  /** Generated users besides the demo users (default 1500). Ignored when `ldif` is given. */
  users?: number;
  /** Generator seed (default 1). */
  seed?: number;
  /** Seed from these LDIF files instead of the generator. */
  ldif?: string[];
  /** Provision anew instead of reusing the cached template. */
  fresh?: boolean;
  /** Loopback address to listen on (default 127.0.0.1). Ports are Samba's fixed 389/636. */
  address?: string;
  /** Run folder (default /tmp/syncgap-samba-dc-<address>). */
  dir?: string;
  /** Extra environment for the script (e.g. SYNCGAP_CACHE). */
  env?: NodeJS.ProcessEnv;
  /** Called with each log line of the script (stderr). */
  onLog?: (line: string) => void;
}

export interface SambaDc {
  /** `ldaps://127.0.0.1:636` */
  url: string;
  /** `ldap://127.0.0.1:389` (use with StartTLS) */
  ldapUrl: string;
  host: string;
  port: number;
  /** PEM of the CA that issued the DC's certificate (made for this run). */
  caPem: string;
  caCertPath: string;
  /** Domain root, `DC=corp,DC=example,DC=test`. */
  baseDN: string;
  /** Sync scope OU holding the seeded users, `OU=Corp Users,DC=corp,DC=example,DC=test`. */
  usersDN: string;
  /** DN of the read-only bind account. */
  bindDN: string;
  /** UPN of the read-only bind account, `svc-syncgap@corp.example.test`. */
  bindUPN: string;
  /** Password of the bind account (random per provision). */
  password: string;
  passwordFile: string;
  /** DNS domain, `corp.example.test`. */
  domain: string;
  /** NetBIOS domain, `CORP`. */
  netbios: string;
  /** Run folder. */
  dir: string;
  /** The DC's sam.ldb (for ldbsearch). */
  samLdb: string;
  /** The LDIF the DC was seeded from. */
  seedLdif: string;
  pid: number;
  /** True when a DC with the same seed was already running and was reused. */
  reused: boolean;
  /** Stops the DC (by PID) unless it was reused; `force` stops it anyway. */
  stop(options?: { force?: boolean }): Promise<void>;
}

function runScript(args: string[], opts: SambaDcOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // Address and folder always come from opts (or their defaults), never from inherited SYNCGAP_SAMBA_* variables:
    // exportSambaDcEnv() puts a running DC's folder into SYNCGAP_SAMBA_DIR, and a DC on another address must not
    // take it over.
    const address = opts.address ?? "127.0.0.1";
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...opts.env,
      SYNCGAP_SAMBA_ADDR: address,
      SYNCGAP_SAMBA_DIR: opts.dir ?? `/tmp/syncgap-samba-dc-${address}`,
    };
    for (const k of ["SYNCGAP_SAMBA_LDIF", "SYNCGAP_SAMBA_USERS", "SYNCGAP_SAMBA_SEED", "SYNCGAP_SAMBA_NO_CACHE"]) {
      if (!opts.env?.[k]) delete env[k];
    }
    const child = execFile("bash", [SCRIPT, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const tail = stderr.trim().split("\n").slice(-15).join("\n");
        reject(new Error(`scripts/samba-dc.sh ${args[0]} failed (exit ${(err as { code?: number }).code}):\n${tail}`));
      } else resolvePromise({ stdout, stderr });
    });
    if (opts.onLog) {
      let buf = "";
      child.stderr?.on("data", (d: Buffer) => {
        buf += d.toString();
        let i = buf.indexOf("\n");
        while (i >= 0) {
          opts.onLog?.(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf("\n");
        }
      });
    }
  });
}

/** Parses the `export NAME='value'` lines the script prints. */
export function parseSambaEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export (SYNCGAP_SAMBA_[A-Z_]+)='([^']*)'$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function describe(env: Record<string, string | undefined>, reused: boolean, opts: SambaDcOptions): SambaDc {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`Samba DC description lacks ${k}`);
    return v;
  };
  const caCertPath = need("SYNCGAP_SAMBA_CA_CERT");
  const passwordFile = need("SYNCGAP_SAMBA_PASSWORD_FILE");
  const password = env.SYNCGAP_SAMBA_PASSWORD || readFileSync(passwordFile, "utf8").trim();
  const dc: SambaDc = {
    url: need("SYNCGAP_SAMBA_URL"),
    ldapUrl: need("SYNCGAP_SAMBA_LDAP_URL"),
    host: need("SYNCGAP_SAMBA_HOST"),
    port: Number(need("SYNCGAP_SAMBA_PORT")),
    caPem: readFileSync(caCertPath, "utf8"),
    caCertPath,
    baseDN: need("SYNCGAP_SAMBA_BASE_DN"),
    usersDN: need("SYNCGAP_SAMBA_USERS_DN"),
    bindDN: need("SYNCGAP_SAMBA_BIND_DN"),
    bindUPN: need("SYNCGAP_SAMBA_BIND_UPN"),
    password,
    passwordFile,
    domain: need("SYNCGAP_SAMBA_DOMAIN"),
    netbios: need("SYNCGAP_SAMBA_NETBIOS"),
    dir: need("SYNCGAP_SAMBA_DIR"),
    samLdb: need("SYNCGAP_SAMBA_SAM_LDB"),
    seedLdif: need("SYNCGAP_SAMBA_SEED_LDIF"),
    pid: Number(need("SYNCGAP_SAMBA_PID")),
    reused,
    async stop(stopOpts) {
      if (reused && !stopOpts?.force) return;
      await runScript(["stop"], { ...opts, address: dc.host, dir: dc.dir });
    },
  };
  return dc;
}

/**
 * Installs Samba if needed, provisions (or reuses the cached template), seeds, starts the DC and waits until LDAPS
 * answers. Reuses a DC that is already running with the same seed (then `stop()` leaves it running).
 */
export async function startSambaDc(opts: SambaDcOptions = {}): Promise<SambaDc> {
  const args = ["start"];
  if (opts.ldif?.length) for (const f of opts.ldif) args.push("--ldif", resolve(f));
  else {
    if (opts.users !== undefined) args.push("--users", String(opts.users));
    if (opts.seed !== undefined) args.push("--seed", String(opts.seed));
  }
  if (opts.fresh) args.push("--fresh");
  const { stdout, stderr } = await runScript(args, opts);
  const reused = /already running/.test(stderr);
  return describe(parseSambaEnv(stdout), reused, opts);
}

/**
 * Grants the account with `trusteeSid` "Write mobile" on user objects below `ouDn` — the ACE the Delegation of
 * Control Wizard writes, (OA;CI;WP;<mobile>;<user>;SID)
 * (https://learn.microsoft.com/windows/win32/ad/setting-rights-to-specific-properties-of-specific-types-of-objects)
 * — with `samba-tool dsacl set` as the domain's Administrator. What the back-fill's writer needs (docs/backfill.md).
 * The password goes through the environment
 * (PASSWD), never the command line.
 */
export async function grantWriteMobile(dc: SambaDc, ouDn: string, trusteeSid: string): Promise<void> {
  await promisify(execFile)(
    "samba-tool",
    [
      "dsacl",
      "set",
      "-s",
      join(dc.dir, "smb.conf"),
      "-H",
      `ldap://${dc.host}`,
      "-U",
      "Administrator",
      `--objectdn=${ouDn}`,
      `--sddl=(OA;CI;WP;${MOBILE_SCHEMA_GUID};${USER_CLASS_GUID};${trusteeSid})`,
    ],
    { env: { ...process.env, PASSWD: readFileSync(join(dc.dir, "admin-password"), "utf8").trim() }, timeout: 60_000 },
  );
}

/** Stops the DC on an address (default 127.0.0.1) by its PID file, whoever started it. */
export async function stopSambaDc(opts: Pick<SambaDcOptions, "address" | "dir" | "env"> = {}): Promise<void> {
  await runScript(["stop"], opts);
}

/** The DC described by SYNCGAP_SAMBA_* environment variables, or undefined when SYNCGAP_SAMBA_URL is not set. */
export function sambaDcFromEnv(env: NodeJS.ProcessEnv = process.env): SambaDc | undefined {
  if (!env.SYNCGAP_SAMBA_URL) return undefined;
  return describe(env as Record<string, string | undefined>, true, {});
}

/** Sets the SYNCGAP_SAMBA_* variables (not the password itself: SYNCGAP_SAMBA_PASSWORD_FILE names its file). */
export function exportSambaDcEnv(dc: SambaDc, env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, {
    SYNCGAP_SAMBA_URL: dc.url,
    SYNCGAP_SAMBA_LDAP_URL: dc.ldapUrl,
    SYNCGAP_SAMBA_HOST: dc.host,
    SYNCGAP_SAMBA_PORT: String(dc.port),
    SYNCGAP_SAMBA_CA_CERT: dc.caCertPath,
    SYNCGAP_SAMBA_BASE_DN: dc.baseDN,
    SYNCGAP_SAMBA_USERS_DN: dc.usersDN,
    SYNCGAP_SAMBA_BIND_DN: dc.bindDN,
    SYNCGAP_SAMBA_BIND_UPN: dc.bindUPN,
    SYNCGAP_SAMBA_PASSWORD_FILE: dc.passwordFile,
    SYNCGAP_SAMBA_DOMAIN: dc.domain,
    SYNCGAP_SAMBA_NETBIOS: dc.netbios,
    SYNCGAP_SAMBA_DIR: dc.dir,
    SYNCGAP_SAMBA_SAM_LDB: dc.samLdb,
    SYNCGAP_SAMBA_SEED_LDIF: dc.seedLdif,
    SYNCGAP_SAMBA_PID: String(dc.pid),
  });
}
