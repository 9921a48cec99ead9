import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorConnection, emulatorEnv, type RunningEmulator, startEmulator } from "../../emulator";
import { validateConnection } from "../../providers/connection";
import { createGraphConnection } from "../../providers/graphClient";
import { PulumiSession } from "../support/pulumi";
import { stageRootProgram } from "../support/stack";

// Issue 5's "must show", end to end: the real Pulumi CLI (file backend) runs the repository's program and its
// dynamic provider against the local tenant emulator, trusted through its CA (NODE_EXTRA_CA_CERTS), never with
// verification off.

const seed = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "emulator", "seeds", "contoso.json"), "utf8"));
const ADMIN = seed.users[0];
const APP = seed.applications[0];
const SIGN_IN = { clientId: APP.appId, authMethod: "usernamePassword", username: ADMIN.userPrincipalName } as const;

let emu: RunningEmulator;
let session: PulumiSession;

function features() {
  return emu.admin.syncObject().then((o) => o.features as Record<string, boolean | null>);
}
async function patchCount(sinceSeq: number): Promise<number> {
  const log = await emu.admin.requests({ method: "PATCH", pathPrefix: "/v1.0/directory/onPremisesSynchronization" });
  return log.filter((e) => e.seq > sinceSeq && e.status === 204).length;
}
async function lastSeq(): Promise<number> {
  const log = await emu.admin.requests({});
  return log.length ? log[log.length - 1].seq : 0;
}
const without = (f: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(f).filter(([k]) => k !== key));

beforeAll(async () => {
  emu = await startEmulator();
  // scripts/ and pipelines/ too: test 2c runs the deploy stage's own script (pipelines/scripts/deploy.sh) here.
  session = new PulumiSession(stageRootProgram(["scripts", "pipelines"]), {
    ...emulatorEnv(emu, SIGN_IN),
    AZURE_PASSWORD: ADMIN.password,
  });
  await session.expect(["stack", "init", "e2e"]);
});

afterAll(async () => {
  session?.dispose();
  await emu?.stop();
});

describe("DirectoryFeatureSettings with the real Pulumi CLI against the local tenant", () => {
  let before: Record<string, boolean | null>;
  beforeEach(async () => {
    await emu.admin.clearFaults();
  });

  it("1. up sets the flag; a second up changes nothing and sends no PATCH", async () => {
    before = await features();
    expect(before.bypassDirSyncOverridesEnabled).toBe(false);
    const first = await session.expect(["up", "--yes", "--skip-preview"]);
    expect(first.output).toContain("pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings");
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    const outputs = JSON.parse((await session.expect(["stack", "output", "--json"])).stdout);
    expect(outputs.priorValues).toEqual({ bypassDirSyncOverridesEnabled: false });
    expect(outputs.lastSeenBypassDirSyncOverridesEnabled).toBe(true);
    expect(outputs).not.toHaveProperty("liveBypassDirSyncOverridesEnabled");
    expect(outputs.tenantId).toBe(emu.tenantId);

    const seq = await lastSeq();
    const second = await session.expect(["up", "--yes", "--skip-preview"]);
    expect(second.output).toMatch(/2 unchanged/);
    expect(await patchCount(seq)).toBe(0);
  });

  it("4a. only the declared feature changed: the other 19 are the same as before", async () => {
    const after = await features();
    expect(Object.keys(after)).toHaveLength(20);
    expect(without(after, "bypassDirSyncOverridesEnabled")).toEqual(without(before, "bypassDirSyncOverridesEnabled"));
  });

  it("2a. drift: an out-of-band change makes preview --refresh --expect-no-changes exit 7 naming old and new value", async () => {
    await turnOffOutOfBand();
    const drift = await session.run(["preview", "--refresh", "--expect-no-changes", "--diff"]);
    expect(drift.code, drift.output).toBe(7);
    expect(drift.output).toMatch(/bypassDirSyncOverridesEnabled\s*:\s*false\s*=>\s*true/);
  });

  it("2b. the documented fix, a plain `pulumi up` (Pulumi.yaml refreshes first), PATCHes the switch back", async () => {
    // The negative control: without a refresh (what the deploy did before), up compares the declaration with the
    // last update's state, sees nothing to do and leaves the tenant drifted, its "last seen" output still true.
    const seq = await lastSeq();
    const stale = await session.expect(["up", "--refresh=false", "--yes", "--skip-preview"]);
    expect(stale.output).toMatch(/2 unchanged/);
    expect(await patchCount(seq)).toBe(0);
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(false);

    // README's and index.ts's `pulumi up`, no flag: options.refresh=always in Pulumi.yaml makes it refresh.
    const up = await session.expect(["up", "--yes", "--skip-preview"]);
    expect(up.output).toMatch(/1 updated/);
    expect(await patchCount(seq)).toBe(1);
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    const outputs = JSON.parse((await session.expect(["stack", "output", "--json"])).stdout);
    expect(outputs.lastSeenBypassDirSyncOverridesEnabled).toBe(true);
    expect(outputs.lastSeenFeatures).toEqual(await features());
    const clean = await session.run(["preview", "--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
  });

  it("2c. the pipeline's fix, the deploy stage's pipelines/scripts/deploy.sh, PATCHes the switch back", async () => {
    await turnOffOutOfBand();
    const staging = mkdtempSync(path.join(tmpdir(), "syncgap-deploy-staging-"));
    const r = await bash([path.join(session.projectDir, "pipelines", "scripts", "deploy.sh"), "appOnly"], {
      ...session.env,
      TF_BUILD: "True",
      BUILD_SOURCESDIRECTORY: session.projectDir,
      BUILD_ARTIFACTSTAGINGDIRECTORY: staging,
      SYNCGAP_STACK: "e2e",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 updated/);
    expect(r.stdout).toContain("Stack e2e: the tenant holds bypassDirSyncOverridesEnabled = true, as declared.");
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    const outputs = JSON.parse(readFileSync(path.join(staging, "e2e", "outputs.json"), "utf8"));
    expect(outputs.lastSeenBypassDirSyncOverridesEnabled).toBe(true);
    const clean = await session.run(["preview", "--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
  });

  it("6. a throttling storm during up: succeeds after retries, with exactly the one PATCH needed", async () => {
    await session.expect(["config", "set", "--path", "syncgap:features.blockSoftMatchEnabled", "true"]);
    for (const method of ["GET", "PATCH"]) {
      await emu.admin.addFault({
        path: "/v1.0/directory/onPremisesSynchronization*",
        method,
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        count: 3,
      });
    }
    const seq = await lastSeq();
    const r = await session.expect(["up", "--yes", "--skip-preview"]);
    expect(r.output).toMatch(/1 updated/);
    const log = await emu.admin.requests({ pathPrefix: "/v1.0/directory/onPremisesSynchronization" });
    const sinceUp = log.filter((e) => e.seq > seq);
    expect(sinceUp.filter((e) => e.status === 429).length).toBeGreaterThanOrEqual(6);
    expect(await patchCount(seq)).toBe(1);
    const f = await features();
    expect(f.blockSoftMatchEnabled).toBe(true);
    expect(f.bypassDirSyncOverridesEnabled).toBe(true);
    await session.expect(["config", "rm", "syncgap:features"]);
  });

  it("5. an app-only credential while the tenant follows the delegated-only rule fails clearly and leaves state matching the tenant", async () => {
    const stateBefore = await session.expect(["stack", "export"]);
    const tenantBefore = await features();
    await session.expect(["config", "set", "--path", "syncgap:features.blockSoftMatchEnabled", "false"]);
    const appOnly = { env: { SYNCGAP_AUTH_METHOD: "clientSecret", AZURE_CLIENT_SECRET: APP.clientSecrets[0].value } };
    // up refreshes first (Pulumi.yaml), so the read is refused before anything is written.
    const refreshed = await session.run(["up", "--yes", "--skip-preview"], appOnly);
    expect(refreshed.code).not.toBe(0);
    expect(refreshed.output).toContain("refreshing failed");
    expect(refreshed.output).toContain("HTTP 403");
    expect(refreshed.output).toContain("OnPremDirectorySynchronization.Read.All (or .ReadWrite.All)");
    expect(refreshed.output).toContain("Global Administrator");
    expect(refreshed.output).toContain("https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get");
    // Without the refresh, the write itself is refused, naming the write permission.
    const r = await session.run(["up", "--refresh=false", "--yes", "--skip-preview"], appOnly);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("HTTP 403");
    expect(r.output).toContain("OnPremDirectorySynchronization.ReadWrite.All");
    expect(r.output).toContain("Global Administrator");
    expect(r.output).toContain("https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization");
    expect(await features()).toEqual(tenantBefore);
    const stateAfter = await session.expect(["stack", "export"]);
    const res = (s: string) =>
      JSON.parse(s).deployment.resources.find((x: { type: string }) => x.type.endsWith(":DirectoryFeatureSettings"));
    expect(res(stateAfter.stdout).outputs.blockSoftMatchEnabled).toBe(
      res(stateBefore.stdout).outputs.blockSoftMatchEnabled,
    );
    expect(res(stateAfter.stdout).outputs.liveFeatures).toEqual(tenantBefore);
    await session.expect(["config", "rm", "syncgap:features"]);
    await session.expect(["up", "--yes", "--skip-preview"]);
  });

  it("7. stack export and the CLI output hold no password, client secret or token", async () => {
    const exported = await session.expect(["stack", "export"]);
    const history = await session.expect(["stack", "history", "--show-secrets=false"]);
    const haystack = exported.stdout + history.output + session.transcript();
    expect(haystack).not.toContain(ADMIN.password);
    expect(haystack).not.toContain(APP.clientSecrets[0].value);
    expect(haystack).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/); // no JWT
  });

  it("3. destroy with retain leaves the tenant as it is; with restore it puts back the prior value", async () => {
    const tenantBefore = await features();
    await session.expect(["destroy", "--yes", "--skip-preview"]);
    expect(await features()).toEqual(tenantBefore);
    expect(tenantBefore.bypassDirSyncOverridesEnabled).toBe(true);

    // Start from the original value, adopt with restore, then destroy.
    await fetchAsAdmin(`/v1.0/directory/onPremisesSynchronization/${emu.tenantId}`, "PATCH", {
      features: { ...tenantBefore, bypassDirSyncOverridesEnabled: false },
    });
    const original = await features();
    await session.expect(["config", "set", "syncgap:onDelete", "restore"]);
    await session.expect(["up", "--yes", "--skip-preview"]);
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    await session.expect(["destroy", "--yes", "--skip-preview"]);
    // 4b. byte for byte: all 20 features as they were before syncgap touched them.
    expect(await features()).toEqual(original);
  });
});

/** Runs bash without blocking this process: the local tenant answers Graph from this very event loop. */
function bash(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", args, { cwd: session.projectDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Turns the switch off as a Global Administrator would with Graph Explorer or PowerShell: outside Pulumi. */
async function turnOffOutOfBand(): Promise<void> {
  const sync = await emu.admin.syncObject();
  const current = await features();
  expect(current.bypassDirSyncOverridesEnabled).toBe(true);
  await fetchAsAdmin(`/v1.0/directory/onPremisesSynchronization/${sync.id}`, "PATCH", {
    features: { ...current, bypassDirSyncOverridesEnabled: false },
  });
  expect((await features()).bypassDirSyncOverridesEnabled).toBe(false);
}

/** A Global Administrator's own Graph call, outside Pulumi (the "out-of-band" change). */
async function fetchAsAdmin(p: string, method: string, body: unknown): Promise<void> {
  const prev = process.env.AZURE_PASSWORD;
  process.env.AZURE_PASSWORD = ADMIN.password;
  try {
    const { client } = createGraphConnection(validateConnection(emulatorConnection(emu, SIGN_IN)));
    const api = client.api(p.replace(/^\/v1\.0/, ""));
    if (method === "PATCH") await api.patch(body);
    else throw new Error(`unsupported ${method}`);
  } finally {
    if (prev === undefined) delete process.env.AZURE_PASSWORD;
    else process.env.AZURE_PASSWORD = prev;
  }
}
