/**
 * The tasks syncgap's pipelines use, emulated as far as a local run needs and no further: the table the runner
 * looks a step's `task:` up in. Each emulation says what it does not do; an input it does not know, or a task that
 * is not in this table, fails the step.
 *
 * - Cache@2 (cacheTask.ts): restore from a local cache store, save after a successful job.
 * - PublishPipelineArtifact@1, PublishTestResults@2 (publishTasks.ts): into the run's artifacts folder; JUnit
 *   files parsed and counted.
 * - AzureCLI@2, PowerShell@2 (scriptTasks.ts): a bash script with the service connection's identity, no `az login`;
 *   an inline PowerShell script, only on a self-hosted agent given to the runner that can run one.
 * - Pulumi@1 (pulumiTask.ts): the Pulumi CLI already on the agent's PATH; login, stack select, the command.
 *
 * What a task may ask of the runner is taskHost.ts; how it reads its inputs, taskInputs.ts.
 */
import { cache } from "./cacheTask";
import { publishArtifact, publishTestResults } from "./publishTasks";
import { pulumiTask } from "./pulumiTask";
import { azureCli, powershell } from "./scriptTasks";
import type { TaskHost, TaskResult } from "./taskHost";

export const TASKS: Record<string, (host: TaskHost, inputs: Record<string, string>) => Promise<TaskResult>> = {
  "Cache@2": cache,
  "PublishPipelineArtifact@1": publishArtifact,
  "PublishTestResults@2": publishTestResults,
  "AzureCLI@2": azureCli,
  "Pulumi@1": pulumiTask,
  "PowerShell@2": powershell,
};
