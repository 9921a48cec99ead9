/**
 * The back-fill through the pipelines, end to end (docs/backfill.md, "In the pipeline"): a local tenant whose two
 * users carry cloud-entered numbers that turning AD authority on would clear or overwrite, a stack whose
 * mobile-gap-impact policy runs in no-loss mode (mandatory), and the real runner, Pulumi CLI, policy pack, Samba DC
 * and `syncgap`:
 *   1. pull request: the preview fails (nothing settles the numbers the switch would lose) and publishes the plan;
 *   2. someone reviews the plan's CSV (every row `cloud`) and commits it as backfill-plans/<stack>/: the next preview
 *      passes;
 *   3. main: the approved deployment job applies the plan to AD before `pulumi up` turns the switch on, the full sync
 *      runs, and the gate passes: every cloud number that existed before is in Entra ID after, and none is CloudOnly.
 * Its own DC address (127.0.0.9) and tenant, so it shares nothing with test/pipelines/e2e.test.ts.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_OU, LocalTenant, type TenantEntry } from "../../tools/pipelines-runner/localTenant";
import { issues, type RunOptions } from "../../tools/pipelines-runner/run";
import { backfillAdmin } from "../support/backfillDc";
import { pipelineRuns, step } from "../support/pipelineRuns";

let local: LocalTenant;
let entry: TenantEntry;
const runs = pipelineRuns(() => local, "pipelines-backfill-e2e");
/** Entra ID's mobile numbers of the synced users before anything ran, by UPN. */
let cloudBefore: Map<string, string>;

async function entraMobiles(): Promise<Map<string, string>> {
  const { users } = await local.emulator.admin.users({ synced: true, limit: 1000 });
  const data = users.map((u) => u.user as { userPrincipalName: string; mobilePhone?: string | null });
  return new Map(data.filter((u) => u.mobilePhone).map((u) => [u.userPrincipalName, u.mobilePhone as string]));
}

beforeAll(async () => {
  local = await LocalTenant.start({ sambaAddress: "127.0.0.9" });
  entry = local.tenant("bf", "onPremises", { noLoss: true });
  // the writer may write mobile on the users' OU, as the Delegation of Control Wizard grants it ("Write mobile")
  const admin = await backfillAdmin(local.dc);
  try {
    await admin.grantWriteMobile(DEMO_OU, local.dc.bindDN);
  } finally {
    await admin.close();
  }
  cloudBefore = await entraMobiles();
}, 600_000);

afterAll(async () => {
  runs.saveLog();
  await local?.stop();
});

const run = (options: Partial<RunOptions>) => runs.run(options);

const pullRequest = () =>
  run({
    reason: "PullRequest",
    pullRequestId: "11",
    parameters: { tenants: [entry] },
    jobFilter: (stageName) => stageName !== "test",
  });

describe("back-fill in the pipeline: plan in the pull request, apply in the approved deploy, no number lost", () => {
  let planDir: string;

  it("fails the preview while the switch would lose cloud numbers, and publishes the plan that keeps them", async () => {
    expect(cloudBefore.size).toBeGreaterThanOrEqual(2);
    const r = await pullRequest();
    expect(step(r, "preview_bf", "preview", "pulumi preview")?.result).toBe("Failed");
    const errors = issues(r, "error").map((c) => c.message);
    expect(errors.join("\n")).toMatch(
      /mobile-gap-impact.*: no back-fill plan at .*backfill-plans\/bf\/backfill-plan\.json/,
    );
    expect(step(r, "preview_bf", "preview", "Back-fill plan")?.result).toBe("Succeeded");
    expect(step(r, "preview_bf", "preview", "Back-fill plan")?.output).toContain(
      "No reviewed plan in backfill-plans/bf/",
    );
    const artifact = r.artifacts.find((a) => a.name === "preview-bf");
    expect(artifact?.files).toEqual(
      expect.arrayContaining([
        "backfill/backfill-plan.json",
        "backfill/backfill-plan.csv",
        "backfill/backfill-changes.ldif",
        "backfill/backfill-changes.ps1",
      ]),
    );
    planDir = path.join(artifact?.path as string, "backfill");
    const plan = JSON.parse(readFileSync(path.join(planDir, "backfill-plan.json"), "utf8"));
    // one row per synced user whose cloud number the switch would clear or overwrite
    const lost = [...cloudBefore.keys()].filter((upn) =>
      plan.rows.some((row: { userPrincipalName: string }) => row.userPrincipalName === upn),
    );
    expect(lost.length).toBeGreaterThanOrEqual(2);
  }, 900_000);

  it("passes the preview once the reviewed plan is committed as backfill-plans/bf/", async () => {
    // the review: every row's Decision set to cloud in Excel, the CSV handed back with the JSON
    const reviewed = path.join(local.sourcesDir, "backfill-plans", "bf");
    mkdirSync(reviewed, { recursive: true });
    cpSync(path.join(planDir, "backfill-plan.json"), path.join(reviewed, "backfill-plan.json"));
    const csv = readFileSync(path.join(planDir, "backfill-plan.csv"), "utf8")
      .split("\r\n")
      .map((line, i) => (i === 0 || !line ? line : line.replace(/^(review|ad),/, "cloud,")))
      .join("\r\n");
    writeFileSync(path.join(reviewed, "backfill-plan.csv"), csv);
    const r = await pullRequest();
    expect(step(r, "preview_bf", "preview", "pulumi preview")?.result).toBe("Succeeded");
    expect(r.log).toMatch(
      /\[mobile-gap-impact\] .*writes \d+ into AD first and gives up 0 by decision \(ad\); 0 unsettled/,
    );
    expect(step(r, "preview_bf", "preview", "Back-fill plan")?.output).toContain(
      "A reviewed plan is committed in backfill-plans/bf/",
    );
  }, 900_000);

  it("applies the plan before pulumi up in the approved deploy; after the full sync every cloud number is kept", async () => {
    const entraConnect = local.entraConnectAgent("bf");
    const r = await run({
      reason: "IndividualCI",
      sourceBranch: "refs/heads/main",
      parameters: { tenants: [entry], initialSync: true },
      agents: { "syncgap-entra-connect": [entraConnect] },
    });
    const deploySteps = r.stages.find((s) => s.name === "deploy_bf")?.jobs.find((j) => j.name === "deploy")?.steps;
    const names = deploySteps?.map((s) => s.displayName) ?? [];
    expect(names.indexOf("Back-fill AD from the reviewed plan (syncgap backfill apply)")).toBeLessThan(
      names.findIndex((n) => n.startsWith("pulumi up")),
    );
    expect(step(r, "deploy_bf", "deploy", "Back-fill AD")?.result).toBe("Succeeded");
    expect(step(r, "deploy_bf", "deploy", "Back-fill AD")?.output).toContain("applied: every number it keeps is in AD");
    expect(step(r, "deploy_bf", "deploy", "pulumi up")?.result).toBe("Succeeded");
    expect(entraConnect.cycles).toEqual(["Initial"]);
    expect(step(r, "deploy_bf", "gate", "Post-deploy gate")?.result).toBe("Succeeded");
    expect((await local.features()).bypassDirSyncOverridesEnabled).toBe(true);

    // the sets: every cloud number there before is there after; nothing CloudOnly in the gate's report
    const after = await entraMobiles();
    for (const [upn, number] of cloudBefore) expect(after.get(upn), upn).toBe(number);
    const artifact = r.artifacts.find((a) => a.name === "deploy-bf");
    const report = JSON.parse(
      readFileSync(path.join(artifact?.path as string, "backfill", "backfill-apply-report.json"), "utf8"),
    );
    expect(report.exitCode).toBe(0);
    expect(report.counts.applied).toBeGreaterThanOrEqual(2);
    expect(artifact?.files).toContain("backfill/backfill-undo.ldif");
    const gate = r.artifacts.find((a) => a.name === "gate-bf");
    const gapJson = JSON.parse(readFileSync(path.join(gate?.path as string, "gate", "gap-report.json"), "utf8"));
    expect(gapJson.summary.counts.CloudOnly ?? 0).toBe(0);
    expect(gapJson.summary.counts.ValueMismatch ?? 0).toBe(0);
    expect(r.result).toBe("Succeeded");
  }, 900_000);
});
