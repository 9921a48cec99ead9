/**
 * A local Azure Pipelines runner, small enough to trust: it reads the pipeline YAML (no second copy of the
 * steps), compiles it as Azure Pipelines would (templates.ts), and runs the stages, jobs and steps that the
 * trigger selects, in order, the way a Microsoft-hosted Linux agent would — a fresh workspace per job, the
 * predefined variables and TF_BUILD=True in the environment, `$(var)` macros, secret masking, logging
 * commands — with script steps run by bash and the tasks in tasks.ts emulated. What it does not do is listed in
 * docs/pipelines.md ("What the local runner does not do").
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { ExpressionError, evaluateCondition, type StatusFunctions, toText, type Value } from "./expressions";
import { type LoggingCommand, maskSecrets, parseLoggingCommand } from "./logging";
import { PipelineSchema, type SchemaKind } from "./schema";
import {
  type Artifact,
  type PowerShellHost,
  type ServiceConnection,
  TASKS,
  type TaskHost,
  TaskInputError,
  type TestRun,
} from "./tasks";
import {
  type CompiledPipeline,
  compilePipeline,
  type Job,
  type Stage,
  type Step,
  type VariableDecl,
} from "./templates";
import { envName, Variables } from "./variables";

export type BuildReason = "PullRequest" | "IndividualCI" | "BatchedCI" | "Schedule" | "Manual";
export type Result = "Succeeded" | "SucceededWithIssues" | "Failed" | "Skipped";

export interface VariableGroup {
  variables?: Record<string, string>;
  secrets?: Record<string, string>;
}

/**
 * A self-hosted agent of a named pool (e.g. the one on an Entra Connect server). A job whose `pool:` names a pool
 * runs only on an agent given here whose capabilities meet the pool's demands; otherwise it fails, as it would
 * never find an agent in Azure Pipelines.
 */
export interface LocalAgent {
  name: string;
  /** What the agent reports: system capabilities (Agent.OS, …) and its environment variables. */
  capabilities: Record<string, string>;
  /** How it runs PowerShell@2 scripts. */
  powershell?: PowerShellHost;
}

export interface RunOptions {
  /** The pipeline file, e.g. <repo>/azure-pipelines.yml. Templates resolve relative to it. */
  pipeline: string;
  /** Build.SourcesDirectory: the checked-out repository the steps run in. Default: the pipeline's folder. */
  sourcesDir?: string;
  /** The agent's work folder (workspaces, temp, artifacts, cache store). Default: a new temporary folder. */
  workDir?: string;
  reason?: BuildReason;
  /** Build.SourceBranch. Default refs/heads/main (for a pull request: refs/pull/<id>/merge). */
  sourceBranch?: string;
  pullRequestId?: string;
  /** The pull request's target branch. Default refs/heads/main. */
  targetBranch?: string;
  /** Values for the pipeline's runtime parameters. */
  parameters?: Record<string, Value>;
  /** Variable groups by name (a pipeline that names a missing group fails, as in Azure Pipelines). */
  variableGroups?: Record<string, VariableGroup>;
  /** Service connections by name, for AzureCLI@2 and Pulumi@1. */
  serviceConnections?: Record<string, ServiceConnection>;
  /** Self-hosted agents by pool name, for jobs that name a pool. */
  agents?: Record<string, LocalAgent[]>;
  /** Decides an Environment's approval for a deployment job. Default: approve, and say so in the log. */
  approve?: (environment: string, job: string) => boolean | Promise<boolean>;
  /** Only these stages run; the others are reported as skipped ("not selected"). */
  stages?: string[];
  /** Only jobs this accepts run; the others are reported as skipped ("not selected"). */
  jobFilter?: (stage: string, job: string) => boolean;
  /** Called before a job starts (e.g. to let a sync cycle run between deploy and gate in a test). */
  onJobStart?: (stage: string, job: string) => void | Promise<void>;
  /** The agent process's own environment. Default: PATH, HOME, USER, LANG, SHELL, TMPDIR of this process. */
  agentEnv?: Record<string, string | undefined>;
  /** Cache@2's store. Default <workDir>/_cache. */
  cacheStore?: string;
  /** Where the live log goes. Default process.stdout. */
  log?: (line: string) => void;
  /** Validate each YAML file against the Azure Pipelines schema before running (default true). */
  validate?: boolean;
  schema?: PipelineSchema;
}

export interface StepRecord {
  name: string;
  displayName: string;
  result: Result;
  exitCode?: number;
  output: string;
}

export interface JobRecord {
  stage: string;
  name: string;
  displayName: string;
  environment?: string;
  result: Result;
  /** Why a job was skipped or failed before its steps. */
  reason?: string;
  steps: StepRecord[];
}

export interface StageRecord {
  name: string;
  displayName: string;
  result: Result;
  reason?: string;
  jobs: JobRecord[];
}

export interface RecordedCommand extends LoggingCommand {
  stage: string;
  job: string;
  step: string;
}

export interface RunRecord {
  result: Result;
  pipeline: CompiledPipeline;
  stages: StageRecord[];
  /** Every logging command the steps printed, in order. */
  commands: RecordedCommand[];
  summaries: { stage: string; job: string; path: string; markdown: string }[];
  artifacts: Artifact[];
  testRuns: TestRun[];
  workDir: string;
  artifactsDir: string;
  /** The whole log, secrets masked. */
  log: string;
}

const STATUS_ORDER: Result[] = ["Succeeded", "SucceededWithIssues", "Failed"];
const worst = (a: Result, b: Result): Result => (STATUS_ORDER.indexOf(a) >= STATUS_ORDER.indexOf(b) ? a : b);
const ok = (r: Result) => r === "Succeeded" || r === "SucceededWithIssues";

function defaultAgentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "USER", "LANG", "SHELL", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function variablesObject(vars: Variables): Value {
  const out: Record<string, Value> = {};
  for (const e of vars.all()) out[e.name] = vars.get(e.name) ?? "";
  return out;
}

function sourceVersion(dir: string): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "0000000000000000000000000000000000000000";
  }
}

class Run {
  readonly workDir: string;
  readonly artifactsDir: string;
  readonly cacheStore: string;
  readonly record: RunRecord;
  private readonly logLines: string[] = [];
  private readonly secrets = new Set<string>();
  private readonly schema?: PipelineSchema;
  private readonly sourcesDir: string;

  constructor(private readonly options: RunOptions) {
    this.sourcesDir = path.resolve(options.sourcesDir ?? path.dirname(options.pipeline));
    this.workDir = options.workDir ?? mkdtempSync(path.join(tmpdir(), "syncgap-agent-"));
    this.artifactsDir = path.join(this.workDir, "_artifacts");
    this.cacheStore = options.cacheStore ?? path.join(this.workDir, "_cache");
    for (const d of [this.artifactsDir, this.cacheStore, path.join(this.workDir, "_summaries")]) {
      mkdirSync(d, { recursive: true });
    }
    if (options.validate !== false) this.schema = options.schema ?? new PipelineSchema();
    this.record = {
      result: "Succeeded",
      pipeline: undefined as unknown as CompiledPipeline,
      stages: [],
      commands: [],
      summaries: [],
      artifacts: [],
      testRuns: [],
      workDir: this.workDir,
      artifactsDir: this.artifactsDir,
      log: "",
    };
  }

  log(line: string): void {
    const masked = maskSecrets(line, this.secrets);
    this.logLines.push(masked);
    (this.options.log ?? ((l: string) => process.stdout.write(`${l}\n`)))(masked);
  }

  private validateFile(file: string, kind: SchemaKind, doc: Value): void {
    if (!this.schema) return;
    const r = this.schema.validate(doc, kind);
    if (!r.valid) {
      throw new Error(`${file} does not match the Azure Pipelines schema:\n  ${r.errors.join("\n  ")}`);
    }
  }

  private predefined(): Variables {
    const o = this.options;
    const reason = o.reason ?? "Manual";
    const pr = o.pullRequestId ?? (reason === "PullRequest" ? "1" : undefined);
    const branch = o.sourceBranch ?? (reason === "PullRequest" ? `refs/pull/${pr}/merge` : "refs/heads/main");
    const v = new Variables();
    const set = (name: string, value: string) => v.set(name, value, { readonly: true });
    set("Agent.OS", "Linux");
    set("Agent.OSArchitecture", "X64");
    set("Agent.Name", "syncgap-local-runner");
    set("Agent.MachineName", "localhost");
    set("Agent.WorkFolder", this.workDir);
    set("Agent.ToolsDirectory", path.join(this.workDir, "_tool"));
    set("Build.SourcesDirectory", this.sourcesDir);
    set("Build.Repository.LocalPath", this.sourcesDir);
    set("Build.Repository.Name", path.basename(this.sourcesDir));
    set("Build.Repository.Provider", "TfsGit");
    set("Build.Reason", reason);
    set("Build.SourceBranch", branch);
    set("Build.SourceBranchName", branch.split("/").pop() as string);
    set("Build.SourceVersion", sourceVersion(this.sourcesDir));
    set("Build.BuildId", "1");
    set("Build.BuildNumber", "local.1");
    set("Build.DefinitionName", "syncgap");
    set("System.DefaultWorkingDirectory", this.sourcesDir);
    set("System.TeamProject", "syncgap");
    set("System.CollectionUri", "https://dev.azure.com/local-runner/");
    set("System.TeamFoundationCollectionUri", "https://dev.azure.com/local-runner/");
    set("System.HostType", "build");
    set("System.Debug", "false");
    set("System.PullRequest.TargetBranch", o.targetBranch ?? "refs/heads/main");
    if (reason === "PullRequest") {
      set("System.PullRequest.PullRequestId", pr as string);
      set("System.PullRequest.SourceBranch", "refs/heads/topic");
    }
    return v;
  }

  private declare(vars: Variables, decls: VariableDecl[], where: string): void {
    for (const d of decls) {
      if (d.kind === "group") {
        const group = this.options.variableGroups?.[d.group];
        if (!group) {
          throw new Error(
            `${where}: variable group ${d.group} could not be found (give the local runner a variableGroups.${d.group})`,
          );
        }
        for (const [k, val] of Object.entries(group.variables ?? {})) vars.set(k, val);
        for (const [k, val] of Object.entries(group.secrets ?? {})) {
          vars.set(k, val, { secret: true });
          this.secrets.add(val);
        }
      } else {
        vars.set(d.name, d.value, { readonly: d.readonly });
      }
    }
  }

  async run(): Promise<RunRecord> {
    const o = this.options;
    const compiled = compilePipeline(o.pipeline, {
      rootDir: this.sourcesDir,
      parameters: o.parameters,
      onFile: (file, kind, doc) => this.validateFile(file, kind, doc),
    });
    this.record.pipeline = compiled;
    const pipelineVars = this.predefined().child();
    this.declare(pipelineVars, compiled.variables, compiled.file);
    this.log(`##[section]Pipeline ${compiled.file} (reason ${pipelineVars.get("Build.Reason")})`);

    const done = new Map<string, Result>();
    for (let i = 0; i < compiled.stages.length; i++) {
      const stage = compiled.stages[i] as Stage;
      const deps = stage.dependsOn ?? (i > 0 ? [(compiled.stages[i - 1] as Stage).name] : []);
      const rec: StageRecord = {
        name: stage.name,
        displayName: stage.displayName ?? stage.name,
        result: "Skipped",
        jobs: [],
      };
      this.record.stages.push(rec);
      const stageVars = pipelineVars.child();
      this.declare(stageVars, stage.variables, `stage ${stage.name}`);
      stageVars.set("System.StageName", stage.name);
      stageVars.set("System.StageDisplayName", rec.displayName);
      const depResults = deps.map((d) => done.get(d) ?? "Skipped");
      let run: boolean;
      try {
        run = evaluateCondition(stage.condition ?? "succeeded()", {
          lookup: (n) => (n === "variables" ? variablesObject(stageVars) : undefined),
          status: dependencyStatus(depResults),
        });
      } catch (e) {
        throw new Error(`stage ${stage.name}: condition ${stage.condition}: ${(e as Error).message}`);
      }
      if (o.stages && !o.stages.includes(stage.name)) {
        rec.reason = "not selected";
      } else if (!run) {
        rec.reason = `condition not met: ${stage.condition ?? "succeeded()"}`;
      }
      if (rec.reason) {
        this.log(`##[section]Stage ${stage.name}: skipped (${rec.reason})`);
        for (const j of stage.jobs) {
          rec.jobs.push({
            stage: stage.name,
            name: j.name,
            displayName: j.displayName ?? j.name,
            result: "Skipped",
            reason: rec.reason,
            steps: [],
          });
        }
        done.set(stage.name, "Skipped");
        continue;
      }
      this.log(`##[section]Stage ${stage.name}`);
      rec.result = await this.runStage(stage, stageVars, rec);
      done.set(stage.name, rec.result);
    }
    const ran = this.record.stages.filter((s) => s.result !== "Skipped");
    this.record.result = ran.length ? ran.map((s) => s.result).reduce(worst, "Succeeded") : "Skipped";
    this.log(`##[section]Finishing: ${this.record.result}`);
    this.record.log = this.logLines.join("\n");
    return this.record;
  }

  private async runStage(stage: Stage, stageVars: Variables, rec: StageRecord): Promise<Result> {
    const done = new Map<string, Result>();
    const pending = [...stage.jobs];
    for (const j of pending) {
      for (const d of j.dependsOn) {
        if (!stage.jobs.some((x) => x.name.toLowerCase() === d.toLowerCase())) {
          throw new Error(`job ${stage.name}.${j.name} depends on ${d}, which is not a job of this stage`);
        }
      }
    }
    // Jobs run one at a time, each after the jobs it depends on, otherwise in the order they are declared.
    while (pending.length) {
      const idx = pending.findIndex((j) => j.dependsOn.every((d) => done.has(d.toLowerCase())));
      if (idx < 0) throw new Error(`stage ${stage.name}: the jobs' dependsOn form a cycle`);
      const job = pending.splice(idx, 1)[0] as Job;
      const jr = await this.runJob(
        stage,
        job,
        stageVars,
        job.dependsOn.map((d) => done.get(d.toLowerCase()) as Result),
      );
      rec.jobs.push(jr);
      done.set(job.name.toLowerCase(), jr.result);
    }
    const ran = rec.jobs.filter((j) => j.result !== "Skipped");
    return ran.length ? ran.map((j) => j.result).reduce(worst, "Succeeded") : "Skipped";
  }

  private async runJob(stage: Stage, job: Job, stageVars: Variables, depResults: Result[]): Promise<JobRecord> {
    const o = this.options;
    const displayName = job.displayName ?? job.name;
    const rec: JobRecord = {
      stage: stage.name,
      name: job.name,
      displayName,
      environment: job.environment,
      result: "Skipped",
      steps: [],
    };
    const skip = (reason: string) => {
      rec.reason = reason;
      this.log(`##[section]Job ${stage.name}.${job.name}: skipped (${reason})`);
      return rec;
    };
    if (o.jobFilter && !o.jobFilter(stage.name, job.name)) return skip("not selected");
    const vars = stageVars.child();
    this.declare(vars, job.variables, `job ${stage.name}.${job.name}`);
    const condition = job.condition ?? "succeeded()";
    let run: boolean;
    try {
      run = evaluateCondition(condition, {
        lookup: (n) => (n === "variables" ? variablesObject(vars) : undefined),
        status: dependencyStatus(depResults),
      });
    } catch (e) {
      throw new Error(`job ${stage.name}.${job.name}: condition ${condition}: ${(e as Error).message}`);
    }
    if (!run) return skip(`condition not met: ${condition}`);
    let agent: LocalAgent | undefined;
    if (job.pool?.name) {
      const pool = job.pool.name;
      agent = (o.agents?.[pool] ?? []).find((a) => job.pool?.demands.every((d) => meetsDemand(a, d)));
      if (!agent) {
        rec.result = "Failed";
        rec.reason = `No agent found in pool ${pool} which satisfies the demands: ${job.pool.demands.join(", ") || "(none)"}`;
        this.log(`##[error]Job ${stage.name}.${job.name}: ${rec.reason}`);
        return rec;
      }
      this.log(`##[section]Job ${stage.name}.${job.name}: agent ${agent.name} of pool ${pool}`);
    }
    if (job.kind === "deployment") {
      const approved = o.approve ? await o.approve(job.environment as string, job.name) : true;
      this.log(
        `##[section]Environment ${job.environment}: approval ${approved ? "granted" : "rejected"}` +
          (o.approve ? "" : " (the local runner approves every Environment unless told otherwise)"),
      );
      if (!approved) {
        rec.result = "Failed";
        rec.reason = `approval for environment ${job.environment} rejected`;
        return rec;
      }
    }
    await o.onJobStart?.(stage.name, job.name);

    // A fresh workspace per job, as on a Microsoft-hosted agent.
    const workspace = path.join(this.workDir, "w");
    const temp = path.join(this.workDir, "_temp");
    for (const d of [workspace, temp]) rmSync(d, { recursive: true, force: true });
    for (const d of ["a", "b", "TestResults"]) mkdirSync(path.join(workspace, d), { recursive: true });
    mkdirSync(temp, { recursive: true });
    const set = (n: string, v: string) => vars.set(n, v);
    set("Pipeline.Workspace", workspace);
    set("Agent.BuildDirectory", workspace);
    set("Agent.TempDirectory", temp);
    set("Build.ArtifactStagingDirectory", path.join(workspace, "a"));
    set("Build.StagingDirectory", path.join(workspace, "a"));
    set("Build.BinariesDirectory", path.join(workspace, "b"));
    set("Common.TestResultsDirectory", path.join(workspace, "TestResults"));
    set("System.ArtifactsDirectory", path.join(workspace, "a"));
    set("Agent.JobName", displayName);
    set("System.JobName", job.name);
    set("System.PhaseName", job.name);
    set("System.JobDisplayName", displayName);
    set("System.JobId", randomUUID());
    if (job.environment) set("Environment.Name", job.environment);

    this.log(`##[section]Job ${stage.name}.${job.name} (${displayName})`);
    const state = { result: "Succeeded" as Result, prepend: [] as string[], postJob: [] as (() => void)[] };
    for (const step of job.steps) {
      set("Agent.JobStatus", state.result);
      const sr = await this.runStep(stage, job, step, vars, state, agent);
      rec.steps.push(sr);
      if (sr.result === "Failed") {
        state.result =
          step.continueOnError === true || /^true$/i.test(toText((step.continueOnError ?? "") as Value))
            ? worst(state.result, "SucceededWithIssues")
            : "Failed";
      } else if (sr.result === "SucceededWithIssues") {
        state.result = worst(state.result, "SucceededWithIssues");
      }
    }
    if (ok(state.result)) for (const fn of state.postJob) fn();
    rec.result = state.result === "Failed" && job.continueOnError ? "SucceededWithIssues" : state.result;
    this.log(`##[section]Job ${stage.name}.${job.name}: ${rec.result}`);
    return rec;
  }

  private async runStep(
    stage: Stage,
    job: Job,
    step: Step,
    vars: Variables,
    state: { result: Result; prepend: string[]; postJob: (() => void)[] },
    agent?: LocalAgent,
  ): Promise<StepRecord> {
    const kind = ["script", "bash", "task", "checkout"].find((k) => k in step);
    const name = toText((step.name ?? kind ?? "step") as Value);
    const displayName = vars.expand(
      toText(
        (step.displayName ??
          (kind === "task"
            ? step.task
            : kind === "checkout"
              ? `Checkout ${toText(step.checkout as Value)}`
              : undefined) ??
          toText((step[kind ?? ""] ?? "") as Value).split("\n")[0]) as Value,
      ),
    );
    const rec: StepRecord = { name, displayName, result: "Skipped", output: "" };
    if (step.enabled === false || /^false$/i.test(toText((step.enabled ?? "") as Value))) return rec;
    const condition = step.condition === undefined ? "succeeded()" : toText(step.condition as Value);
    const failed = state.result === "Failed";
    let run: boolean;
    try {
      run = evaluateCondition(condition, {
        lookup: (n) => (n === "variables" ? variablesObject(vars) : undefined),
        status: {
          succeeded: () => !failed,
          failed: () => failed,
          succeededOrFailed: () => true,
          always: () => true,
          canceled: () => false,
        },
      });
    } catch (e) {
      if (e instanceof ExpressionError) throw new Error(`step ${displayName}: condition ${condition}: ${e.message}`);
      throw e;
    }
    if (!run) {
      this.log(`##[section]Skipping: ${displayName} (condition not met: ${condition})`);
      return rec;
    }
    this.log(`##[section]Starting: ${displayName}`);
    const outputStart = this.logLines.length;
    let completeResult: Result | undefined;
    const pathPrefix = () => [...state.prepend].reverse().join(":");
    const baseEnv = (): Record<string, string> => {
      const agent = (this.options.agentEnv ?? defaultAgentEnv()) as Record<string, string | undefined>;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(agent)) if (v !== undefined) env[k] = v;
      Object.assign(env, vars.environment(), { TF_BUILD: "True" });
      const prefix = pathPrefix();
      if (prefix) env.PATH = `${prefix}:${env.PATH ?? ""}`;
      for (const [k, v] of Object.entries((step.env ?? {}) as Record<string, Value>)) env[k] = vars.expand(toText(v));
      return env;
    };
    const onCommand = (cmd: LoggingCommand, cwd: string) => {
      this.record.commands.push({ ...cmd, stage: stage.name, job: job.name, step: displayName });
      const p = cmd.properties;
      switch (cmd.command) {
        case "task.complete": {
          const r = (p.result ?? "Succeeded").toLowerCase();
          completeResult =
            r === "failed" ? "Failed" : r === "succeededwithissues" ? "SucceededWithIssues" : "Succeeded";
          break;
        }
        case "task.setvariable": {
          if (!p.variable) break;
          const secret = /^true$/i.test(p.issecret ?? "");
          if (secret) this.secrets.add(cmd.message);
          vars.set(p.variable, cmd.message, { secret, readonly: /^true$/i.test(p.isreadonly ?? "") });
          if (/^true$/i.test(p.isoutput ?? "") && step.name) {
            vars.set(`${toText(step.name as Value)}.${p.variable}`, cmd.message, { secret });
          }
          break;
        }
        case "task.prependpath":
          state.prepend.push(cmd.message);
          break;
        case "task.uploadsummary": {
          const file = path.resolve(cwd, cmd.message);
          if (!existsSync(file)) {
            this.log(`##[warning]task.uploadsummary: ${file} does not exist`);
            break;
          }
          const markdown = maskSecrets(readFileSync(file, "utf8"), this.secrets);
          const copy = path.join(
            this.workDir,
            "_summaries",
            `${stage.name}.${job.name}.${this.record.summaries.length}.md`,
          );
          writeFileSync(copy, markdown);
          this.record.summaries.push({ stage: stage.name, job: job.name, path: copy, markdown });
          break;
        }
        case "task.setsecret": // registered before the line was logged (execWithStderr)
        case "task.logissue":
        case "task.setprogress":
        case "task.debug":
          break;
        default:
          this.log(`##[warning]the local runner ignores the logging command ${cmd.command}`);
      }
    };
    const exec = (file: string, args: string[], opts: { env: Record<string, string>; cwd: string }) =>
      this.exec(file, args, opts, onCommand, step);
    const defaultWd = vars.get("System.DefaultWorkingDirectory") as string;
    const temp = vars.get("Agent.TempDirectory") as string;
    let result: Result;
    try {
      if (kind === "checkout") {
        const what = toText(step.checkout as Value);
        if (what !== "self" && what !== "none")
          throw new Error(`checkout of ${what} is not supported by the local runner`);
        this.log(`The local runner uses the sources in ${this.sourcesDir} (checkout: ${what})`);
        result = "Succeeded";
      } else if (kind === "script" || kind === "bash") {
        const unknown = Object.keys(step).filter(
          (k) =>
            ![
              "script",
              "bash",
              "displayName",
              "name",
              "condition",
              "env",
              "workingDirectory",
              "failOnStderr",
              "continueOnError",
              "timeoutInMinutes",
              "enabled",
            ].includes(k),
        );
        if (unknown.length)
          throw new Error(`step ${displayName}: the local runner does not support ${unknown.join(", ")}`);
        const file = path.join(temp, `${randomUUID()}.sh`);
        writeFileSync(file, vars.expand(toText(step[kind] as Value)));
        const cwd = step.workingDirectory
          ? path.resolve(defaultWd, vars.expand(toText(step.workingDirectory as Value)))
          : defaultWd;
        const failOnStderr = /^true$/i.test(toText((step.failOnStderr ?? "") as Value));
        const { code, stderr } = await this.execWithStderr(
          "bash",
          ["--noprofile", "--norc", file],
          { env: baseEnv(), cwd },
          onCommand,
          step,
        );
        rec.exitCode = code;
        if (code !== 0) this.log(`##[error]Bash exited with code '${code}'.`);
        result = code === 0 && !(failOnStderr && stderr) ? "Succeeded" : "Failed";
      } else if (kind === "task") {
        const taskName = toText(step.task as Value);
        const impl = TASKS[taskName];
        if (!impl) throw new Error(`the local runner does not know the task ${taskName}`);
        const inputs: Record<string, string> = {};
        for (const [k, v] of Object.entries((step.inputs ?? {}) as Record<string, Value>))
          inputs[k] = vars.expand(toText(v));
        const host: TaskHost = {
          cwd: defaultWd,
          get env() {
            return baseEnv();
          },
          log: (l) => this.log(l),
          warn: (m) => this.log(`##[warning]${m}`),
          exec,
          writeTempScript: (content) => {
            const f = path.join(temp, `${randomUUID()}.sh`);
            writeFileSync(f, content);
            return f;
          },
          addSecret: (s) => this.secrets.add(s),
          setVariable: (n, v) => vars.set(n, v),
          prependPath: (d) => state.prepend.push(d),
          allVariablesAsEnv: () => {
            const env: Record<string, string> = {};
            for (const e of vars.all()) env[envName(e.name)] = vars.get(e.name) ?? "";
            return env;
          },
          serviceConnection: (n) => this.options.serviceConnections?.[n],
          artifactsDir: this.artifactsDir,
          cacheStore: this.cacheStore,
          defaultWorkingDirectory: defaultWd,
          onJobSucceeded: (fn) => state.postJob.push(fn),
          recordArtifact: (a) => this.record.artifacts.push(a),
          recordTestRun: (t) => this.record.testRuns.push(t),
          ...(agent?.powershell ? { powershell: agent.powershell } : {}),
        };
        result = await impl(host, inputs);
      } else {
        throw new Error(
          `step ${JSON.stringify(Object.keys(step))}: the local runner runs script, bash, task and checkout steps`,
        );
      }
    } catch (e) {
      if (e instanceof TaskInputError) {
        this.log(`##[error]${e.message}`);
        result = "Failed";
      } else {
        throw e;
      }
    }
    if (completeResult) result = result === "Failed" ? "Failed" : worst(result, completeResult);
    rec.result = result;
    rec.output = this.logLines.slice(outputStart).join("\n");
    this.log(`##[section]Finishing: ${displayName} (${result})`);
    return rec;
  }

  private async exec(
    file: string,
    args: string[],
    opts: { env: Record<string, string>; cwd: string },
    onCommand: (c: LoggingCommand, cwd: string) => void,
    step: Step,
  ): Promise<number> {
    return (await this.execWithStderr(file, args, opts, onCommand, step)).code;
  }

  private execWithStderr(
    file: string,
    args: string[],
    opts: { env: Record<string, string>; cwd: string },
    onCommand: (c: LoggingCommand, cwd: string) => void,
    step: Step,
  ): Promise<{ code: number; stderr: boolean }> {
    const minutes = Number(toText((step.timeoutInMinutes ?? "0") as Value)) || 0;
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stderr = false;
      let timedOut = false;
      const timer =
        minutes > 0
          ? setTimeout(() => {
              timedOut = true;
              this.log(`##[error]The step exceeded its timeout of ${minutes} minute(s) and was stopped.`);
              try {
                process.kill(-(child.pid as number), "SIGTERM");
              } catch {}
            }, minutes * 60_000)
          : undefined;
      const handle = (line: string) => {
        // ##vso[task.setsecret]value registers a secret; like the agent, mask it from this very line on.
        const raw = /##vso\[task\.setsecret\b/i.test(line) ? parseLoggingCommand(line) : undefined;
        if (raw?.command === "task.setsecret" && raw.message) this.secrets.add(raw.message);
        this.log(line);
        const cmd = parseLoggingCommand(maskSecrets(line, this.secrets));
        if (cmd) onCommand(cmd, opts.cwd);
      };
      const out = createInterface({ input: child.stdout });
      const err = createInterface({ input: child.stderr });
      out.on("line", handle);
      err.on("line", (l) => {
        stderr = true;
        handle(l);
      });
      let closed = 0;
      let exit: number | null = null;
      const finish = () => {
        if (closed === 3) {
          if (timer) clearTimeout(timer);
          resolve({ code: timedOut ? 124 : (exit ?? 1), stderr });
        }
      };
      out.on("close", () => {
        closed++;
        finish();
      });
      err.on("close", () => {
        closed++;
        finish();
      });
      child.on("error", (e) => {
        if (timer) clearTimeout(timer);
        reject(new Error(`cannot start ${file}: ${e.message}`));
      });
      child.on("close", (code, signal) => {
        exit = code ?? (signal ? 128 : 1);
        closed++;
        finish();
      });
    });
  }
}

/** A pool demand: `name` (the capability exists) or `name -equals value` (case-insensitive, as the agent compares). */
function meetsDemand(agent: LocalAgent, demand: string): boolean {
  const m = /^\s*(\S+)(?:\s+-equals\s+(.+?))?\s*$/i.exec(demand);
  if (!m) throw new Error(`pool demand "${demand}" is not "capability" or "capability -equals value"`);
  const key = Object.keys(agent.capabilities).find((k) => k.toLowerCase() === (m[1] as string).toLowerCase());
  if (key === undefined) return false;
  return m[2] === undefined || (agent.capabilities[key] as string).toLowerCase() === m[2].toLowerCase();
}

function dependencyStatus(results: Result[]): StatusFunctions {
  return {
    succeeded: () => results.every(ok),
    failed: () => results.some((r) => r === "Failed"),
    succeededOrFailed: () => true,
    always: () => true,
    canceled: () => false,
  };
}

/** Runs a pipeline locally; see RunOptions. Throws for a pipeline it cannot compile (as Azure Pipelines would). */
export async function runPipeline(options: RunOptions): Promise<RunRecord> {
  return new Run(options).run();
}

/** The `task.logissue` commands of a run, e.g. to assert on the errors a drift run reported. */
export function issues(record: RunRecord, type?: "error" | "warning"): RecordedCommand[] {
  return record.commands.filter((c) => c.command === "task.logissue" && (!type || c.properties.type === type));
}
