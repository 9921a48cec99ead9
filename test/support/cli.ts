/** Runs the real `bin/syncgap` in a child process (asynchronously: an in-process emulator must keep answering). */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";

export const SYNCGAP = resolve(__dirname, "../../bin/syncgap");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(SYNCGAP, args, {
      cwd: opts.cwd,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        HOME: process.env.HOME,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
