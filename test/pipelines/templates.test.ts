import path from "node:path";
import { describe, expect, it } from "vitest";
import { compilePipeline, PipelineError } from "../../tools/pipelines-runner/templates";

const root = path.resolve(__dirname, "..", "..");
const tiny = path.join(__dirname, "fixtures", "tiny", "azure-pipelines.yml");
const pipeline = path.join(root, "azure-pipelines.yml");

const tenants = [
  { stack: "contoso", serviceConnection: "sc-contoso", environment: "env-contoso" },
  { stack: "fabrikam-eu", serviceConnection: "sc-fabrikam", environment: "env-fabrikam" },
];

describe("template expansion", () => {
  it("expands each loops over a parameter and step templates with parameters", () => {
    const c = compilePipeline(tiny, { rootDir: path.dirname(tiny) });
    const greet = c.stages[0]?.jobs[0];
    expect(greet?.steps.slice(0, 2).map((s) => s.bash)).toEqual(['echo "hello $(who)"', 'echo "bonjour $(who)"']);
    expect(greet?.steps[0]?.displayName).toBe("Echo hello $(who)");
  });

  it("checks parameters: allowed values, unknown names, missing required ones", () => {
    expect(() => compilePipeline(tiny, { rootDir: root, parameters: { failAt: "third" } })).toThrow(
      /parameter failAt is "third", allowed: none, second/,
    );
    expect(() => compilePipeline(tiny, { rootDir: root, parameters: { nope: 1 } })).toThrow(
      /unexpected parameter\(s\) nope/,
    );
  });

  it("compiles syncgap's pipeline into one stage per tenant and trigger, with static job names", () => {
    const c = compilePipeline(pipeline, { rootDir: root, parameters: { tenants } });
    expect(c.stages.map((s) => s.name)).toEqual([
      "test",
      "preview_contoso",
      "preview_fabrikam_eu",
      "deploy_contoso",
      "deploy_fabrikam_eu",
      "nightly_contoso",
      "nightly_fabrikam_eu",
    ]);
    const deploy = c.stages.find((s) => s.name === "deploy_fabrikam_eu");
    expect(deploy?.jobs.map((j) => [j.kind, j.name, j.environment, j.dependsOn])).toEqual([
      ["deployment", "deploy", "env-fabrikam", []],
      ["job", "gate", undefined, ["deploy"]],
    ]);
    const tenantSteps = deploy?.jobs.flatMap((j) => j.steps).filter((s) => s.task === "AzureCLI@2");
    expect(tenantSteps?.map((s) => (s.inputs as Record<string, string>).scriptPath)).toEqual([
      "pipelines/scripts/backfill-apply.sh",
      "pipelines/scripts/deploy.sh",
      "pipelines/scripts/gate.sh",
    ]);
    for (const s of tenantSteps ?? []) {
      expect((s.inputs as Record<string, string>).azureSubscription).toBe("sc-fabrikam");
      expect((s.env as Record<string, string>).SYNCGAP_STACK).toBe("fabrikam-eu");
      expect((s.env as Record<string, string>).SYSTEM_ACCESSTOKEN).toBe("$(System.AccessToken)");
    }
  });

  it("adds the Pulumi task only when install is pulumiTask, and passes the enforcement identity to deploy.sh", () => {
    const plain = compilePipeline(pipeline, { rootDir: root, parameters: { tenants } });
    const withTask = compilePipeline(pipeline, {
      rootDir: root,
      parameters: { tenants, install: "pulumiTask", enforcementIdentity: "delegated" },
    });
    const tasks = (c: typeof plain) => c.stages.flatMap((s) => s.jobs.flatMap((j) => j.steps.map((x) => x.task)));
    expect(tasks(plain)).not.toContain("Pulumi@1");
    expect(tasks(withTask).filter((t) => t === "Pulumi@1")).toHaveLength(8); // every tenant job, not the test job
    // The task only installs: a workload-identity connection gives it nothing that reaches Blob state
    // (pulumi/pulumi#16526), so its login and PULUMI_BACKEND_URL stay in the job's temp folder.
    for (const t of withTask.stages
      .flatMap((s) => s.jobs.flatMap((j) => j.steps))
      .filter((x) => x.task === "Pulumi@1")) {
      expect((t.inputs as Record<string, string>).loginArgs).toBe("file://$(Agent.TempDirectory)");
      expect((t.env as Record<string, string>).PULUMI_BACKEND_URL).toBe("file://$(Agent.TempDirectory)");
      expect(t.inputs).not.toHaveProperty("command");
    }
    // The steps that do reach the state get the storage key (variable group or Key Vault name), through env only.
    const cli = withTask.stages.flatMap((s) => s.jobs.flatMap((j) => j.steps)).filter((x) => x.task === "AzureCLI@2");
    for (const c of cli) {
      expect(c.env).toMatchObject({
        AZURE_STORAGE_KEY: "$(AZURE_STORAGE_KEY)",
        SYNCGAP_KV_AZURE_STORAGE_KEY: "$(azure-storage-key)",
      });
    }
    const script = (x: { inputs?: unknown }) => (x.inputs as Record<string, string> | undefined)?.scriptPath;
    const deploySteps = withTask.stages.find((s) => s.name === "deploy_contoso")?.jobs[0]?.steps ?? [];
    const deployStep = deploySteps.find((s) => script(s) === "pipelines/scripts/deploy.sh");
    expect((deployStep?.inputs as Record<string, string> | undefined)?.arguments).toBe("delegated");
    // the reviewed back-fill plan is applied in the same approved job, before pulumi up; the preview makes the plan
    expect(deploySteps.map(script).filter(Boolean)).toEqual([
      "pipelines/scripts/backfill-apply.sh",
      "pipelines/scripts/deploy.sh",
    ]);
    const previewSteps = withTask.stages.find((s) => s.name === "preview_contoso")?.jobs[0]?.steps ?? [];
    expect(previewSteps.map(script).filter(Boolean)).toEqual([
      "pipelines/scripts/preview.sh",
      "pipelines/scripts/impact.sh",
      "pipelines/scripts/backfill-plan.sh",
    ]);
    expect(() => compilePipeline(pipeline, { rootDir: root, parameters: { enforcementIdentity: "both" } })).toThrow(
      PipelineError,
    );
  });

  it("reads the secrets from a Key Vault with the tenant's service connection when keyVault is set", () => {
    const c = compilePipeline(pipeline, { rootDir: root, parameters: { tenants, keyVault: "kv-syncgap" } });
    const job = c.stages.find((s) => s.name === "nightly_fabrikam_eu")?.jobs[0];
    const kv = job?.steps.find((s) => s.task === "AzureKeyVault@2");
    expect(kv?.inputs).toMatchObject({
      azureSubscription: "sc-fabrikam",
      KeyVaultName: "kv-syncgap",
      SecretsFilter: "pulumi-config-passphrase,syncgap-ad-password,syncgap-backfill-password,azure-storage-key",
    });
    // Before the toolchain and the tenant steps that need the secrets.
    expect(job?.steps.indexOf(kv as NonNullable<typeof kv>)).toBeLessThan(
      job?.steps.findIndex((s) => s.task === "AzureCLI@2") ?? 0,
    );
    const plain = compilePipeline(pipeline, { rootDir: root, parameters: { tenants } });
    expect(plain.stages.flatMap((s) => s.jobs.flatMap((j) => j.steps)).some((x) => x.task === "AzureKeyVault@2")).toBe(
      false,
    );
  });

  it("selects stages by trigger: conditions on Build.Reason and branch", () => {
    const c = compilePipeline(pipeline, { rootDir: root });
    const byName = Object.fromEntries(c.stages.map((s) => [s.name, s.condition]));
    expect(byName.test).toBe("eq(variables['Build.Reason'], 'PullRequest')");
    expect(byName.preview_contoso).toBe("eq(variables['Build.Reason'], 'PullRequest')");
    expect(byName.deploy_contoso).toContain("eq(variables['Build.SourceBranch'], 'refs/heads/main')");
    expect(byName.nightly_contoso).toBe("eq(variables['Build.Reason'], 'Schedule')");
    expect(c.stages.every((s) => Array.isArray(s.dependsOn) && s.dependsOn.length === 0)).toBe(true);
    expect(c.schedules).toEqual([
      { cron: "0 3 * * *", displayName: "Nightly drift and gap report", branches: { include: ["main"] }, always: true },
    ]);
  });

  it("adds the full sync (initial_sync) between pulumi up and the gate only when initialSync is on", () => {
    const off = compilePipeline(pipeline, { rootDir: root, parameters: { tenants } });
    for (const s of off.stages.filter((x) => x.name.startsWith("deploy_"))) {
      expect(s.jobs.map((j) => [j.name, j.dependsOn])).toEqual([
        ["deploy", []],
        ["gate", ["deploy"]],
      ]);
    }
    const withPool = [tenants[0], { ...tenants[1], entraConnectPool: "fabrikam-sync" }];
    const on = compilePipeline(pipeline, { rootDir: root, parameters: { tenants: withPool, initialSync: true } });
    const byStack = (name: string) => on.stages.find((s) => s.name === name)?.jobs ?? [];
    for (const [stageName, stack, pool] of [
      ["deploy_contoso", "contoso", "syncgap-entra-connect"],
      ["deploy_fabrikam_eu", "fabrikam-eu", "fabrikam-sync"],
    ]) {
      const jobs = byStack(stageName as string);
      expect(jobs.map((j) => [j.name, j.dependsOn])).toEqual([
        ["deploy", []],
        ["initial_sync", ["deploy"]],
        ["gate", ["deploy", "initial_sync"]],
      ]);
      const sync = jobs[1];
      expect(sync?.kind).toBe("job");
      expect(sync?.pool).toEqual({
        name: pool,
        demands: ["Agent.OS -equals Windows_NT", `SYNCGAP_ENTRA_CONNECT -equals ${stack}`],
      });
      const ps = sync?.steps.find((x) => x.task === "PowerShell@2");
      const inputs = ps?.inputs as Record<string, unknown>;
      expect(inputs.targetType).toBe("inline");
      expect(inputs.pwsh).toBe(false);
      expect(String(inputs.script)).toMatch(/^\$started = Start-ADSyncSyncCycle -PolicyType Initial$/m);
      // No checkout and no tenant step: the Entra Connect server runs the one cmdlet.
      expect(sync?.steps.map((x) => x.task ?? `checkout ${x.checkout}`)).toEqual(["checkout none", "PowerShell@2"]);
    }
    expect(() => compilePipeline(pipeline, { rootDir: root, parameters: { initialSync: "yes" } })).toThrow(
      /initialSync must be a boolean/,
    );
  });
});
