/**
 * The local Azure Pipelines runner's command line (docs/pipelines.md).
 *
 *   npx tsx tools/pipelines-runner/cli.ts --local                       the whole story against a local tenant (below)
 *   npx tsx tools/pipelines-runner/cli.ts --local --reason PullRequest  one trigger against a local tenant
 *   npx tsx tools/pipelines-runner/cli.ts --reason PullRequest --config local.json
 *   npx tsx tools/pipelines-runner/cli.ts --plan                        compile + validate, print what would run
 *
 * --local starts a Samba AD DC and the local Entra ID tenant (tools/pipelines-runner/localTenant.ts), stages a copy of the
 * repository as the checkout, and runs the pipeline for a compliant stack `local` (and, for pull requests, a
 * non-compliant `local-cloud`). Without --reason it runs what test/pipelines/e2e.test.ts asserts: pull request,
 * main (deploy, a sync, the gate), nightly, an out-of-band change of the switch, nightly again. The test stage
 * (scripts/test.sh) is left out; run it directly.
 *
 * The config file (JSON) holds what Azure DevOps would know and the YAML does not: runtime parameters, variable
 * groups and service connections. Secret values are never in it: `secretsFromEnv` names environment variables of
 * this process whose values become the group's secret variables (masked in the log). Example:
 *   {
 *     "parameters": { "tenants": [{ "stack": "local", "serviceConnection": "syncgap-local", "environment": "local" }] },
 *     "variableGroups": { "syncgap": {
 *       "variables": { "PULUMI_BACKEND_URL": "file:///tmp/state", "SYNCGAP_AUTH_METHOD": "clientSecret" },
 *       "secretsFromEnv": ["PULUMI_CONFIG_PASSPHRASE", "AZURE_CLIENT_SECRET"] } },
 *     "serviceConnections": { "syncgap-local": { "tenantId": "…", "servicePrincipalId": "…" } }
 *   }
 * Exit code: 0 when the run succeeded (or succeeded with issues), 1 when it failed, 2 when it could not run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Value } from "./expressions";
import { LocalTenant } from "./localTenant";
import { type BuildReason, type RunRecord, runPipeline, type VariableGroup } from "./run";
import { PipelineSchema } from "./schema";
import type { ServiceConnection } from "./taskHost";
import { compilePipeline } from "./templates";

export interface LocalConfig {
  parameters?: Record<string, Value>;
  variableGroups?: Record<string, VariableGroup & { secretsFromEnv?: string[] }>;
  serviceConnections?: Record<
    string,
    ServiceConnection & { idTokenFromEnv?: string; servicePrincipalKeyFromEnv?: string }
  >;
}

const REASONS: BuildReason[] = ["PullRequest", "IndividualCI", "BatchedCI", "Schedule", "Manual"];

/** Resolves `secretsFromEnv` and `…FromEnv` names against an environment; a missing one is an error. */
export function resolveConfig(config: LocalConfig, env: NodeJS.ProcessEnv = process.env) {
  const need = (name: string, what: string) => {
    const v = env[name];
    if (v === undefined || v === "") throw new Error(`${what}: the environment variable ${name} is not set`);
    return v;
  };
  const variableGroups: Record<string, VariableGroup> = {};
  for (const [name, g] of Object.entries(config.variableGroups ?? {})) {
    const secrets = { ...(g.secrets ?? {}) };
    for (const s of g.secretsFromEnv ?? []) secrets[s] = need(s, `variable group ${name}`);
    variableGroups[name] = { variables: g.variables ?? {}, secrets };
  }
  const serviceConnections: Record<string, ServiceConnection> = {};
  for (const [name, sc] of Object.entries(config.serviceConnections ?? {})) {
    const { idTokenFromEnv, servicePrincipalKeyFromEnv, ...rest } = sc;
    serviceConnections[name] = {
      ...rest,
      ...(idTokenFromEnv ? { idToken: need(idTokenFromEnv, `service connection ${name}`) } : {}),
      ...(servicePrincipalKeyFromEnv
        ? { servicePrincipalKey: need(servicePrincipalKeyFromEnv, `service connection ${name}`) }
        : {}),
    };
  }
  return { parameters: config.parameters ?? {}, variableGroups, serviceConnections };
}

export function summarize(record: RunRecord): string {
  const lines = [`Run: ${record.result}`];
  for (const s of record.stages) {
    lines.push(`  stage ${s.name}: ${s.result}${s.reason ? ` (${s.reason})` : ""}`);
    for (const j of s.jobs) {
      if (s.reason && j.result === "Skipped") continue;
      lines.push(`    job ${j.name}: ${j.result}${j.reason ? ` (${j.reason})` : ""}`);
      for (const st of j.steps) lines.push(`      ${st.result.padEnd(19)} ${st.displayName}`);
    }
  }
  const issues = record.commands.filter((c) => c.command === "task.logissue");
  if (issues.length) {
    lines.push("Issues:");
    for (const i of issues) lines.push(`  ${i.properties.type ?? "issue"}: ${i.message}  [${i.stage}.${i.job}]`);
  }
  if (record.artifacts.length) {
    lines.push("Artifacts:");
    for (const a of record.artifacts) lines.push(`  ${a.name}: ${a.path} (${a.files.length} files)`);
  }
  for (const t of record.testRuns) {
    lines.push(`Test run ${t.title}: ${t.total} tests, ${t.failed} failed, ${t.errors} errors, ${t.skipped} skipped`);
  }
  if (record.summaries.length) {
    lines.push("Summaries:");
    for (const s of record.summaries) lines.push(`  ${s.path}`);
  }
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pipeline: { type: "string", default: "azure-pipelines.yml" },
      sources: { type: "string" },
      config: { type: "string" },
      reason: { type: "string" },
      branch: { type: "string" },
      pr: { type: "string" },
      stage: { type: "string", multiple: true },
      job: { type: "string", multiple: true },
      "skip-job": { type: "string", multiple: true },
      work: { type: "string" },
      json: { type: "string" },
      plan: { type: "boolean", default: false },
      local: { type: "boolean", default: false },
      "no-validate": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        "usage: tsx tools/pipelines-runner/cli.ts [options]",
        "  --pipeline FILE     pipeline YAML (default azure-pipelines.yml)",
        "  --sources DIR       Build.SourcesDirectory (default: the pipeline's folder)",
        "  --config FILE       parameters, variable groups, service connections (JSON; see the file header)",
        "  --local             run against a local Samba DC and local tenant (see the file header)",
        `  --reason R          Build.Reason: ${REASONS.join(", ")} (default Manual; with --local: all of them in turn)`,
        "  --branch REF        Build.SourceBranch (default refs/heads/main; for a PR refs/pull/<id>/merge)",
        "  --pr ID             System.PullRequest.PullRequestId",
        "  --stage NAME        run only this stage (repeatable)",
        "  --job STAGE.JOB     run only this job (repeatable); --skip-job STAGE.JOB to leave one out",
        "  --work DIR          the agent's work folder (default: a new temporary folder)",
        "  --json FILE         write the run record (results, logging commands, artifacts) as JSON",
        "  --plan              compile and validate only; print the stages, jobs and steps",
        "  --no-validate       do not validate the YAML against the Azure Pipelines schema",
        "",
      ].join("\n"),
    );
    return 0;
  }
  if (values.reason && !REASONS.includes(values.reason as BuildReason)) {
    throw new Error(`--reason must be one of ${REASONS.join(", ")}`);
  }
  if (values.local) return runLocal(values.reason as BuildReason | undefined, values["no-validate"] === true);
  const reason = (values.reason ?? "Manual") as BuildReason;
  const config: LocalConfig = values.config ? JSON.parse(readFileSync(values.config, "utf8")) : {};
  const pipeline = path.resolve(values.pipeline as string);
  const sources = path.resolve(values.sources ?? path.dirname(pipeline));
  if (values.plan) {
    const schema = values["no-validate"] ? undefined : new PipelineSchema();
    const compiled = compilePipeline(pipeline, {
      rootDir: sources,
      parameters: config.parameters,
      onFile: (file, kind, doc) => {
        const r = schema?.validate(doc, kind);
        if (r && !r.valid) throw new Error(`${file} does not match the schema:\n  ${r.errors.join("\n  ")}`);
      },
    });
    for (const s of compiled.stages) {
      process.stdout.write(`stage ${s.name}  [condition: ${s.condition ?? "succeeded()"}]\n`);
      for (const j of s.jobs) {
        process.stdout.write(`  ${j.kind} ${j.name}${j.environment ? ` (environment ${j.environment})` : ""}\n`);
        for (const st of j.steps) {
          const what = st.task ?? (st.bash !== undefined ? "bash" : st.script !== undefined ? "script" : "checkout");
          process.stdout.write(`    ${String(what).padEnd(26)} ${String(st.displayName ?? "")}\n`);
        }
      }
    }
    return 0;
  }
  const resolved = resolveConfig(config);
  const only = values.job ?? [];
  const skip = values["skip-job"] ?? [];
  const record = await runPipeline({
    pipeline,
    sourcesDir: sources,
    workDir: values.work ? path.resolve(values.work) : undefined,
    reason,
    sourceBranch: values.branch,
    pullRequestId: values.pr,
    parameters: resolved.parameters,
    variableGroups: resolved.variableGroups,
    serviceConnections: resolved.serviceConnections,
    stages: values.stage,
    jobFilter:
      only.length || skip.length
        ? (stage, job) => (!only.length || only.includes(`${stage}.${job}`)) && !skip.includes(`${stage}.${job}`)
        : undefined,
    validate: !values["no-validate"],
  });
  process.stdout.write(`\n${summarize(record)}\n`);
  if (values.json) {
    const { pipeline: _compiled, log: _log, ...rest } = record;
    writeFileSync(values.json, `${JSON.stringify(rest, null, 2)}\n`);
  }
  return record.result === "Failed" ? 1 : 0;
}

/** --local: the pipeline against a Samba DC and the local tenant; prints each run's summary. */
async function runLocal(reason: BuildReason | undefined, noValidate: boolean): Promise<number> {
  const say = (m: string) => process.stdout.write(`${m}\n`);
  say("[local] starting a Samba AD DC and the local Entra ID tenant …");
  const local = await LocalTenant.start({ log: (l) => process.stderr.write(`${l}\n`) });
  let failed = false;
  try {
    const ok = local.tenant("local", "onPremises");
    const cloud = local.tenant("local-cloud", "cloud");
    const schema = noValidate ? undefined : new PipelineSchema();
    const once = async (title: string, r: BuildReason, tenants: unknown[]) => {
      say(`\n[local] ${title}`);
      const record = await runPipeline({
        pipeline: `${local.sourcesDir}/azure-pipelines.yml`,
        sourcesDir: local.sourcesDir,
        reason: r,
        sourceBranch: r === "PullRequest" ? undefined : "refs/heads/main",
        // The deploy stage's full sync (initial_sync job) runs on the local tenant's Entra Connect agent.
        parameters: { tenants: tenants as Value, initialSync: true },
        agents: { "syncgap-entra-connect": [local.entraConnectAgent("local")] },
        variableGroups: local.variableGroups,
        serviceConnections: local.serviceConnections,
        agentEnv: local.agentEnv,
        jobFilter: (stage) => stage !== "test",
        validate: !noValidate,
        schema,
      });
      say(summarize(record));
      failed ||= record.result === "Failed";
      return record;
    };
    if (reason) {
      await once(`${reason} run`, reason, reason === "PullRequest" ? [ok, cloud] : [ok]);
    } else {
      await once("pull request (expected: local passes, local-cloud fails on mobile-authority-flag)", "PullRequest", [
        ok,
        cloud,
      ]);
      await once("main: deploy, full sync on the Entra Connect server, gate (expected: succeeds)", "IndividualCI", [
        ok,
      ]);
      await once("nightly (expected: no drift)", "Schedule", [ok]);
      say("\n[local] turning bypassDirSyncOverridesEnabled off in the tenant, outside Pulumi");
      await local.changeOutOfBand("bypassDirSyncOverridesEnabled", false);
      await once("nightly after the out-of-band change (expected: fails, naming the drift)", "Schedule", [ok]);
      await once(
        "main again, the drift fix (expected: pulumi up refreshes and turns the switch back on)",
        "IndividualCI",
        [ok],
      );
      const fixed = await once("nightly after the fix (expected: no drift)", "Schedule", [ok]);
      failed = fixed.result === "Failed"; // the story has expected failures; the summaries above say which
    }
  } finally {
    await local.stop();
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`local runner: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
