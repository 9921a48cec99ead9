/**
 * A local Azure Pipelines runner, small enough to trust: it reads the pipeline YAML (no second copy of the
 * steps), compiles it as Azure Pipelines would (templates.ts), and runs the stages, jobs and steps that the
 * trigger selects, in order, the way a Microsoft-hosted Linux agent would — a fresh workspace per job, the
 * predefined variables and TF_BUILD=True in the environment, `$(var)` macros, secret masking, logging
 * commands — with script steps run by bash and the tasks in tasks.ts emulated. What it does not do is listed in
 * docs/pipelines.md ("What the local runner does not do").
 *
 * This file walks stages → jobs → steps: conditions, dependsOn, each step by its kind, results. What the agent
 * sets up is agent.ts; a step's programs run through process.ts, and the logging commands they print act in
 * loggingCommands.ts; what a run is given and gives back is records.ts.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { meetsDemand, predefinedVariables, prepareJob, stepEnvironment } from "./agent";
import { ExpressionError, evaluateCondition, type StatusFunctions, toText, type Value } from "./expressions";
import { maskSecrets } from "./logging";
import { applyLoggingCommand, type CommandContext } from "./loggingCommands";
import { runProcess } from "./process";
import {
  type JobRecord,
  type LocalAgent,
  ok,
  type Result,
  type RunOptions,
  type RunRecord,
  type StageRecord,
  type StepRecord,
  worst,
} from "./records";
import { PipelineSchema, type SchemaKind } from "./schema";
import type { TaskHost } from "./taskHost";
import { TaskInputError } from "./taskInputs";
import { TASKS } from "./tasks";
import {
  type CompiledPipeline,
  compilePipeline,
  type Job,
  type Stage,
  type Step,
  type VariableDecl,
} from "./templates";
import { envName, type Variables } from "./variables";

// The runner's API is runPipeline with what it is given and gives back (records.ts).
export {
  type BuildReason,
  issues,
  type JobRecord,
  type LocalAgent,
  type RecordedCommand,
  type Result,
  type RunOptions,
  type RunRecord,
  type StageRecord,
  type StepRecord,
  type VariableGroup,
} from "./records";

function variablesObject(vars: Variables): Value {
  const out: Record<string, Value> = {};
  for (const e of vars.all()) out[e.name] = vars.get(e.name) ?? "";
  return out;
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
    const pipelineVars = predefinedVariables(o, this.workDir, this.sourcesDir).child();
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

    prepareJob(this.workDir, job, vars);
    this.log(`##[section]Job ${stage.name}.${job.name} (${displayName})`);
    const state = { result: "Succeeded" as Result, prepend: [] as string[], postJob: [] as (() => void)[] };
    for (const step of job.steps) {
      vars.set("Agent.JobStatus", state.result);
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
    const baseEnv = () => stepEnvironment(this.options.agentEnv, vars, state.prepend, step.env);
    const commands: CommandContext = {
      stage: stage.name,
      job: job.name,
      step: displayName,
      stepName: step.name ? name : undefined,
      vars,
      secrets: this.secrets,
      prepend: state.prepend,
      record: this.record,
      summariesDir: path.join(this.workDir, "_summaries"),
      log: (l) => this.log(l),
    };
    const exec = (file: string, args: string[], opts: { env: Record<string, string>; cwd: string }) =>
      runProcess(file, args, opts, {
        log: (l) => this.log(l),
        secrets: this.secrets,
        onCommand: (cmd, cwd) => {
          completeResult = applyLoggingCommand(cmd, cwd, commands) ?? completeResult;
        },
        timeoutMinutes: Number(toText((step.timeoutInMinutes ?? "0") as Value)) || 0,
      });
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
        const { code, stderr } = await exec("bash", ["--noprofile", "--norc", file], { env: baseEnv(), cwd });
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
          exec: async (file, args, opts) => (await exec(file, args, opts)).code,
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
