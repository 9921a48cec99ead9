/**
 * The local tenant in a process of its own (`emulator/cli.ts start --json`), as a real tenant would be: syncgap and
 * the tenant do not share an event loop or a heap (the benchmark measures syncgap's memory alone), and the emulator's
 * LDAP sync source loads the AD reader under tsx.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { AdminClient, type Seed } from "../../emulator";

const ROOT = resolve(__dirname, "../..");

export interface EmulatorProcess {
  baseUrl: string;
  caCertPath: string;
  tenantId: string;
  adminKey: string;
  admin: AdminClient;
  pid: number;
  /**
   * What `start --json` printed: the endpoints, the CA path and the seeded tenant's sample app credentials
   * (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST …), which exist only in this local tenant.
   */
  started: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Starts the emulator with `seed` (written to a private temporary file: it may hold an LDAP password), or with its
 * default seed (emulator/seeds/contoso.json) when there is none.
 */
export async function spawnEmulator(
  seed?: Seed,
  opts: { log?: (line: string) => void; nodeArgs?: string[] } = {},
): Promise<EmulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), "syncgap-emulator-"));
  const seedArgs: string[] = [];
  if (seed) {
    const seedPath = join(dir, "seed.json");
    writeFileSync(seedPath, JSON.stringify(seed), { mode: 0o600 });
    chmodSync(seedPath, 0o600);
    seedArgs.push("--seed", seedPath);
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      "--import",
      join(ROOT, "node_modules/tsx/dist/loader.mjs"),
      join(ROOT, "emulator/cli.ts"),
      "start",
      "--json",
      ...seedArgs,
      "--state-dir",
      dir,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d;
    for (const line of String(d).split("\n").filter(Boolean)) opts.log?.(line);
  });
  const info = await new Promise<Record<string, string>>((resolvePromise, reject) => {
    let out = "";
    const fail = (why: string) => reject(new Error(`emulator did not start: ${why}\n${stderr.slice(-2000)}`));
    const timer = setTimeout(() => fail("no answer within 60 s"), 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl === -1) return;
      clearTimeout(timer);
      try {
        resolvePromise(JSON.parse(out.slice(0, nl)));
      } catch (e) {
        fail(`unexpected output ${out.slice(0, 200)}: ${(e as Error).message}`);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(`exited with ${code}`);
    });
  });
  const admin = new AdminClient(info.SYNCGAP_EMULATOR_URL, info.SYNCGAP_EMULATOR_ADMIN_KEY, {
    caCertPath: info.SYNCGAP_EMULATOR_CA,
  });
  return {
    baseUrl: info.SYNCGAP_EMULATOR_URL,
    caCertPath: info.SYNCGAP_EMULATOR_CA,
    tenantId: info.AZURE_TENANT_ID,
    adminKey: info.SYNCGAP_EMULATOR_ADMIN_KEY,
    admin,
    pid: child.pid as number,
    started: info,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
