/**
 * The pipelines' end-to-end tests' way of running azure-pipelines.yml against a LocalTenant with the local runner:
 * the checkout, variable groups, service connections and agent environment the tenant provides, the runs' logs kept
 * (secrets masked) for `out/<name>.log`, and lookups of a run's stages, jobs and steps by name.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { summarize } from "../../tools/pipelines-runner/cli";
import type { LocalTenant } from "../../tools/pipelines-runner/localTenant";
import { type RunOptions, type RunRecord, runPipeline } from "../../tools/pipelines-runner/run";
import { PipelineSchema } from "../../tools/pipelines-runner/schema";

export interface PipelineRuns {
  run(options: Partial<RunOptions>): Promise<RunRecord>;
  /** Writes the runs' logs to out/<name>.log (for reading after a failure). */
  saveLog(): void;
}

export function pipelineRuns(local: () => LocalTenant, name: string): PipelineRuns {
  const schema = new PipelineSchema();
  const logs: string[] = [];
  return {
    async run(options) {
      const tenant = local();
      const record = await runPipeline({
        pipeline: path.join(tenant.sourcesDir, "azure-pipelines.yml"),
        sourcesDir: tenant.sourcesDir,
        variableGroups: tenant.variableGroups,
        serviceConnections: tenant.serviceConnections,
        agentEnv: tenant.agentEnv,
        schema,
        log: (line) => logs.push(line),
        ...options,
      });
      // On a failure the assertion message carries the run's summary; the whole log is in record.log.
      logs.push(summarize(record));
      return record;
    },
    saveLog() {
      const out = path.resolve(__dirname, "..", "..", "out");
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, `${name}.log`), `${logs.join("\n")}\n`);
    },
  };
}

export const stage = (r: RunRecord, name: string) => r.stages.find((s) => s.name === name);
export const steps = (r: RunRecord, stageName: string, job: string) =>
  stage(r, stageName)?.jobs.find((j) => j.name === job)?.steps ?? [];
/** The first step of a job whose display name starts with `display`. */
export const step = (r: RunRecord, stageName: string, job: string, display: string) =>
  steps(r, stageName, job).find((s) => s.displayName.startsWith(display));
