/**
 * The local runner on small fixture pipelines: echo steps, a template with parameters, an each loop, variables and
 * secrets, a failing step, conditions, and each task it emulates, including the failures it must report loudly.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { issues, type RunOptions, type RunRecord, runPipeline } from "../../tools/pipelines-runner/run";
import { PipelineSchema } from "../../tools/pipelines-runner/schema";

const fixtures = path.join(__dirname, "fixtures");
let schema: PipelineSchema;
beforeAll(() => {
  schema = new PipelineSchema();
});

const quiet = { log: () => {} };
const tinyGroups = { tiny: { variables: { "tiny.plain": "p" }, secrets: { "tiny.secret": "s3cr3t-value" } } };

function run(file: string, options: Partial<RunOptions> = {}): Promise<RunRecord> {
  return runPipeline({ pipeline: path.join(fixtures, file), schema, ...quiet, ...options });
}

const stepsOf = (r: RunRecord, stage: string, job: string) =>
  r.stages.find((s) => s.name === stage)?.jobs.find((j) => j.name === job)?.steps ?? [];

describe("local runner: a tiny pipeline", () => {
  let pr: RunRecord;
  beforeAll(async () => {
    pr = await run("tiny/azure-pipelines.yml", {
      reason: "PullRequest",
      pullRequestId: "42",
      variableGroups: tinyGroups,
    });
  });

  it("runs the steps in order, with template parameters and the each loop expanded", () => {
    expect(pr.result).toBe("Succeeded");
    const greet = stepsOf(pr, "first", "greet");
    expect(greet.map((s) => s.displayName)).toEqual([
      "Echo hello world",
      "Echo bonjour world",
      "Variables and secrets",
      "Variable from an earlier step",
    ]);
    expect(greet[0]?.output).toContain("hello world");
  });

  it("expands $(var) macros (nested, predefined), exports non-secret variables and leaves unknown macros as text", () => {
    const out = stepsOf(pr, "first", "greet")[2]?.output ?? "";
    expect(out).toContain("nested=world-PullRequest env=world-PullRequest");
    expect(out).toContain("unknown=$(no.such.variable)");
    expect(stepsOf(pr, "first", "second")[0]?.output).toContain("second job, pull request 42");
  });

  it("maps secrets only where a step asks, and masks them in the log", () => {
    const out = stepsOf(pr, "first", "greet")[2]?.output ?? "";
    expect(out).toContain("secret-in-env=*** secret-auto=unset");
    expect(out).toContain("the secret is ***");
    expect(pr.log).not.toContain("s3cr3t-value");
  });

  it("collects logging commands and applies task.setvariable for later steps", () => {
    expect(issues(pr, "warning").map((c) => c.message)).toEqual(["a warning"]);
    expect(stepsOf(pr, "first", "greet")[3]?.output).toContain("fromStep=set-by-step env=set-by-step");
  });

  it("skips a stage whose condition is not met, and a step whose condition is failed() when nothing failed", () => {
    expect(pr.stages.find((s) => s.name === "onlyOnSchedule")?.result).toBe("Skipped");
    expect(stepsOf(pr, "first", "second").map((s) => s.result)).toEqual(["Succeeded", "Skipped", "Succeeded"]);
  });

  it("fails a job on a failing step, runs failed() steps after it and skips the rest", async () => {
    const r = await run("tiny/azure-pipelines.yml", {
      reason: "Schedule",
      parameters: { failAt: "second" },
      variableGroups: tinyGroups,
    });
    expect(r.result).toBe("Failed");
    const second = stepsOf(r, "first", "second");
    expect(second.map((s) => [s.displayName, s.result, s.exitCode])).toEqual([
      ["Maybe fail", "Failed", 3],
      ["Only on failure", "Succeeded", 0],
      ["Skipped after failure", "Skipped", undefined],
    ]);
    expect(issues(r, "error").map((c) => c.message)).toEqual(["failing on purpose"]);
    expect(r.stages.find((s) => s.name === "onlyOnSchedule")?.result).toBe("Succeeded");
  });

  it("refuses a pipeline that names a variable group it was not given", async () => {
    await expect(run("tiny/azure-pipelines.yml")).rejects.toThrow(/variable group tiny could not be found/);
  });

  it("runs only the selected jobs and says which it left out", async () => {
    const r = await run("tiny/azure-pipelines.yml", {
      variableGroups: tinyGroups,
      jobFilter: (_stage, job) => job !== "second",
    });
    const second = r.stages[0]?.jobs.find((j) => j.name === "second");
    expect(second?.result).toBe("Skipped");
    expect(second?.reason).toBe("not selected");
  });
});

describe("local runner: emulated tasks", () => {
  const connections = {
    "fixture-connection": {
      id: "5f0c3b4a-2e1d-4c6b-9a8f-7e6d5c4b3a29",
      tenantId: "tenant-guid",
      servicePrincipalId: "client-guid",
      idToken: "header.payload.signature",
    },
  };
  const runTasks = (scenario: string, extra: Partial<RunOptions> = {}) =>
    run("tasks/azure-pipelines.yml", { parameters: { scenario }, serviceConnections: connections, ...extra });

  it("Cache@2 misses, saves after a successful job, and hits on the next run", async () => {
    const cacheStore = mkdtempSync(path.join(tmpdir(), "syncgap-cache-store-"));
    const first = await runTasks("ok", { cacheStore });
    expect(first.result).toBe("Succeeded");
    expect(stepsOf(first, "__default", "Job")[1]?.output).toContain("cache restored: false");
    const second = await runTasks("ok", { cacheStore });
    expect(stepsOf(second, "__default", "Job")[0]?.output).toMatch(/key fixture\|Linux\|.+ → hit/);
    expect(stepsOf(second, "__default", "Job")[1]?.output).toContain("cache restored: true");
  });

  it("task.prependpath reaches the next step's PATH; task.uploadsummary is collected", async () => {
    const r = await runTasks("ok");
    expect(stepsOf(r, "__default", "Job")[2]?.output).toContain("tool-from-prepended-path");
    expect(r.summaries.map((s) => s.markdown)).toEqual(["# Summary\n"]);
  });

  it("PublishTestResults@2 parses the JUnit file and counts tests, failures and skips", async () => {
    const r = await runTasks("ok");
    expect(r.testRuns).toHaveLength(1);
    expect(r.testRuns[0]).toMatchObject({ title: "fixture tests", total: 3, failed: 1, errors: 0, skipped: 1 });
  });

  it("PublishTestResults@2 fails on a JUnit file that does not parse (failTaskOnFailureToPublishResults)", async () => {
    const r = await runTasks("badJUnit");
    const publish = stepsOf(r, "__default", "Job").find((s) => s.displayName === "Publish JUnit");
    expect(publish?.result).toBe("Failed");
    expect(publish?.output).toMatch(/Failed to read .*results\.xml: not well-formed XML/);
    // The artifact is still published (condition succeededOrFailed()), the last step is not run.
    expect(r.artifacts.map((a) => a.name)).toEqual(["fixture-reports"]);
    expect(stepsOf(r, "__default", "Job").at(-1)?.result).toBe("Skipped");
  });

  it("PublishPipelineArtifact@1 copies the folder into the run's artifacts", async () => {
    const r = await runTasks("ok");
    const a = r.artifacts[0];
    expect(a?.name).toBe("fixture-reports");
    expect(a?.files.sort()).toEqual(["results.xml", "summary.md"]);
    expect(existsSync(path.join(r.artifactsDir, "fixture-reports", "results.xml"))).toBe(true);
  });

  it("AzureCLI@2 exports the service connection's identity and passes the arguments; the idToken is masked", async () => {
    const r = await runTasks("ok");
    const out = stepsOf(r, "__default", "Job").find(
      (s) => s.displayName === "Script with the service connection",
    )?.output;
    expect(out).toContain("client=client-guid tenant=tenant-guid sc=5f0c3b4a-2e1d-4c6b-9a8f-7e6d5c4b3a29");
    expect(out).toContain("spn=client-guid tenantId=tenant-guid token=*** args=first,second arg");
    expect(r.log).not.toContain("header.payload.signature");
  });

  it("AzureCLI@2 with a service connection the runner was not given fails the step", async () => {
    const r = await runTasks("unknownConnection");
    const step = stepsOf(r, "__default", "Job").find((s) => s.displayName === "Script with the service connection");
    expect(step?.result).toBe("Failed");
    expect(step?.output).toContain("references service connection no-such-connection which could not be found");
  });

  it("task.complete result=Failed fails a step that exits 0, and the logissue is reported", async () => {
    const r = await runTasks("completeFailed");
    const step = stepsOf(r, "__default", "Job").find((s) => s.displayName === "Fail with a logging command and exit 0");
    expect(step?.exitCode).toBe(0);
    expect(step?.result).toBe("Failed");
    expect(r.result).toBe("Failed");
    expect(issues(r, "error").map((c) => c.message)).toEqual([
      "Drift: someFeature is false in the tenant, declared true",
    ]);
    expect(r.commands.some((c) => c.command === "task.complete" && c.properties.result === "Failed")).toBe(true);
  });

  it("an unknown task fails loudly (and the schema rejects it before a run)", async () => {
    await expect(run("unknown-task.yml")).rejects.toThrow(/does not match the Azure Pipelines schema/);
    await expect(run("unknown-task.yml", { validate: false })).rejects.toThrow(
      /the local runner does not know the task NoSuchTask@9/,
    );
  });

  it("Pulumi@1 downloads nothing: without a pulumi on the agent's PATH it fails the step and says why", async () => {
    const r = await run("pulumi-task.yml", { agentEnv: { PATH: "/usr/bin:/bin", HOME: tmpdir() } });
    const task = stepsOf(r, "__default", "Job")[0];
    expect(task?.result).toBe("Failed");
    expect(task?.output).toContain("no pulumi on the agent's PATH. The local runner downloads nothing");
  });

  it("writes the summary copies where it says", async () => {
    const r = await runTasks("ok");
    expect(readFileSync(r.summaries[0]?.path as string, "utf8")).toBe("# Summary\n");
  });
});

describe("local runner: self-hosted pools and PowerShell@2", () => {
  const windows = (role: string, ran: string[]) => ({
    name: `server-${role}`,
    capabilities: { "Agent.OS": "Windows_NT", SERVER_ROLE: role },
    powershell: async (script: string, opts: { log: (l: string) => void }) => {
      ran.push(script);
      opts.log("hello from PowerShell");
      return 0;
    },
  });

  it("runs a job naming a pool on the given agent that meets its demands, and PowerShell@2 through that agent", async () => {
    const ran: string[] = [];
    const r = await run("self-hosted/azure-pipelines.yml", {
      agents: { servers: [windows("build", []), windows("sync", ran)] },
    });
    const job = r.stages[0]?.jobs.find((j) => j.name === "on_server");
    expect(job?.result).toBe("Succeeded");
    expect(r.log).toContain("Job __default.on_server: agent server-sync of pool servers");
    expect(ran).toEqual(['Write-Host "hello from PowerShell"']);
    // A PowerShell@2 step in a job without such an agent fails the step, loudly, instead of pretending.
    const hosted = stepsOf(r, "__default", "powershell_on_hosted")[0];
    expect(hosted?.result).toBe("Failed");
    expect(hosted?.output).toContain("PowerShell@2: this job's agent cannot run PowerShell");
  });

  it("fails a job whose pool has no agent meeting the demands, naming them", async () => {
    const r = await run("self-hosted/azure-pipelines.yml", { agents: { servers: [windows("build", [])] } });
    const job = r.stages[0]?.jobs.find((j) => j.name === "on_server");
    expect(job?.result).toBe("Failed");
    expect(job?.steps).toEqual([]);
    expect(job?.reason).toBe(
      "No agent found in pool servers which satisfies the demands: Agent.OS -equals Windows_NT, SERVER_ROLE -equals sync",
    );
    const none = await run("self-hosted/azure-pipelines.yml");
    expect(none.stages[0]?.jobs.find((j) => j.name === "on_server")?.result).toBe("Failed");
  });
});
