/**
 * The pipelines end to end, on this machine: the local runner reads azure-pipelines.yml and runs its stages
 * against a Samba AD DC and the local Entra ID tenant (tools/pipelines-runner/localTenant.ts), with the real Pulumi CLI,
 * the real policy pack and the real `syncgap` command. One checkout and one state backend serve the whole file, in
 * the order a tenant lives through them:
 *   1. pull request: the compliant stack passes the preview (policy pack) and gets an impact report; the
 *      non-compliant one (cloud authority) fails on mobile-authority-flag;
 *   2. main with initialSync: `pulumi up` in the deployment job, the full sync (`Start-ADSyncSyncCycle -PolicyType
 *      Initial`) on the Entra Connect server's agent, then the post-deploy gate passes;
 *   3. nightly: no drift right after the deploy; after someone turns the switch off in the tenant, the drift check
 *      fails and names bypassDirSyncOverridesEnabled with its live and declared value; the fix it names, the main
 *      branch's deploy, turns it back on (its `pulumi up` refreshes first) and the next nightly finds no drift;
 *   4. main with enforcementIdentity delegated: `pulumi up` signs in with a device code that the log shows, and a
 *      Global Administrator approves it.
 * The Pulumi state lives in Azure Blob Storage (Azurite on 127.0.0.1, an `azblob://` backend URL and the storage key
 * as a secret variable of the variable group), as in a real tenant.
 * The test stage (`bash scripts/test.sh`) is left out of the pull-request run: it is this test suite.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AUDIT_SERVICE_CONNECTION,
  GLOBAL_ADMIN_UPN,
  LocalTenant,
  STATE_CONTAINER,
  type TenantEntry,
} from "../../tools/pipelines-runner/localTenant";
import { issues, type RunOptions, type RunRecord } from "../../tools/pipelines-runner/run";
import { pipelineRuns, stage, step, steps } from "../support/pipelineRuns";

let local: LocalTenant;
let ok: TenantEntry;
let bad: TenantEntry;
const runs = pipelineRuns(() => local, "pipelines-e2e");

beforeAll(async () => {
  local = await LocalTenant.start({ sambaAddress: "127.0.0.7" });
  ok = local.tenant("e2e-ok", "onPremises");
  bad = local.tenant("e2e-bad", "cloud");
}, 600_000);

afterAll(async () => {
  runs.saveLog();
  await local?.stop();
});

const run = (options: Partial<RunOptions>) => runs.run(options);

describe("pull request", () => {
  let r: RunRecord;
  beforeAll(async () => {
    r = await run({
      reason: "PullRequest",
      pullRequestId: "7",
      parameters: { tenants: [ok, bad] },
      jobFilter: (stageName) => stageName !== "test",
    });
  }, 900_000);

  it("runs only the pull-request stages", () => {
    expect(r.stages.map((s) => [s.name, s.result])).toEqual([
      ["test", "Skipped"],
      ["preview_e2e_ok", "Succeeded"],
      ["preview_e2e_bad", "Failed"],
      ["deploy_e2e_ok", "Skipped"],
      ["deploy_e2e_bad", "Skipped"],
      ["nightly_e2e_ok", "Skipped"],
      ["nightly_e2e_bad", "Skipped"],
    ]);
    expect(stage(r, "test")?.jobs[0]?.reason).toBe("not selected");
  });

  it("passes the compliant stack's preview with the policy pack, and writes its impact report", () => {
    expect(step(r, "preview_e2e_ok", "preview", "pulumi preview")?.result).toBe("Succeeded");
    expect(step(r, "preview_e2e_ok", "preview", "Impact report")?.result).toBe("Succeeded");
    const artifact = r.artifacts.find((a) => a.name === "preview-e2e-ok");
    expect(artifact?.files).toEqual(expect.arrayContaining(["preview.txt", "preview.md", "impact/impact-report.md"]));
    const impact = readFileSync(path.join(artifact?.path as string, "impact", "impact-report.md"), "utf8");
    expect(impact).toContain("alice.baker@corp.example.test");
    // The preview's summary and syncgap's own impact summary are attached to the run.
    expect(r.summaries.filter((s) => s.job === "preview" && s.stage === "preview_e2e_ok")).toHaveLength(2);
  });

  it("fails the non-compliant stack on the mandatory policy, naming it, and still reports the impact", () => {
    expect(step(r, "preview_e2e_bad", "preview", "pulumi preview")?.result).toBe("Failed");
    expect(step(r, "preview_e2e_bad", "preview", "Impact report")?.result).toBe("Succeeded");
    const errors = issues(r, "error").filter((c) => c.stage === "preview_e2e_bad");
    expect(errors.map((e) => e.message).join("\n")).toMatch(
      /Policy mobile-authority-flag .*declares bypassDirSyncOverridesEnabled = false/,
    );
    expect(r.artifacts.map((a) => a.name)).toContain("preview-e2e-bad");
  });

  it("never prints a secret", () => {
    const secrets = Object.values(local.variableGroups.syncgap?.secrets ?? {});
    for (const s of secrets) expect(r.log).not.toContain(s);
  });
});

describe("main branch: deploy, full sync on the Entra Connect server, gate", () => {
  let r: RunRecord;
  let featuresAfterDeploy: Record<string, unknown> = {};
  let entraConnect: ReturnType<LocalTenant["entraConnectAgent"]>;
  beforeAll(async () => {
    entraConnect = local.entraConnectAgent("e2e-ok");
    r = await run({
      reason: "IndividualCI",
      sourceBranch: "refs/heads/main",
      // No sync is started by the test: the initial_sync job's Start-ADSyncSyncCycle is the one the gate waits for.
      parameters: { tenants: [ok], initialSync: true },
      agents: { "syncgap-entra-connect": [local.entraConnectAgent("another-tenant"), entraConnect] },
      onJobStart: async (stageName, job) => {
        if (stageName === "deploy_e2e_ok" && job === "initial_sync") featuresAfterDeploy = await local.features();
      },
    });
  }, 900_000);

  it("runs pulumi up in the deployment job bound to the tenant's Environment, and turns the switch on", () => {
    const deploy = stage(r, "deploy_e2e_ok")?.jobs.find((j) => j.name === "deploy");
    expect(deploy?.environment).toBe("syncgap-e2e-ok");
    expect(deploy?.result).toBe("Succeeded");
    expect(r.log).toContain("Environment syncgap-e2e-ok: approval granted");
    expect(featuresAfterDeploy.bypassDirSyncOverridesEnabled).toBe(true);
  });

  it("runs Start-ADSyncSyncCycle -PolicyType Initial on this tenant's Entra Connect agent, after up and before the gate", () => {
    const jobs = stage(r, "deploy_e2e_ok")?.jobs ?? [];
    expect(jobs.map((j) => [j.name, j.result])).toEqual([
      ["deploy", "Succeeded"],
      ["initial_sync", "Succeeded"],
      ["gate", "Succeeded"],
    ]);
    expect(entraConnect.cycles).toEqual(["Initial"]);
    expect(r.log).toContain("Job deploy_e2e_ok.initial_sync: agent entra-connect-e2e-ok of pool syncgap-entra-connect");
    const sync = step(r, "deploy_e2e_ok", "initial_sync", "Start-ADSyncSyncCycle -PolicyType Initial");
    expect(sync?.result).toBe("Succeeded");
    expect(sync?.output).toContain("Start-ADSyncSyncCycle -PolicyType Initial: Success");
    expect(featuresAfterDeploy.bypassDirSyncOverridesEnabled).toBe(true);
  });

  it("keeps the stack's state in Azure Blob Storage (Azurite), with no lock left behind", async () => {
    expect(local.backendUrl).toMatch(/^azblob:\/\/syncgap-state\?domain=127\.0\.0\.1:\d+&protocol=http&localemu=true$/);
    const blobs = (await local.azurite?.listBlobs(STATE_CONTAINER)) ?? [];
    expect(blobs).toContain(".pulumi/stacks/syncgap/e2e-ok.json");
    expect(blobs.filter((b) => b.startsWith(".pulumi/locks/"))).toEqual([]);
    expect(r.log).toContain(`Pulumi state backend: ${local.backendUrl}`);
    const history = await local.azurite?.listBlobs(STATE_CONTAINER, ".pulumi/history/syncgap/e2e-ok/");
    expect(history?.some((b) => b.endsWith(".history.json"))).toBe(true);
  });

  it("passes the post-deploy gate after a sync, with JUnit, CSV/HTML artifacts and a Markdown summary", () => {
    expect(stage(r, "deploy_e2e_ok")?.result).toBe("Succeeded");
    expect(steps(r, "deploy_e2e_ok", "gate").map((s) => [s.displayName, s.result])).toEqual([
      ["Checkout self", "Succeeded"],
      ["Cache the npm downloads", "Succeeded"],
      ["Cache Node.js and the Pulumi CLI", "Succeeded"],
      ["Toolchain (Node.js 22, npm ci, Pulumi CLI)", "Succeeded"],
      ["Post-deploy gate (syncgap check)", "Succeeded"],
      ["Publish the gate's JUnit report", "Succeeded"],
      ["Publish the reports (gate-e2e-ok)", "Succeeded"],
    ]);
    expect(r.testRuns).toHaveLength(1);
    expect(r.testRuns[0]?.title).toBe("syncgap gate e2e-ok");
    expect(r.testRuns[0]?.failed).toBe(0);
    const gate = r.artifacts.find((a) => a.name === "gate-e2e-ok");
    expect(gate?.files).toEqual(
      expect.arrayContaining(["gate/gap-report.csv", "gate/gap-report.html", "gate/gap-report.xml"]),
    );
    expect(r.summaries.some((s) => s.job === "gate")).toBe(true);
  });
});

describe("nightly", () => {
  it("finds no drift right after the deploy (this run installs the CLI with the Pulumi task)", async () => {
    const r = await run({ reason: "Schedule", parameters: { tenants: [ok], install: "pulumiTask" } });
    const task = step(r, "nightly_e2e_ok", "nightly", "Install the Pulumi CLI (Pulumi task)");
    expect(task?.result).toBe("Succeeded");
    expect(task?.output).toContain("No Pulumi command to run. Exiting early.");
    expect(step(r, "nightly_e2e_ok", "nightly", "Drift")?.result).toBe("Succeeded");
    expect(step(r, "nightly_e2e_ok", "nightly", "Drift")?.output).toContain("No drift in stack e2e-ok.");
    expect(issues(r, "error").filter((c) => c.message.startsWith("Drift:"))).toEqual([]);
  }, 900_000);

  it("fails with the drifted property named after an out-of-band change, and still writes the gap report", async () => {
    // a named administrator flips it in the portal; the pipeline's app-only identity may not read the audit log
    await local.changeOutOfBand("bypassDirSyncOverridesEnabled", false, { userPrincipalName: GLOBAL_ADMIN_UPN });
    const r = await run({ reason: "Schedule", parameters: { tenants: [ok] } });
    const drift = step(r, "nightly_e2e_ok", "nightly", "Drift");
    expect(drift?.result).toBe("Failed");
    const driftIssues = issues(r, "error")
      .map((c) => c.message)
      .filter((m) => m.startsWith("Drift: bypassDirSyncOverridesEnabled"));
    // the drift is still reported, with the one note on what would name who did it
    expect(driftIssues).toHaveLength(1);
    expect(driftIssues[0]).toMatch(
      /^Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true — note: could not read the directory audit log .*AuditLog\.Read\.All/,
    );
    expect(
      r.commands.some(
        (c) => c.command === "task.complete" && c.properties.result === "Failed" && c.step === drift?.displayName,
      ),
    ).toBe(true);
    expect(step(r, "nightly_e2e_ok", "nightly", "Gap report")?.result).not.toBe("Skipped");
    const nightly = r.artifacts.find((a) => a.name === "nightly-e2e-ok");
    expect(nightly?.files).toEqual(expect.arrayContaining(["drift.md", "drift-preview.txt", "gap/gap-report.csv"]));
    expect(existsSync(path.join(nightly?.path as string, "gap", "gap-report.html"))).toBe(true);
    expect(r.result).toBe("Failed");
  }, 900_000);

  it("the fix the drift summary names, the main branch's deploy, turns the switch back on; the next nightly is clean", async () => {
    expect((await local.features()).bypassDirSyncOverridesEnabled).toBe(false);
    const deploy = await run({
      reason: "IndividualCI",
      sourceBranch: "refs/heads/main",
      parameters: { tenants: [ok] },
      jobFilter: (_stage, job) => job === "deploy",
    });
    const up = step(deploy, "deploy_e2e_ok", "deploy", "pulumi up");
    expect(up?.result).toBe("Succeeded");
    expect(up?.output).toMatch(/1 updated/);
    expect(up?.output).toContain("Stack e2e-ok: the tenant holds bypassDirSyncOverridesEnabled = true, as declared.");
    expect((await local.features()).bypassDirSyncOverridesEnabled).toBe(true);
    const outputs = JSON.parse(
      readFileSync(
        path.join(deploy.artifacts.find((a) => a.name === "deploy-e2e-ok")?.path as string, "outputs.json"),
        "utf8",
      ),
    );
    expect(outputs.lastSeenBypassDirSyncOverridesEnabled).toBe(true);

    const nightly = await run({ reason: "Schedule", parameters: { tenants: [ok] } });
    expect(step(nightly, "nightly_e2e_ok", "nightly", "Drift")?.result).toBe("Succeeded");
    expect(step(nightly, "nightly_e2e_ok", "nightly", "Drift")?.output).toContain("No drift in stack e2e-ok.");
  }, 900_000);
});

describe("nightly with audit evidence (bootstrap auditEvidence: true)", () => {
  it("names who turned the switch off, and when, in the drift line and the drift summary", async () => {
    const audited = local.tenant("e2e-ok", "onPremises", { auditEvidence: true });
    expect(audited.serviceConnection).toBe(AUDIT_SERVICE_CONNECTION);
    const before = new Date();
    await local.changeOutOfBand("bypassDirSyncOverridesEnabled", false, { userPrincipalName: GLOBAL_ADMIN_UPN });
    const r = await run({ reason: "Schedule", parameters: { tenants: [audited] } });
    const drift = step(r, "nightly_e2e_ok", "nightly", "Drift");
    expect(drift?.result).toBe("Failed");
    const lines = issues(r, "error")
      .map((c) => c.message)
      .filter((m) => m.startsWith("Drift: bypassDirSyncOverridesEnabled"));
    expect(lines).toHaveLength(1);
    const m =
      /^Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true — bypassDirSyncOverridesEnabled true → false changed at (\S+) by user ga@syncgaplocal\.onmicrosoft\.com \(directory audit record [^)]+\)$/.exec(
        lines[0] as string,
      );
    expect(m, lines[0]).not.toBeNull();
    const at = new Date(m?.[1] as string).getTime();
    expect(at).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(lines[0]).not.toContain("note:");
    const nightly = r.artifacts.find((a) => a.name === "nightly-e2e-ok");
    const md = readFileSync(path.join(nightly?.path as string, "drift.md"), "utf8");
    expect(md).toContain("Audit evidence: bypassDirSyncOverridesEnabled true → false changed at");
    expect(md).toContain("ga@syncgaplocal.onmicrosoft.com");
  }, 900_000);
});

describe("main branch with delegated enforcement", () => {
  it("shows the device code in the deploy log, and writes the switch as the Global Administrator who signs in", async () => {
    const delegated = local.tenant("e2e-delegated", "onPremises");
    await local.changeOutOfBand("bypassDirSyncOverridesEnabled", false); // so that this deploy has something to write
    expect((await local.features()).bypassDirSyncOverridesEnabled).toBe(false);
    let approver: ReturnType<LocalTenant["approveDeviceCodes"]> | undefined;
    const r = await run({
      reason: "IndividualCI",
      sourceBranch: "refs/heads/main",
      parameters: { tenants: [delegated], enforcementIdentity: "delegated" },
      jobFilter: (_stage, job) => job === "deploy",
      onJobStart: async (_stage, job) => {
        if (job === "deploy") approver = local.approveDeviceCodes();
      },
    });
    const codes = (await approver?.stop()) ?? [];
    const up = step(r, "deploy_e2e_delegated", "deploy", "pulumi up (delegated)");
    expect(up?.result).toBe("Succeeded");
    expect(codes).toHaveLength(1);
    expect(up?.output).toContain(`enter the code ${codes[0]} to authenticate`);
    expect(issues(r, "warning").map((c) => c.message)).toContain(
      "Waiting for a Global Administrator to sign in with the device code below (enforcementIdentity delegated)",
    );
    expect((await local.features()).bypassDirSyncOverridesEnabled).toBe(true);
  }, 900_000);
});
