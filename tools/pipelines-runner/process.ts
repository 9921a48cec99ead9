/**
 * Runs one program of a step (a script, a task's CLI) the way the agent does: stdout and stderr read line by line
 * into the job's log with secrets masked, logging commands in either stream handed on, and the step's
 * `timeoutInMinutes` enforced by stopping the program's whole process group (a script's children too).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { type LoggingCommand, maskSecrets, parseLoggingCommand } from "./logging";

export interface ProcessOutput {
  /** The job's log; it masks the secrets itself. */
  log: (line: string) => void;
  /** The run's secrets; a `task.setsecret` in the output adds to them. */
  secrets: Set<string>;
  /** Each logging command in the output, secrets masked, with the folder the program ran in. */
  onCommand: (command: LoggingCommand, cwd: string) => void;
  /** The step's timeoutInMinutes; 0 for none. */
  timeoutMinutes: number;
}

/** Resolves to the exit code (124 after a timeout, as `timeout` does) and whether anything was written to stderr. */
export function runProcess(
  file: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string },
  output: ProcessOutput,
): Promise<{ code: number; stderr: boolean }> {
  const minutes = output.timeoutMinutes;
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
            output.log(`##[error]The step exceeded its timeout of ${minutes} minute(s) and was stopped.`);
            try {
              process.kill(-(child.pid as number), "SIGTERM");
            } catch {}
          }, minutes * 60_000)
        : undefined;
    const handle = (line: string) => {
      // ##vso[task.setsecret]value registers a secret; like the agent, mask it from this very line on.
      const raw = /##vso\[task\.setsecret\b/i.test(line) ? parseLoggingCommand(line) : undefined;
      if (raw?.command === "task.setsecret" && raw.message) output.secrets.add(raw.message);
      output.log(line);
      const cmd = parseLoggingCommand(maskSecrets(line, output.secrets));
      if (cmd) output.onCommand(cmd, opts.cwd);
    };
    const out = createInterface({ input: child.stdout });
    const err = createInterface({ input: child.stderr });
    out.on("line", handle);
    err.on("line", (l) => {
      stderr = true;
      handle(l);
    });
    // Resolve only when both streams and the process are closed, so no line of output is lost.
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
