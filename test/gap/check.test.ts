/**
 * `syncgap check`, the post-deploy gate, run as the real command against the local tenant: wrong switch → 1,
 * switch flipped (what `pulumi up` does) + a sync → 0, no sync before the timeout → 3, bad setup → 2; the declared
 * value from a real Pulumi stack output; and the wait loop on its own.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { readLastSync, waitForSync } from "../../gap/check";
import { createGraphConnection } from "../../graph/client";
import { getDirectorySync, patchFeatures } from "../../graph/onPremisesSynchronization";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { runCli } from "../support/cli";
import { cloudEdit, emulatorConnection, gapEnv, gapSeed, startGapEmulator, syncFrom } from "../support/gapTenant";
import { craftedDirectory } from "../support/gapUsers";
import { PulumiSession, stageProject } from "../support/pulumi";

let emu: RunningEmulator;
const dir = mkdtempSync(join(tmpdir(), "syncgap-check-"));
const ldif = join(dir, "ad.ldif");
const { ad } = craftedDirectory();

beforeAll(async () => {
  await writeAdLdif(ldif, ad);
  emu = await startGapEmulator(gapSeed());
});
afterAll(async () => {
  await emu?.stop();
});

/** The tenant after a while without AD authority: synced, then numbers edited in the cloud (DirSync overrides). */
async function cloudOverrides(): Promise<void> {
  await emu.admin.seed(gapSeed());
  await syncFrom(emu, ad);
  await cloudEdit(emu, "missing@corp.example.test", null);
  await cloudEdit(emu, "mismatch@corp.example.test", "+14255559999");
  await cloudEdit(emu, "cloudonly@corp.example.test", "+14255550104");
  await cloudEdit(emu, "format@corp.example.test", "+14255550103");
}

const checkArgs = (out: string, ...extra: string[]) => [
  "check",
  "--ad-ldif",
  ldif,
  "--entra-graph",
  "--out",
  join(dir, out),
  ...extra,
];

/** What `pulumi up` does to the tenant: PATCH the features with bypassDirSyncOverridesEnabled on. */
async function enableAdAuthority(): Promise<void> {
  const conn = createGraphConnection(emulatorConnection(emu), { env: gapEnv(emu) });
  const current = await getDirectorySync(conn.client);
  await patchFeatures(conn.client, current, { bypassDirSyncOverridesEnabled: true });
}

describe("syncgap check (the post-deploy gate)", () => {
  beforeAll(cloudOverrides, 60_000);

  it("runs the whole loop: wrong switch → 1, switch on + sync → 0", async () => {
    const env = gapEnv(emu);
    const before = await runCli(checkArgs("loop1", "--expect-bypass", "true"), env);
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toMatch(
      /FAIL: bypassDirSyncOverridesEnabled is false in the tenant, declared true — run the deploy again \(pulumi up --refresh\)/,
    );
    expect(before.stderr).toMatch(/not waiting for a sync: the switch is wrong/);
    // the gap is still read and reported, for the reviewer; every report carries the same verdict as the exit code
    expect(before.stdout).toMatch(/MissingInEntra users within the threshold: 1 user MissingInEntra/);
    const beforeDoc = JSON.parse(readFileSync(join(dir, "loop1", "gap-report.json"), "utf8"));
    expect(beforeDoc.summary.verdict).toMatchObject({ status: "fail", exitCode: 1 });
    expect(beforeDoc.summary.verdict.checks[0]).toMatchObject({ id: "switch", status: "fail" });
    expect(readFileSync(join(dir, "loop1", "gap-report.xml"), "utf8")).toMatch(
      /name="bypassDirSyncOverridesEnabled is true \(declared\)" time="[\d.]+">\n\s+<failure type="Failed" message="bypassDirSyncOverridesEnabled is false in the tenant/,
    );

    await enableAdAuthority();
    // Entra Connect's scheduled cycle is a Delta: it does not re-apply AD's values to users unchanged in AD, so the
    // gaps stay, and the gate says to run an Initial sync.
    const deltaSince = new Date().toISOString();
    const deltaGate = runCli(
      checkArgs(
        "loop-delta",
        "--expect-bypass",
        "true",
        "--since",
        deltaSince,
        "--poll-interval",
        "1",
        "--sync-timeout",
        "90",
      ),
      env,
    );
    await new Promise((r) => setTimeout(r, 2500));
    const delta = await emu.admin.sync("Delta");
    expect(delta.overridesCleared).toBe(0);
    const afterDelta = await deltaGate;
    expect(afterDelta.code, `${afterDelta.stdout}\n${afterDelta.stderr}`).toBe(1);
    expect(afterDelta.stdout).toMatch(
      /the switch is on and a sync ran, but Entra Connect's scheduled sync is a Delta.*Start-ADSyncSyncCycle -PolicyType Initial/,
    );
    expect(afterDelta.stdout).toContain("AD is authoritative: the next Initial sync overwrites");

    const since = new Date().toISOString();
    const gate = runCli(
      checkArgs("loop2", "--expect-bypass", "true", "--since", since, "--poll-interval", "1", "--sync-timeout", "90"),
      env,
    );
    await new Promise((r) => setTimeout(r, 2500)); // let the gate poll at least once before the sync runs
    const cycle = await emu.admin.sync("Initial"); // what Entra Connect's next cycle does with the switch on
    expect(cycle.overridesCleared).toBe(4);
    const after = await gate;
    expect(after.code, `${after.stdout}\n${after.stderr}`).toBe(0);
    expect(after.stderr).toMatch(/waiting for a directory sync after/);
    expect(after.stderr).toMatch(/sync seen at/);
    expect(after.stdout).toMatch(/PASS: 0 gaps/);
    const doc = JSON.parse(readFileSync(join(dir, "loop2", "gap-report.json"), "utf8"));
    expect(doc.summary.counts).toMatchObject({
      MissingInEntra: 0,
      ValueMismatch: 0,
      CloudOnly: 0,
      FormatOnly: 0,
      InSync: 7,
    });
  });

  it("exits 3 when no sync happens before the timeout, and says what to do", async () => {
    const r = await runCli(
      checkArgs("timeout", "--expect-bypass", "true", "--poll-interval", "1", "--sync-timeout", "2"),
      gapEnv(emu),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /NO SYNC: no directory sync after .* within 2 s .*Start-ADSyncSyncCycle -PolicyType Initial/,
    );
    // exit 3 writes every report, with the reason
    const doc = JSON.parse(readFileSync(join(dir, "timeout", "gap-report.json"), "utf8"));
    expect(doc.summary.verdict).toMatchObject({ status: "syncTimeout", exitCode: 3, label: "NO SYNC" });
    expect(readFileSync(join(dir, "timeout", "gap-report.md"), "utf8")).toMatch(
      /\*\*NO SYNC\*\* \(exit 3\) — no directory sync/,
    );
    expect(readFileSync(join(dir, "timeout", "gap-report.html"), "utf8")).toMatch(/data-exit-code="3">NO SYNC</);
    expect(readFileSync(join(dir, "timeout", "gap-report.xml"), "utf8")).toMatch(
      /name="a directory sync ran after the deploy" time="[\d.]+">\n\s+<failure type="Failed"/,
    );
  });

  it("skips the wait with --no-wait and fails the flag check for the other value", async () => {
    const r = await runCli(checkArgs("nowait", "--expect-bypass", "false", "--no-wait"), gapEnv(emu));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL: bypassDirSyncOverridesEnabled is true in the tenant, declared false/);
  });

  it("writes logging commands under Azure DevOps", async () => {
    const r = await runCli(checkArgs("azdo", "--expect-bypass", "false", "--no-wait"), {
      ...gapEnv(emu),
      TF_BUILD: "True",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^##vso\[task\.logissue type=error;\]syncgap check: bypassDirSyncOverridesEnabled is true in the tenant, declared false/m,
    );
    expect(r.stdout).toMatch(/^##vso\[task\.uploadsummary\]\/.*\/azdo\/gap-report\.md$/m);
    expect(r.stdout).toMatch(/^##vso\[task\.complete result=Failed;\]/m);
  });

  it("exits 2 without a declared value, and when the switch cannot be read", async () => {
    const none = await runCli(checkArgs("nodecl"), gapEnv(emu));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/check needs the declared value/);
    // An app without OnPremDirectorySynchronization permission: the 403 names what is needed.
    const noPerm = await runCli(
      checkArgs("noperm", "--expect-bypass", "true"),
      gapEnv(emu, "4f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f"),
    );
    expect(noPerm.code).toBe(2);
    expect(noPerm.stderr).toMatch(/403.*OnPremDirectorySynchronization/);
    const json = await runCli(
      ["check", "--ad-ldif", ldif, "--entra-json", ldif, "--expect-bypass", "true"],
      gapEnv(emu),
    );
    expect(json.code).toBe(2);
  });
});

describe("declared value from the Pulumi stack", () => {
  const session = new PulumiSession(stageProject(join(__dirname, "../fixtures/gap/stack-output")));
  beforeAll(async () => {
    await session.expect(["stack", "init", "gate"]);
    await session.expect(["config", "set", "declared", "false"]);
    await session.expect(["up", "--yes", "--skip-preview"]);
  }, 240_000);
  afterAll(() => session.dispose());

  it("reads declaredBypassDirSyncOverridesEnabled with --stack/--cwd", async () => {
    const env = {
      ...gapEnv(emu),
      ...pick(session.env, "PULUMI_BACKEND_URL", "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SKIP_UPDATE_CHECK"),
      PATH: `${process.env.PATH}`,
    };
    const r = await runCli(checkArgs("stack", "--stack", "gate", "--cwd", session.projectDir, "--no-wait"), env);
    // The tenant has the switch on (first test), the stack declares false.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/bypassDirSyncOverridesEnabled: live true, declared false/);
    const missing = await runCli(checkArgs("stack2", "--stack", "nope", "--cwd", session.projectDir, "--no-wait"), env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Pulumi stack nope .*failed/);
  });
});

function pick(env: NodeJS.ProcessEnv, ...names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
}

describe("waiting for the next sync", () => {
  it("polls /organization until onPremisesLastSyncDateTime passes `since`", async () => {
    const conn = createGraphConnection(emulatorConnection(emu), { env: gapEnv(emu) });
    const since = new Date();
    const seen: (string | null)[] = [];
    let synced = false;
    const r = await waitForSync(conn.client, {
      since,
      timeoutMs: 60_000,
      pollMs: 200,
      onPoll: (p) => {
        seen.push(p.lastSync?.toISOString() ?? null);
        if (p.polls === 3 && !synced) {
          synced = true;
          void emu.admin.sync("Delta");
        }
      },
    });
    expect(r.synced).toBe(true);
    expect(r.polls).toBeGreaterThanOrEqual(4);
    expect((r.lastSync as Date).getTime()).toBeGreaterThan(since.getTime());
    expect(await readLastSync(conn.client)).toEqual(r.lastSync);
    writeFileSync(join(dir, "polls.json"), JSON.stringify(seen));
  });
});
