/**
 * What a local run is given and what it gives back: RunOptions (the pipeline, the trigger, and what Azure DevOps
 * would hold and the YAML does not: variable groups, service connections, self-hosted agents) and RunRecord (every
 * stage, job and step with its result, the logging commands, summaries, artifacts and test runs, the masked log),
 * which tests assert on. Kept apart from run.ts so the runner's parts (agent.ts, loggingCommands.ts) share them
 * without importing the runner.
 */
import type { Value } from "./expressions";
import type { LoggingCommand } from "./logging";
import type { PipelineSchema } from "./schema";
import type { Artifact, PowerShellHost, ServiceConnection, TestRun } from "./taskHost";
import type { CompiledPipeline } from "./templates";

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

/** `worst` combines results: a job, stage or run is as bad as its worst part, and a skipped part counts for nothing. */
const STATUS_ORDER: Result[] = ["Succeeded", "SucceededWithIssues", "Failed"];
export const worst = (a: Result, b: Result): Result => (STATUS_ORDER.indexOf(a) >= STATUS_ORDER.indexOf(b) ? a : b);
/** Succeeded, with or without issues: what `succeeded()` asks of a dependency. */
export const ok = (r: Result) => r === "Succeeded" || r === "SucceededWithIssues";

/** The `task.logissue` commands of a run, e.g. to assert on the errors a drift run reported. */
export function issues(record: RunRecord, type?: "error" | "warning"): RecordedCommand[] {
  return record.commands.filter((c) => c.command === "task.logissue" && (!type || c.properties.type === type));
}
