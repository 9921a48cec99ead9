/**
 * What a task emulation (tasks.ts) may ask of the runner, and what it hands back for the run record: the contract
 * between run.ts and the tasks, so each side can change without reading the other.
 */

export type TaskResult = "Succeeded" | "SucceededWithIssues" | "Failed";

export interface ServiceConnection {
  /** The service connection's id (GUID), as AzureCLI@2 exports it for AzurePipelinesCredential. */
  id?: string;
  tenantId: string;
  /** The app registration's (client) id. */
  servicePrincipalId: string;
  /** Workload identity federation: the OIDC token AzureCLI@2 exposes as idToken. */
  idToken?: string;
  /** Secret-based connections: the client secret (servicePrincipalKey). */
  servicePrincipalKey?: string;
}

export interface Artifact {
  name: string;
  path: string;
  files: string[];
}

export interface TestRun {
  title: string;
  files: string[];
  total: number;
  failed: number;
  errors: number;
  skipped: number;
}

/** What a task emulation may ask of the runner. */
export interface TaskHost {
  readonly cwd: string;
  readonly env: Record<string, string>;
  log(line: string): void;
  warn(message: string): void;
  /** Runs a program with the job's output handling (logging commands, masking); resolves to its exit code. */
  exec(file: string, args: string[], opts: { env: Record<string, string>; cwd: string }): Promise<number>;
  /** Writes a script into the agent's temp folder and returns its path. */
  writeTempScript(content: string): string;
  addSecret(value: string): void;
  setVariable(name: string, value: string): void;
  prependPath(dir: string): void;
  /** All variables, secrets included, as environment variables (what Pulumi@1 hands to the CLI). */
  allVariablesAsEnv(): Record<string, string>;
  serviceConnection(name: string): ServiceConnection | undefined;
  readonly artifactsDir: string;
  readonly cacheStore: string;
  readonly defaultWorkingDirectory: string;
  onJobSucceeded(fn: () => void): void;
  recordArtifact(a: Artifact): void;
  recordTestRun(t: TestRun): void;
  /** The job's self-hosted agent's PowerShell, if it has one (RunOptions.agents). */
  readonly powershell?: PowerShellHost;
}

/** How a self-hosted agent given to the local runner runs a PowerShell@2 script; resolves to the exit code. */
export type PowerShellHost = (
  script: string,
  opts: { errorActionPreference: string; pwsh: boolean; log: (line: string) => void },
) => Promise<number>;
