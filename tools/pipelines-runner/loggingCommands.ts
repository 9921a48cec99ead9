/**
 * What the agent does with the logging commands a step prints (their syntax is logging.ts): each one is recorded
 * for the run record, and those the pipelines rely on act on the job — `task.setvariable` (secret ones masked from
 * then on, output variables as `<step>.<name>`), `task.prependpath`, `task.uploadsummary` (the Markdown kept with
 * the run), `task.complete` (a step's own verdict). One the runner does not know is a warning, not silently lost.
 * https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type LoggingCommand, maskSecrets } from "./logging";
import type { Result, RunRecord } from "./records";
import type { Variables } from "./variables";

/** The step a command came from and what the command may change. */
export interface CommandContext {
  stage: string;
  job: string;
  /** The step's display name, as recorded. */
  step: string;
  /** The step's `name:`, which qualifies its output variables. */
  stepName?: string;
  vars: Variables;
  secrets: Set<string>;
  /** The job's `task.prependpath` folders, in the order given. */
  prepend: string[];
  record: RunRecord;
  /** Where uploaded summaries are copied. */
  summariesDir: string;
  log: (line: string) => void;
}

/** Records and applies one command run in `cwd`; returns the result a `task.complete` sets, else undefined. */
export function applyLoggingCommand(cmd: LoggingCommand, cwd: string, ctx: CommandContext): Result | undefined {
  ctx.record.commands.push({ ...cmd, stage: ctx.stage, job: ctx.job, step: ctx.step });
  const p = cmd.properties;
  switch (cmd.command) {
    case "task.complete": {
      const r = (p.result ?? "Succeeded").toLowerCase();
      return r === "failed" ? "Failed" : r === "succeededwithissues" ? "SucceededWithIssues" : "Succeeded";
    }
    case "task.setvariable": {
      if (!p.variable) break;
      const secret = /^true$/i.test(p.issecret ?? "");
      if (secret) ctx.secrets.add(cmd.message);
      ctx.vars.set(p.variable, cmd.message, { secret, readonly: /^true$/i.test(p.isreadonly ?? "") });
      if (/^true$/i.test(p.isoutput ?? "") && ctx.stepName) {
        ctx.vars.set(`${ctx.stepName}.${p.variable}`, cmd.message, { secret });
      }
      break;
    }
    case "task.prependpath":
      ctx.prepend.push(cmd.message);
      break;
    case "task.uploadsummary": {
      const file = path.resolve(cwd, cmd.message);
      if (!existsSync(file)) {
        ctx.log(`##[warning]task.uploadsummary: ${file} does not exist`);
        break;
      }
      const markdown = maskSecrets(readFileSync(file, "utf8"), ctx.secrets);
      const copy = path.join(ctx.summariesDir, `${ctx.stage}.${ctx.job}.${ctx.record.summaries.length}.md`);
      writeFileSync(copy, markdown);
      ctx.record.summaries.push({ stage: ctx.stage, job: ctx.job, path: copy, markdown });
      break;
    }
    case "task.setsecret": // registered before the line was logged (process.ts)
    case "task.logissue":
    case "task.setprogress":
    case "task.debug":
      break;
    default:
      ctx.log(`##[warning]the local runner ignores the logging command ${cmd.command}`);
  }
  return undefined;
}
