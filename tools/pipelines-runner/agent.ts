/**
 * The agent a job runs on. For a Microsoft-hosted Linux agent: the predefined variables it sets for the run
 * (Agent.*, Build.*, System.*), a fresh workspace per job with the job's own variables, and the environment a step's
 * programs get. For a self-hosted pool: whether an agent given to the runner (RunOptions.agents) meets a
 * pool demand. https://learn.microsoft.com/azure/devops/pipelines/build/variables
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { toText, type Value } from "./expressions";
import type { LocalAgent, RunOptions } from "./records";
import type { Job } from "./templates";
import { Variables } from "./variables";

/** The agent process's environment when RunOptions.agentEnv gives none: the basics a shell needs, nothing else. */
function defaultAgentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "USER", "LANG", "SHELL", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/**
 * The environment of a step's programs, built anew each time it is asked for, so a folder prepended or a variable
 * set since counts: the agent process's own, every non-secret variable, TF_BUILD=True, the job's `task.prependpath`
 * folders before PATH (the last one given first), then the step's `env:`, the only way a secret reaches a step.
 */
export function stepEnvironment(
  agentEnv: RunOptions["agentEnv"],
  vars: Variables,
  prepend: string[],
  stepEnv: Value | undefined,
): Record<string, string> {
  const agent = (agentEnv ?? defaultAgentEnv()) as Record<string, string | undefined>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(agent)) if (v !== undefined) env[k] = v;
  Object.assign(env, vars.environment(), { TF_BUILD: "True" });
  const prefix = [...prepend].reverse().join(":");
  if (prefix) env.PATH = `${prefix}:${env.PATH ?? ""}`;
  for (const [k, v] of Object.entries((stepEnv ?? {}) as Record<string, Value>)) env[k] = vars.expand(toText(v));
  return env;
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

/** The run's predefined variables, read-only as on an agent, for the trigger RunOptions describes. */
export function predefinedVariables(o: RunOptions, workDir: string, sourcesDir: string): Variables {
  const reason = o.reason ?? "Manual";
  const pr = o.pullRequestId ?? (reason === "PullRequest" ? "1" : undefined);
  const branch = o.sourceBranch ?? (reason === "PullRequest" ? `refs/pull/${pr}/merge` : "refs/heads/main");
  const v = new Variables();
  const set = (name: string, value: string) => v.set(name, value, { readonly: true });
  set("Agent.OS", "Linux");
  set("Agent.OSArchitecture", "X64");
  set("Agent.Name", "syncgap-local-runner");
  set("Agent.MachineName", "localhost");
  set("Agent.WorkFolder", workDir);
  set("Agent.ToolsDirectory", path.join(workDir, "_tool"));
  set("Build.SourcesDirectory", sourcesDir);
  set("Build.Repository.LocalPath", sourcesDir);
  set("Build.Repository.Name", path.basename(sourcesDir));
  set("Build.Repository.Provider", "TfsGit");
  set("Build.Reason", reason);
  set("Build.SourceBranch", branch);
  set("Build.SourceBranchName", branch.split("/").pop() as string);
  set("Build.SourceVersion", sourceVersion(sourcesDir));
  set("Build.BuildId", "1");
  set("Build.BuildNumber", "local.1");
  set("Build.DefinitionName", "syncgap");
  set("System.DefaultWorkingDirectory", sourcesDir);
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

/**
 * Empties the job's workspace and temp folders, as a Microsoft-hosted agent starts every job on a fresh machine,
 * and sets the variables that name them and the job.
 */
export function prepareJob(workDir: string, job: Job, vars: Variables): void {
  const displayName = job.displayName ?? job.name;
  const workspace = path.join(workDir, "w");
  const temp = path.join(workDir, "_temp");
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
}

/** A pool demand: `name` (the capability exists) or `name -equals value` (case-insensitive, as the agent compares). */
export function meetsDemand(agent: LocalAgent, demand: string): boolean {
  const m = /^\s*(\S+)(?:\s+-equals\s+(.+?))?\s*$/i.exec(demand);
  if (!m) throw new Error(`pool demand "${demand}" is not "capability" or "capability -equals value"`);
  const key = Object.keys(agent.capabilities).find((k) => k.toLowerCase() === (m[1] as string).toLowerCase());
  if (key === undefined) return false;
  return m[2] === undefined || (agent.capabilities[key] as string).toLowerCase() === m[2].toLowerCase();
}
