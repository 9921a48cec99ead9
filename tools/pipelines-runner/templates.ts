/**
 * Compiles a pipeline YAML file the way Azure Pipelines does before a run: the root file's runtime parameters are
 * resolved (parameters.ts), template expressions evaluated and `template:` references expanded
 * (templateExpansion.ts), and the result is normalized here to stages → jobs → steps, all the runner reads.
 * https://learn.microsoft.com/azure/devops/pipelines/process/templates
 *
 * Supported, because syncgap's pipelines use them: a pipeline of stages, of jobs or of steps; jobs and deployment
 * jobs with `dependsOn`, `condition`, `continueOnError`, `variables` (values and groups) and `pool`. Not supported
 * (an error names it): `extends`, variable templates, job strategies other than `runOnce` for deployment jobs,
 * `matrix`/`parallel`; templateExpansion.ts lists what the expansion does not support.
 */
import path from "node:path";
import { toText, truthy, type Value } from "./expressions";
import { resolveParameters } from "./parameters";
import { isMapping, type Mapping, PipelineError, readYamlFile } from "./pipelineFile";
import { Expander, type TemplateOptions } from "./templateExpansion";

// What compilePipeline throws for a pipeline Azure Pipelines would refuse.
export { PipelineError };

export interface CompileOptions extends TemplateOptions {
  /** Values for the root file's runtime parameters (like the "Run pipeline" form). */
  parameters?: Mapping;
}

export type VariableDecl =
  | { kind: "value"; name: string; value: string; readonly?: boolean }
  | { kind: "group"; group: string };

/** A step's mapping after template expansion (`script`, `bash`, `task`, `checkout`, …). */
export type Step = Mapping;

export interface Job {
  name: string;
  displayName?: string;
  kind: "job" | "deployment";
  /** Deployment jobs: the Environment whose approvals and checks gate the job. */
  environment?: string;
  dependsOn: string[];
  condition?: string;
  continueOnError: boolean;
  variables: VariableDecl[];
  steps: Step[];
  /** The job's own pool, if it names one (the pipeline's `pool: vmImage` is not kept: the runner is that agent). */
  pool?: JobPool;
}

/** `pool:` of a job: a self-hosted pool by name with demands, or a Microsoft-hosted image. */
export interface JobPool {
  name?: string;
  vmImage?: string;
  /** `capability` (exists) or `capability -equals value`. */
  demands: string[];
}

export interface Stage {
  name: string;
  displayName?: string;
  /** undefined: the previous stage (Azure Pipelines' default); [] for none. */
  dependsOn?: string[];
  condition?: string;
  variables: VariableDecl[];
  jobs: Job[];
}

export interface CompiledPipeline {
  file: string;
  name?: string;
  parameters: Mapping;
  variables: VariableDecl[];
  trigger?: Value;
  pr?: Value;
  schedules?: Value;
  stages: Stage[];
}

const NAME_RULE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function asStringList(v: Value | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw new PipelineError(`${what} must be a name or a list of names`);
}

function parseVariables(v: Value | undefined, what: string): VariableDecl[] {
  if (v === undefined || v === null) return [];
  if (isMapping(v)) return Object.entries(v).map(([name, value]) => ({ kind: "value", name, value: toText(value) }));
  if (!Array.isArray(v)) throw new PipelineError(`${what}: variables must be a mapping or a list`);
  return v.map((entry) => {
    if (isMapping(entry) && typeof entry.name === "string") {
      return {
        kind: "value",
        name: entry.name,
        value: toText((entry.value ?? "") as Value),
        readonly: entry.readonly === true,
      };
    }
    if (isMapping(entry) && typeof entry.group === "string") return { kind: "group", group: entry.group };
    throw new PipelineError(`${what}: unsupported variables entry ${JSON.stringify(entry)} (variable templates?)`);
  });
}

function checkName(name: string, what: string): string {
  if (!NAME_RULE.test(name)) {
    throw new PipelineError(
      `${what} name "${name}" is invalid: use letters, digits and underscores, not first a digit`,
    );
  }
  return name;
}

function toSteps(v: Value | undefined, what: string): Step[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PipelineError(`${what}: steps must be a list`);
  return v.map((raw) => {
    if (!isMapping(raw)) throw new PipelineError(`${what}: a step must be a mapping`);
    return raw;
  });
}

function toJob(raw: Value, stage: string): Job {
  if (!isMapping(raw)) throw new PipelineError(`stage ${stage}: a job must be a mapping`);
  const kind = "deployment" in raw ? "deployment" : "job";
  const name = checkName(toText((raw[kind] ?? "Job") as Value), `stage ${stage}: ${kind}`);
  const what = `job ${stage}.${name}`;
  if (raw.strategy && kind === "job") {
    throw new PipelineError(`${what}: job strategies (matrix, parallel) are not supported by the local runner`);
  }
  let steps: Step[];
  let environment: string | undefined;
  if (kind === "deployment") {
    const env = raw.environment;
    environment = isMapping(env) ? toText((env.name ?? "") as Value) : toText((env ?? "") as Value);
    if (!environment) throw new PipelineError(`${what}: a deployment job needs an environment`);
    const strategy = raw.strategy;
    const runOnce = isMapping(strategy) ? strategy.runOnce : undefined;
    if (!isMapping(runOnce) || Object.keys(strategy as Mapping).length !== 1) {
      throw new PipelineError(`${what}: only the runOnce deployment strategy is supported by the local runner`);
    }
    const hooks = Object.keys(runOnce).filter((h) => h !== "deploy");
    if (hooks.length) throw new PipelineError(`${what}: runOnce hooks other than deploy (${hooks}) are not supported`);
    steps = toSteps(isMapping(runOnce.deploy) ? runOnce.deploy.steps : undefined, what);
  } else {
    steps = toSteps(raw.steps, what);
  }
  return {
    name,
    displayName: raw.displayName === undefined ? undefined : toText(raw.displayName),
    kind,
    environment,
    dependsOn: asStringList(raw.dependsOn, `${what}: dependsOn`) ?? [],
    condition: raw.condition === undefined ? undefined : toText(raw.condition),
    continueOnError: truthy(raw.continueOnError ?? false),
    variables: parseVariables(raw.variables, what),
    steps,
    ...(raw.pool === undefined ? {} : { pool: toPool(raw.pool, what) }),
  };
}

function toPool(raw: Value, what: string): JobPool {
  if (typeof raw === "string") return { name: raw, demands: [] };
  if (!isMapping(raw)) throw new PipelineError(`${what}: pool must be a name or a mapping`);
  return {
    ...(raw.name === undefined ? {} : { name: toText(raw.name) }),
    ...(raw.vmImage === undefined ? {} : { vmImage: toText(raw.vmImage) }),
    demands: asStringList(raw.demands, `${what}: pool.demands`) ?? [],
  };
}

/** Compiles a pipeline file: parameters, template expansion, normalization to stages → jobs → steps. */
export function compilePipeline(file: string, options: CompileOptions): CompiledPipeline {
  const abs = path.resolve(file);
  const doc = readYamlFile(abs);
  if (!isMapping(doc)) throw new PipelineError(`${abs}: a pipeline must be a mapping`);
  options.onFile?.(abs, "pipeline", doc);
  if ("extends" in doc) throw new PipelineError(`${abs}: extends templates are not supported by the local runner`);
  const parameters = resolveParameters(doc.parameters ?? null, options.parameters ?? {}, abs);
  const expanded = new Expander(options).mapping(
    Object.fromEntries(Object.entries(doc).filter(([k]) => k !== "parameters")),
    { parameters, locals: {}, file: abs },
  );
  let stagesRaw: Value[];
  if (Array.isArray(expanded.stages)) {
    stagesRaw = expanded.stages;
  } else if (Array.isArray(expanded.jobs)) {
    stagesRaw = [{ stage: "__default", jobs: expanded.jobs }];
  } else if (Array.isArray(expanded.steps)) {
    stagesRaw = [{ stage: "__default", jobs: [{ job: "Job", steps: expanded.steps }] }];
  } else {
    throw new PipelineError(`${abs}: a pipeline needs stages, jobs or steps`);
  }
  const stages = stagesRaw.map((s): Stage => {
    if (!isMapping(s)) throw new PipelineError(`${abs}: a stage must be a mapping`);
    const name = checkName(toText((s.stage ?? "") as Value), "stage");
    const jobs = Array.isArray(s.jobs) ? s.jobs.map((j) => toJob(j, name)) : [];
    const seen = new Set<string>();
    for (const j of jobs) {
      if (seen.has(j.name.toLowerCase())) throw new PipelineError(`stage ${name}: two jobs are named ${j.name}`);
      seen.add(j.name.toLowerCase());
    }
    return {
      name,
      displayName: s.displayName === undefined ? undefined : toText(s.displayName),
      dependsOn: asStringList(s.dependsOn, `stage ${name}: dependsOn`),
      condition: s.condition === undefined ? undefined : toText(s.condition),
      variables: parseVariables(s.variables, `stage ${name}`),
      jobs,
    };
  });
  return {
    file: abs,
    name: expanded.name === undefined ? undefined : toText(expanded.name),
    parameters,
    variables: parseVariables(expanded.variables, abs),
    trigger: expanded.trigger,
    pr: expanded.pr,
    schedules: expanded.schedules,
    stages,
  };
}
