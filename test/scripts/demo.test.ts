/**
 * `bash scripts/demo.sh --keep`: the whole demo, then the local tenant stays up and tenant.env holds what another
 * shell needs. From there, as its last lines say: preview (no drift, exit 0) → `emulator/cli.ts flip` (the switch
 * turned out of band) → `pulumi preview --refresh --expect-no-changes` exits 7 (drift, what pipelines/scripts/drift.sh
 * reads) → `pulumi up --refresh` repairs it → the preview is clean again and the tenant's switch is back on.
 * AD is the bundled export (SYNCGAP_DEMO_AD=ldif), so no DC is started; the demo's folder is the test's own.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../emulator";

const root = path.resolve(__dirname, "../..");
const out = mkdtempSync(path.join(tmpdir(), "syncgap-demo-"));
let demo: ChildProcess | undefined;
let log = "";

/** The variables tenant.env exports (single-quoted values, as the demo writes them). */
function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return env;
}

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    demo.kill("SIGTERM");
    await once(demo, "exit");
  }
});

describe("demo.sh --keep → drift → preview 7 → repair", () => {
  it("keeps the tenant, prints the commands, and they work in order", async () => {
    demo = spawn("bash", [path.join(root, "scripts/demo.sh"), "--keep"], {
      cwd: root,
      env: { ...process.env, SYNCGAP_DEMO_AD: "ldif", SYNCGAP_DEMO_OUT: out },
      stdio: ["ignore", "pipe", "pipe"],
    });
    demo.stdout?.on("data", (d) => {
      log += d;
    });
    demo.stderr?.on("data", (d) => {
      log += d;
    });
    const ready = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /^ready: (.+)$/m.exec(log);
        if (m) resolve(m[1].trim());
      };
      demo?.stdout?.on("data", check);
      demo?.on("exit", (code) =>
        reject(new Error(`the demo exited ${code} before it was ready:\n${log.slice(-3000)}`)),
      );
    });
    const project = path.join(out, "project");
    expect(log).toContain(`Pulumi project of the demo: ${project}`);
    expect(log).toContain("pulumi preview --refresh --expect-no-changes");
    expect(existsSync(ready)).toBe(true);

    const env: Record<string, string> = { HOME: process.env.HOME ?? "/root", ...readEnvFile(ready) };
    expect(env.PULUMI_BACKEND_URL).toBe(`file://${path.join(out, "state")}`);
    const sh = (cmd: string, args: string[], cwd = project) =>
      spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 240_000 });
    const preview = () => sh("pulumi", ["preview", "--refresh", "--expect-no-changes", "--diff", "--non-interactive"]);

    const clean = preview();
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);

    const tsx = path.join(root, "node_modules/.bin/tsx");
    const flip = sh(tsx, [path.join(root, "emulator/cli.ts"), "flip"], root);
    expect(flip.status, flip.stderr).toBe(0);
    expect(JSON.parse(flip.stdout)).toMatchObject({
      feature: "bypassDirSyncOverridesEnabled",
      before: true,
      after: false,
    });

    const drift = preview();
    expect(drift.status, drift.stdout + drift.stderr).toBe(7);
    expect(drift.stdout).toMatch(/bypassDirSyncOverridesEnabled/);

    const up = sh("pulumi", ["up", "--refresh", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const again = preview();
    expect(again.status, again.stdout + again.stderr).toBe(0);
    const admin = new AdminClient(env.SYNCGAP_EMULATOR_URL, env.SYNCGAP_EMULATOR_ADMIN_KEY, {
      caCertPath: env.SYNCGAP_EMULATOR_CA,
    });
    expect((await admin.syncObject()).features.bypassDirSyncOverridesEnabled).toBe(true);

    demo.kill("SIGTERM");
    const [code] = await once(demo, "exit");
    expect(code).toBe(0);
    expect(log).toContain("stopping the local tenant");
  }, 900_000);
});
