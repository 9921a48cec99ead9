/**
 * The admin commands for the sync features, the clock, delta tokens, cloud management and the audit log, run as a
 * user runs them against a started emulator (endpoints and key from the environment `start` prints).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../emulator";
import { runCli } from "../support/cli";

const root = join(__dirname, "../..");
const tsx = join(root, "node_modules/.bin/tsx");
let child: ChildProcess;
let env: Record<string, string>;

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(tsx, ["emulator/cli.ts", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout);
}

beforeAll(async () => {
  child = spawn(tsx, ["emulator/cli.ts", "start", "--json"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(rl, "line")) as [string];
  env = JSON.parse(line);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

describe("emulator admin commands", () => {
  it("set-feature --as names the user in the audit log; advance-clock dates later records", async () => {
    const obj = (await cli("set-feature", "bypassDirSyncOverridesEnabled=true", "--as", env.AZURE_USERNAME)) as {
      features: Record<string, boolean>;
    };
    expect(obj.features.bypassDirSyncOverridesEnabled).toBe(true);
    const clock = (await cli("advance-clock", "691200")) as { offsetSeconds: number };
    expect(clock.offsetSeconds).toBe(691200);
    await cli("set-feature", "bypassDirSyncOverridesEnabled=false");
    const audit = (await cli("audit")) as {
      activityDisplayName: string;
      activityDateTime: string;
      initiatedBy: { user: { userPrincipalName: string } | null };
    }[];
    expect(audit.map((a) => a.activityDisplayName)).toEqual(["Set DirSync feature", "Set DirSync feature"]);
    expect(audit[0].initiatedBy.user?.userPrincipalName).toBe(env.AZURE_USERNAME);
    expect(Date.parse(audit[1].activityDateTime) - Date.parse(audit[0].activityDateTime)).toBeGreaterThan(691_000_000);
    await expect(cli("set-feature", "bypassDirSyncOverridesEnabled=maybe")).rejects.toThrow(/NAME=true\|false\|null/);
  });

  it("cloud-managed moves a synced user to the cloud; reset-delta-tokens bumps the epoch", async () => {
    const admin = new AdminClient(env.SYNCGAP_EMULATOR_URL, env.SYNCGAP_EMULATOR_ADMIN_KEY, {
      caCertPath: env.NODE_EXTRA_CA_CERTS,
    });
    const synced = (await admin.users({ synced: true })).users[0];
    const upn = synced.user.userPrincipalName as string;
    const view = (await cli("cloud-managed", upn)) as { cloudManaged: boolean; user: Record<string, unknown> };
    expect(view.cloudManaged).toBe(true);
    expect(view.user.onPremisesSyncEnabled).toBeNull();
    const back = (await cli("cloud-managed", upn, "--off")) as { cloudManaged: boolean };
    expect(back.cloudManaged).toBe(false);
    const r = (await cli("reset-delta-tokens")) as { deltaEpoch: number };
    expect(r.deltaEpoch).toBe(1);
  });

  it("flip turns a feature to its opposite out of band (audited), and refuses a name that is no feature", async () => {
    const first = (await cli("flip")) as { feature: string; before: boolean; after: boolean };
    expect(first.feature).toBe("bypassDirSyncOverridesEnabled");
    expect(first.after).toBe(!first.before);
    const second = (await cli("flip", "bypassDirSyncOverridesEnabled", "--as", env.AZURE_USERNAME)) as {
      before: boolean;
      after: boolean;
    };
    expect(second).toMatchObject({ before: first.after, after: first.before });
    const audit = (await cli("audit")) as { initiatedBy: { user: { userPrincipalName: string } | null } }[];
    expect(audit.at(-1)?.initiatedBy.user?.userPrincipalName).toBe(env.AZURE_USERNAME);
    await expect(cli("flip", "noSuchFeature")).rejects.toThrow(/no sync feature 'noSuchFeature'/);
  });

  it("the variables start prints are the ones syncgap reads: gap --entra-graph reads this tenant", async () => {
    // no NODE_EXTRA_CA_CERTS: the CLI must trust the emulator through SYNCGAP_CA_CERT, reach it through
    // SYNCGAP_GRAPH_ENDPOINT / SYNCGAP_AUTHORITY_HOST, and sign in with the AZURE_* sample credentials
    const { NODE_EXTRA_CA_CERTS: _, ...printed } = env;
    const out = mkdtempSync(join(tmpdir(), "syncgap-emu-cli-"));
    const r = await runCli(
      ["gap", "--entra-graph", "--ad-ldif", join(root, "test/fixtures/ad/demo.ldif"), "--out", out, "-q"],
      printed,
    );
    expect(r.stderr).not.toMatch(/graph\.microsoft\.com|login\.microsoftonline\.com/);
    const report = JSON.parse(readFileSync(join(out, "gap-report.json"), "utf8"));
    expect(report.summary.inputs.entra.description).toContain(env.SYNCGAP_EMULATOR_URL);
    expect(report.summary.totals.entraUsers).toBeGreaterThan(0);
  });
});
