import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, in arrival order. */
  output: string;
}

const repoRoot = path.resolve(__dirname, "..", "..");
const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Copies a Pulumi project (and optionally a policy pack) into a fresh temporary folder, with the repository's
 * node_modules linked in, so tests never write stack files into the source tree.
 */
export function stageProject(sourceDir: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "syncgap-project-"));
  cpSync(sourceDir, dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|Pulumi\.[^/]+\.yaml)$/.test(src) });
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Where a session keeps its state: a backend URL and the environment that reaches it (credentials included). */
export interface PulumiBackend {
  url: string;
  /** e.g. AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY for `azblob://` (test/support/azurite.ts). */
  env?: Record<string, string>;
}

/** A `pulumi` process still running (see PulumiSession.start). */
export interface RunningPulumi {
  child: ChildProcess;
  /** What it printed so far (stdout + stderr). */
  output(): string;
  /** Resolves when it exits. */
  done: Promise<PulumiResult>;
  /**
   * Kills the CLI and everything it started (language host, program, dynamic provider): its own process group, as
   * an agent cancelling a job does. `SIGKILL` gives it no chance to release the stack's lock.
   */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * A real Pulumi CLI session, never the Pulumi Cloud: by default on a temporary file backend (`pulumi login
 * file://…`), or on the backend given (e.g. Azure Blob state in Azurite). The CLI comes from PATH, which
 * scripts/toolchain.sh prepares (see scripts/test.sh).
 */
export class PulumiSession {
  readonly backendDir: string;
  readonly backendUrl: string;
  readonly homeDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly outputs: string[] = [];

  constructor(
    readonly projectDir: string,
    extraEnv: NodeJS.ProcessEnv = {},
    backend?: PulumiBackend,
  ) {
    this.backendDir = mkdtempSync(path.join(tmpdir(), "syncgap-state-"));
    this.homeDir = mkdtempSync(path.join(tmpdir(), "syncgap-pulumi-home-"));
    this.backendUrl = backend?.url ?? `file://${this.backendDir}`;
    this.env = {
      ...process.env,
      ...backend?.env,
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_HOME: this.homeDir,
      PULUMI_CONFIG_PASSPHRASE: "syncgap-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      NO_COLOR: "1",
      ...extraEnv,
    };
  }

  run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<PulumiResult> {
    return this.start(args, opts).done;
  }

  /** Starts `pulumi <args>` and returns at once: for runs that overlap, or that a test kills midway. */
  start(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunningPulumi {
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd ?? this.projectDir,
      env: { ...this.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // a process group of its own, so kill() reaches the CLI's plugins too
    };
    const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], spawnOpts);
    let stdout = "";
    let stderr = "";
    let output = "";
    const done = new Promise<PulumiResult>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d;
        output += d;
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d;
        output += d;
      });
      child.on("error", reject);
      child.on("close", (code, signal) => {
        this.outputs.push(output);
        resolve({ code: code ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : -1), stdout, stderr, output });
      });
    });
    return {
      child,
      output: () => output,
      done,
      kill(signal: NodeJS.Signals = "SIGKILL") {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          child.kill(signal);
        }
      },
    };
  }

  /** Runs and throws with the CLI's output when the exit code is not the expected one. */
  async expect(args: string[], code = 0, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<PulumiResult> {
    const r = await this.run(args, opts);
    if (r.code !== code) {
      throw new Error(`pulumi ${args.join(" ")} exited ${r.code}, expected ${code}:\n${r.output}`);
    }
    return r;
  }

  /** Everything every command of this session printed (for searching logs for secrets). */
  transcript(): string {
    return this.outputs.join("\n");
  }

  dispose(): void {
    rmSync(this.backendDir, { recursive: true, force: true });
    rmSync(this.homeDir, { recursive: true, force: true });
  }
}
