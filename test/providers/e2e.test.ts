import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorConnection, emulatorEnv, type RunningEmulator, startEmulator } from "../../emulator";
import { createGraphConnection } from "../../graph/client";
import { validateConnection } from "../../graph/connection";
import { type Azurite, startAzurite } from "../support/azurite";
import { PulumiSession } from "../support/pulumi";
import { stageRootProgram } from "../support/stack";

// Issue 5's "must show", end to end: the real Pulumi CLI (file backend) runs the repository's program and its
// dynamic provider against the local tenant emulator, trusted through its CA (NODE_EXTRA_CA_CERTS), never with
// verification off. Issue 19: the up / drift / repair path again with the state in Azure Blob Storage (Azurite,
// test/support/azurite.ts), plus what a shared remote backend adds: the stack lock, a killed update, an outage.

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
  session = new PulumiSession(stageRootProgram(["scripts", "pipelines", "gap"]), {
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
    // App-only works by default (as in Entra today); this tenant follows the rendered docs' "Application: Not supported".
    await emu.admin.setOptions({ allowAppOnlyOnPremSync: false });
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
    await emu.admin.setOptions({ allowAppOnlyOnPremSync: true });
    await session.expect(["config", "rm", "syncgap:features"]);
    await session.expect(["up", "--yes", "--skip-preview"]);
  });

  it("6. app-only (the pipeline's workload-identity path): up repairs drift with a client credential, no user signs in", async () => {
    await turnOffOutOfBand();
    const appOnly = { env: { SYNCGAP_AUTH_METHOD: "clientSecret", AZURE_CLIENT_SECRET: APP.clientSecrets[0].value } };
    const up = await session.run(["up", "--yes", "--skip-preview"], appOnly);
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/1 updated/);
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    const clean = await session.run(["preview", "--refresh", "--expect-no-changes"], appOnly);
    expect(clean.code, clean.output).toBe(0);
  });

  it("7. stack export and the CLI output hold no password, client secret or token", async () => {
    const exported = await session.expect(["stack", "export"]);
    const history = await session.expect(["stack", "history", "--show-secrets=false"]);
    const haystack = exported.stdout + history.output + session.transcript();
    expect(haystack).not.toContain(ADMIN.password);
    expect(haystack).not.toContain(APP.clientSecrets[0].value);
    expect(haystack).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/); // no JWT
  });

  it("8. the provider in the state runs the built implementation (dist/provider.cjs), capturing nothing but its paths", async () => {
    const state = JSON.parse((await session.expect(["stack", "export"])).stdout);
    const settings = state.deployment.resources.find(
      (r: { type: string }) => r.type === "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings",
    );
    const code: string = settings.inputs.__provider;
    expect(code).toContain('implRelative: "dist/provider.cjs"');
    expect(code).toContain(`implAbsolute: "${path.join(session.projectDir, "dist", "provider.cjs")}"`);
    // no TypeScript at run time, and no client, credential or connection captured
    expect(code).not.toMatch(/tsx|ts-node|\.ts"/);
    expect(code).not.toMatch(/graph\.microsoft|Bearer|credential/i);
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

const escapeRe = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs bash without blocking this process: the local tenant answers Graph from this very event loop. */
function bash(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string = session.projectDir,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
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

describe("the same on Azure Blob state (Azurite): up, drift, repair, locks, a backend outage", () => {
  const CONTAINER = "syncgap-state";
  const STACK = "blob";
  let az: Azurite;
  let blob: PulumiSession;

  beforeAll(async () => {
    az = await startAzurite();
    await az.createContainer(CONTAINER);
    blob = new PulumiSession(
      stageRootProgram(["scripts", "pipelines", "gap"]), // B7 runs the deploy stage's script
      { ...emulatorEnv(emu, SIGN_IN), AZURE_PASSWORD: ADMIN.password },
      { url: az.backendUrl(CONTAINER), env: az.env() },
    );
    await blob.expect(["login", blob.backendUrl]);
    await blob.expect(["stack", "init", STACK]);
  });
  afterAll(async () => {
    blob?.dispose();
    await az?.dispose();
  });
  beforeEach(async () => {
    await emu.admin.clearFaults();
  });

  const locks = () => az.listBlobs(CONTAINER, ".pulumi/locks/");
  const settingsIn = (exported: string) => {
    const resources = JSON.parse(exported).deployment.resources as { type: string; outputs: Record<string, unknown> }[];
    return resources.filter((r) => r.type.endsWith(":DirectoryFeatureSettings"));
  };
  /** `pulumi stack export` parses, holds exactly one DirectoryFeatureSettings, and that one matches the tenant. */
  async function expectStateMatchesTenant(): Promise<void> {
    const exported = await blob.expect(["stack", "export"]);
    const settings = settingsIn(exported.stdout);
    expect(settings).toHaveLength(1);
    expect(settings[0]?.outputs.liveFeatures).toEqual(await features());
  }
  async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Holds the refresh's read of the tenant for `ms`, so an update is in flight (stack locked) that long. */
  const slowRefresh = (ms: number) =>
    emu.admin.addFault({
      path: "/v1.0/directory/onPremisesSynchronization*",
      method: "GET",
      kind: "latency",
      latencyMs: ms,
      count: 1,
    });

  it("B1. the state lives in the container; a wrong account key is refused", async () => {
    const who = await blob.expect(["whoami", "--verbose"]);
    expect(who.output).toContain(`Backend URL: ${blob.backendUrl}`);
    expect(await az.listBlobs(CONTAINER)).toContain(`.pulumi/stacks/syncgap/${STACK}.json`);
    // The negative control: the key really is checked, so the CLI above did reach this Azurite with that key.
    const wrong = await blob.run(["stack", "ls"], {
      env: { AZURE_STORAGE_KEY: Buffer.from("not the key").toString("base64") },
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/AuthorizationFailure|403|Server failed to authenticate/);
  });

  it("B2. up sets the flag and stores the stack in Blob state", async () => {
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(false);
    const up = await blob.expect(["up", "--yes", "--skip-preview"]);
    expect(up.output).toContain("pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings");
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    await expectStateMatchesTenant();
    expect(await locks()).toEqual([]);
  });

  it("B3. drift: an out-of-band change makes preview --refresh --expect-no-changes exit 7", async () => {
    await turnOffOutOfBand();
    const drift = await blob.run(["preview", "--refresh", "--expect-no-changes", "--diff"]);
    expect(drift.code, drift.output).toBe(7);
    expect(drift.output).toMatch(/bypassDirSyncOverridesEnabled\s*:\s*false\s*=>\s*true/);
  });

  it("B4. repair: a plain `pulumi up` (Pulumi.yaml refreshes first) PATCHes the switch back", async () => {
    const seq = await lastSeq();
    const up = await blob.expect(["up", "--yes", "--skip-preview"]);
    expect(up.output).toMatch(/1 updated/);
    expect(await patchCount(seq)).toBe(1);
    expect((await features()).bypassDirSyncOverridesEnabled).toBe(true);
    const clean = await blob.run(["preview", "--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
    await expectStateMatchesTenant();
  });

  it("B5. two `pulumi up` of one stack at once: one runs, the other fails on the lock; the state stays whole", async () => {
    await blob.expect(["config", "set", "--path", "syncgap:features.blockSoftMatchEnabled", "true"]);
    await slowRefresh(6000);
    const first = blob.start(["up", "--yes", "--skip-preview"]);
    // The first holds the stack's lock (.pulumi/locks/<project>/<stack>/<id>.json) while it waits on the tenant.
    await until("the first up's lock", async () => (await locks()).length === 1);
    const second = await blob.run(["up", "--yes", "--skip-preview"]);
    const firstResult = await first.done;
    expect(firstResult.code, firstResult.output).toBe(0);
    expect(firstResult.output).toMatch(/1 updated/);
    expect(second.code).not.toBe(0);
    expect(second.output).toContain("the stack is currently locked by 1 lock(s)");
    expect(second.output).toContain("delete the lock file with `pulumi cancel`");
    // The lock's URL names the backend, the stack and who holds it (never a key: it is not part of the URL).
    expect(second.output).toMatch(
      /azblob:\/\/syncgap-state\/\.pulumi\/locks\/organization\/syncgap\/blob\/[0-9a-f-]+\.json\?domain=127\.0\.0\.1:\d+&protocol=http&localemu=true: created by .+ \(pid \d+\) at /,
    );
    expect(second.output).not.toMatch(/AZURE_STORAGE_KEY|SharedKey/);
    expect((await features()).blockSoftMatchEnabled).toBe(true);
    await expectStateMatchesTenant();
    expect(await locks()).toEqual([]);
  });

  it("B6. a killed `pulumi up` (SIGKILL) leaves its lock; `pulumi cancel` removes it and the next up runs", async () => {
    await blob.expect(["config", "set", "--path", "syncgap:features.blockSoftMatchEnabled", "false"]);
    await slowRefresh(30_000);
    const killed = blob.start(["up", "--yes", "--skip-preview"]);
    await until("the update's lock", async () => (await locks()).length === 1);
    killed.kill("SIGKILL");
    const k = await killed.done;
    expect(k.code).toBe(128 + 9);
    const [stale] = await locks();
    expect(stale).toMatch(/^\.pulumi\/locks\/organization\/syncgap\/blob\/[0-9a-f-]+\.json$/);
    const blocked = await blob.run(["up", "--yes", "--skip-preview"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.output).toContain("the stack is currently locked by 1 lock(s)");
    // DIY backends: `pulumi cancel` deletes every lock file of the stack (pkg/backend/diy CancelCurrentUpdate).
    await blob.expect(["cancel", "--yes"]);
    expect(await locks()).toEqual([]);
    expect(settingsIn((await blob.expect(["stack", "export"])).stdout)).toHaveLength(1);
    const up = await blob.expect(["up", "--yes", "--skip-preview"]);
    expect(up.output).toMatch(/1 updated/);
    expect((await features()).blockSoftMatchEnabled).toBe(false);
    await expectStateMatchesTenant();
  });

  it("B7. Azurite stops mid-up: a clear failure naming the backend, the state survives, cancel and the next run succeed", async () => {
    await blob.expect(["config", "set", "--path", "syncgap:features.blockSoftMatchEnabled", "true"]);
    expect(await locks()).toEqual([]);

    // (a) The CLI on its own, stopped inside the update's refresh. What the pinned CLI (v3.274.1) does when the Blob
    // endpoint is gone as it saves a checkpoint: a Go panic in gocloud's azureblob writer (blob/azureblob
    // (*writer).Close dereferences the pipe reader that the failed upload already set to nil), exit 2.
    await slowRefresh(4000);
    const up = blob.start(["up", "--yes", "--skip-preview"]);
    await until("the update's lock", async () => (await locks()).length === 1);
    await until("the refresh", () => /refreshing/.test(up.output()));
    await az.stop();
    const raw = await up.done;
    expect(raw.code, raw.output).toBe(2);
    expect(raw.output).toMatch(
      /panic: runtime error: invalid memory address or nil pointer dereference[\s\S]*gocloud\.dev\/blob\/azureblob\.\(\*writer\)\.Close[\s\S]*diyBackend\)\.saveCheckpoint/,
    );
    // Azurite back on the same data folder: the state is whole, the crashed update's lock is still there.
    await az.restart();
    expect(settingsIn((await blob.expect(["stack", "export"])).stdout)).toHaveLength(1);
    expect(await locks()).toHaveLength(1);
    await blob.expect(["cancel", "--yes"]);
    expect(await locks()).toEqual([]);

    // (b) The deploy stage's own script, so the message is the one a pipeline run shows: whichever way the CLI
    // fails (the panic above, or "there was a problem deleting the lock … connection refused"), the step names
    // the backend and the way out.
    await slowRefresh(4000);
    const staging = mkdtempSync(path.join(tmpdir(), "syncgap-deploy-staging-"));
    const deploying = bash(
      [path.join(blob.projectDir, "pipelines", "scripts", "deploy.sh"), "appOnly"],
      {
        ...blob.env,
        TF_BUILD: "True",
        BUILD_SOURCESDIRECTORY: blob.projectDir,
        BUILD_ARTIFACTSTAGINGDIRECTORY: staging,
        SYNCGAP_STACK: STACK,
      },
      blob.projectDir,
    );
    await until("the deploy's lock", async () => (await locks()).length === 1);
    await new Promise((r) => setTimeout(r, 1000)); // inside the refresh, which the tenant holds for 4 s
    await az.stop();
    const r = await deploying;
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `##vso\\[task\\.logissue type=error;\\]pulumi up of stack ${STACK} failed \\(exit \\d+\\): the Pulumi state backend ${escapeRe(blob.backendUrl)} could not be reached\\.`,
      ),
    );
    expect(r.stdout).toContain(`pulumi cancel --yes --stack ${STACK}`);
    expect(readFileSync(path.join(staging, STACK, "up.txt"), "utf8")).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${az.port}.*connection refused|gocloud\\.dev/blob/azureblob`),
    );
    expect(r.stdout + r.stderr).not.toContain(az.env().AZURE_STORAGE_KEY);

    await az.restart();
    expect(settingsIn((await blob.expect(["stack", "export"])).stdout)).toHaveLength(1);
    expect(await locks()).toHaveLength(1);
    const blocked = await blob.run(["up", "--yes", "--skip-preview"]);
    expect(blocked.output).toContain("the stack is currently locked by 1 lock(s)");
    await blob.expect(["cancel", "--yes"]);
    expect(await locks()).toEqual([]);
    const next = await blob.expect(["up", "--yes", "--skip-preview"]);
    expect(next.code).toBe(0);
    expect((await features()).blockSoftMatchEnabled).toBe(true);
    await expectStateMatchesTenant();
    expect(await locks()).toEqual([]);
  }, 300_000);

  it("B8. clean up: the feature is no longer declared; destroy with retain leaves the tenant as it is", async () => {
    await blob.expect(["config", "rm", "syncgap:features"]);
    const tenantBefore = await features();
    await blob.expect(["destroy", "--yes", "--skip-preview"]);
    expect(await features()).toEqual(tenantBefore);
    expect(await locks()).toEqual([]);
  });
});
