import { type SpawnOptions, spawn } from "node:child_process";
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

/**
 * A real Pulumi CLI session on a temporary file backend (`pulumi login file://…`), never the Pulumi Cloud.
 * The CLI comes from PATH, which scripts/toolchain.sh prepares (see scripts/test.sh).
 */
export class PulumiSession {
  readonly backendDir: string;
  readonly homeDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly outputs: string[] = [];

  constructor(
    readonly projectDir: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.backendDir = mkdtempSync(path.join(tmpdir(), "syncgap-state-"));
    this.homeDir = mkdtempSync(path.join(tmpdir(), "syncgap-pulumi-home-"));
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
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
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd ?? this.projectDir,
      env: { ...this.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    };
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], spawnOpts);
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d;
        output += d;
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d;
        output += d;
      });
      child.on("error", reject);
      child.on("close", (code) => {
        this.outputs.push(output);
        resolve({ code: code ?? -1, stdout, stderr, output });
      });
    });
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
