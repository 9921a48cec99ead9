/**
 * Reads a pipeline YAML file the way Azure Pipelines compiles it before a run: template expressions are
 * evaluated, `template:` references in steps, jobs and stages lists are replaced by the template's content (with
 * its declared parameters checked and defaulted), and the result is normalized to stages → jobs → steps.
 * https://learn.microsoft.com/azure/devops/pipelines/process/templates
 *
 * Supported, because syncgap's pipelines use them: `${{ expr }}` in values and keys (a value that is exactly one
 * expression keeps the expression's type, so an object can be passed on), `${{ if }}` / `${{ elseif }}` /
 * `${{ else }}` and `${{ each x in collection }}` as sequence items and as mapping keys, steps/jobs/stages
 * templates with list-form or mapping-form `parameters:`. Not supported (an error names it): `extends`,
 * variable templates, templates in other repositories (`x.yml@repo`), `${{ insert }}`, job strategies other than
 * `runOnce` for deployment jobs, `matrix`/`parallel`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ExpressionError, evaluate, toText, truthy, type Value } from "./expressions";

export class PipelineError extends Error {
  override name = "PipelineError";
}

type Mapping = { [key: string]: Value };

interface Scope {
  parameters: Mapping;
  locals: Mapping;
  /** The file being expanded, for error messages and relative template paths. */
  file: string;
}

export interface CompileOptions {
  /** Repository root: absolute template paths (`/pipelines/x.yml`) resolve from here. */
  rootDir: string;
  /** Values for the root file's runtime parameters (like the "Run pipeline" form). */
  parameters?: Mapping;
  /** Called with every file read (the pipeline, then each template), e.g. to validate it against the schema. */
  onFile?: (file: string, kind: "pipeline" | `${ListKind}Template`, doc: Value) => void;
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

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;
const WHOLE_EXPR = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/;
const DIRECTIVE = /^\s*\$\{\{\s*(if|elseif|else|each|insert)\b([\s\S]*?)\}\}\s*$/;
const NAME_RULE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isMapping(v: unknown): v is Mapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function readYamlFile(file: string): Value {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PipelineError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new PipelineError(`${file} is not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
  }
  return (doc.toJS() ?? null) as Value;
}

function lookupIn(scope: Scope) {
  return (name: string): Value | undefined => {
    if (name in scope.locals) return scope.locals[name];
    if (name === "parameters") return scope.parameters;
    return undefined;
  };
}

function evalIn(expr: string, scope: Scope): Value {
  try {
    return evaluate(expr, { lookup: lookupIn(scope) });
  } catch (e) {
    if (e instanceof ExpressionError) throw new PipelineError(`${scope.file}: \${{${expr}}}: ${e.message}`);
    throw e;
  }
}

function expandString(s: string, scope: Scope): Value {
  const whole = WHOLE_EXPR.exec(s);
  if (whole && !DIRECTIVE.test(s)) return evalIn(whole[1] as string, scope);
  if (!s.includes("${{")) return s;
  return s.replace(EXPR, (_m, expr: string) => {
    const v = evalIn(expr, scope);
    try {
      return toText(v);
    } catch (e) {
      throw new PipelineError(`${scope.file}: \${{${expr}}} is ${(e as Error).message}`);
    }
  });
}

type Directive =
  | { kind: "if" | "elseif"; expr: string }
  | { kind: "else" }
  | { kind: "each"; name: string; expr: string };

function parseDirective(key: string, scope: Scope): Directive | undefined {
  const m = DIRECTIVE.exec(key);
  if (!m) return undefined;
  const kind = m[1] as string;
  const rest = (m[2] as string).trim();
  if (kind === "insert") throw new PipelineError(`${scope.file}: \${{ insert }} is not supported by the local runner`);
  if (kind === "else") return { kind: "else" };
  if (kind === "each") {
    const each = /^([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([\s\S]+)$/.exec(rest);
    if (!each) throw new PipelineError(`${scope.file}: malformed each directive: ${key}`);
    return { kind: "each", name: each[1] as string, expr: each[2] as string };
  }
  return { kind: kind as "if" | "elseif", expr: rest };
}

function eachItems(collection: Value, scope: Scope, key: string): Value[] {
  if (Array.isArray(collection)) return collection;
  if (isMapping(collection)) return Object.entries(collection).map(([k, v]) => ({ key: k, value: v }));
  if (collection === null) return [];
  throw new PipelineError(`${scope.file}: ${key} iterates over a ${typeof collection}, not a list or mapping`);
}

type ListKind = "steps" | "jobs" | "stages";

/** Tracks an if/elseif/else chain across consecutive directive entries. */
class Chain {
  private taken: boolean | undefined;
  decide(d: Directive, scope: Scope): boolean {
    if (d.kind === "if") {
      this.taken = truthy(evalIn(d.expr, scope));
      return this.taken;
    }
    if (this.taken === undefined) throw new PipelineError(`${scope.file}: \${{ ${d.kind} }} without a preceding if`);
    if (this.taken) return false;
    if (d.kind === "else") {
      this.taken = undefined;
      return true;
    }
    this.taken = truthy(evalIn((d as { expr: string }).expr, scope));
    return this.taken;
  }
  reset() {
    this.taken = undefined;
  }
}

class Expander {
  constructor(private readonly options: CompileOptions) {}

  node(v: Value, scope: Scope, listKind?: ListKind): Value {
    if (typeof v === "string") return expandString(v, scope);
    if (Array.isArray(v)) return this.sequence(v, scope, listKind);
    if (isMapping(v)) return this.mapping(v, scope);
    return v;
  }

  sequence(items: Value[], scope: Scope, listKind?: ListKind): Value[] {
    const out: Value[] = [];
    const chain = new Chain();
    for (const item of items) {
      const keys = isMapping(item) ? Object.keys(item) : [];
      const d = keys.length === 1 ? parseDirective(keys[0] as string, scope) : undefined;
      if (d && isMapping(item)) {
        const body = item[keys[0] as string] as Value;
        const bodyItems = Array.isArray(body) ? body : body === null ? [] : [body];
        if (d.kind === "each") {
          chain.reset();
          for (const element of eachItems(evalIn(d.expr, scope), scope, keys[0] as string)) {
            const inner = { ...scope, locals: { ...scope.locals, [d.name]: element } };
            out.push(...this.sequence(bodyItems, inner, listKind));
          }
        } else if (chain.decide(d, scope)) {
          out.push(...this.sequence(bodyItems, scope, listKind));
        }
        continue;
      }
      chain.reset();
      const expanded = this.node(item, scope);
      if (listKind && isMapping(expanded) && typeof expanded.template === "string") {
        out.push(...this.template(expanded, scope, listKind));
      } else {
        out.push(expanded);
      }
    }
    return out;
  }

  mapping(obj: Mapping, scope: Scope): Mapping {
    const out: Mapping = {};
    const chain = new Chain();
    const merge = (body: Value, inner: Scope, key: string) => {
      if (body === null) return;
      if (!isMapping(body)) throw new PipelineError(`${scope.file}: the body of ${key} must be a mapping here`);
      Object.assign(out, this.mapping(body, inner));
    };
    for (const [key, value] of Object.entries(obj)) {
      const d = parseDirective(key, scope);
      if (d) {
        if (d.kind === "each") {
          chain.reset();
          for (const element of eachItems(evalIn(d.expr, scope), scope, key)) {
            merge(value, { ...scope, locals: { ...scope.locals, [d.name]: element } }, key);
          }
        } else if (chain.decide(d, scope)) {
          merge(value, scope, key);
        }
        continue;
      }
      chain.reset();
      const k = expandString(key, scope);
      if (typeof k !== "string") throw new PipelineError(`${scope.file}: the key ${key} does not evaluate to text`);
      const kind = (["steps", "jobs", "stages"] as const).find((n) => n === k);
      out[k] = this.node(value, scope, kind);
    }
    return out;
  }

  template(ref: Mapping, scope: Scope, listKind: ListKind): Value[] {
    const target = ref.template as string;
    if (target.includes("@")) {
      throw new PipelineError(`${scope.file}: templates from other repositories (${target}) are not supported`);
    }
    const extra = Object.keys(ref).filter((k) => k !== "template" && k !== "parameters");
    if (extra.length) throw new PipelineError(`${scope.file}: template reference ${target} has unknown keys ${extra}`);
    const file = target.startsWith("/")
      ? path.join(this.options.rootDir, target)
      : path.resolve(path.dirname(scope.file), target);
    const doc = readYamlFile(file);
    if (!isMapping(doc)) throw new PipelineError(`${file}: a template must be a mapping`);
    this.options.onFile?.(file, `${listKind}Template`, doc);
    const unknown = Object.keys(doc).filter((k) => k !== "parameters" && k !== listKind);
    if (unknown.length) {
      throw new PipelineError(`${file}: used as a ${listKind} template, but it has ${unknown.join(", ")}`);
    }
    const given = ref.parameters ?? {};
    if (!isMapping(given)) throw new PipelineError(`${scope.file}: parameters of ${target} must be a mapping`);
    const parameters = resolveParameters(doc.parameters ?? null, given, file);
    const body = doc[listKind] ?? [];
    if (!Array.isArray(body)) throw new PipelineError(`${file}: ${listKind} must be a list`);
    return this.sequence(body, { parameters, locals: {}, file }, listKind);
  }
}

const PARAMETER_TYPES = [
  "string",
  "number",
  "boolean",
  "object",
  "step",
  "stepList",
  "job",
  "jobList",
  "deployment",
  "deploymentList",
  "stage",
  "stageList",
  "environment",
  "filePath",
  "pool",
  "serviceConnection",
  "secureFile",
  "container",
  "containerList",
  "legacyObject",
  "stringList",
] as const;

/** Checks given values against a `parameters:` declaration (list or mapping form) and fills in defaults. */
export function resolveParameters(declared: Value, given: Mapping, file: string): Mapping {
  const out: Mapping = {};
  if (declared === null) {
    if (Object.keys(given).length) {
      throw new PipelineError(`${file} declares no parameters, but was given ${Object.keys(given).join(", ")}`);
    }
    return out;
  }
  if (isMapping(declared)) {
    // Legacy mapping form: name: default. Any value is accepted.
    for (const [name, def] of Object.entries(declared)) out[name] = name in given ? (given[name] as Value) : def;
    const unknown = Object.keys(given).filter((k) => !(k in declared));
    if (unknown.length) throw new PipelineError(`${file}: unexpected parameter(s) ${unknown.join(", ")}`);
    return out;
  }
  if (!Array.isArray(declared)) throw new PipelineError(`${file}: parameters must be a list or a mapping`);
  const names = new Set<string>();
  for (const p of declared) {
    if (!isMapping(p) || typeof p.name !== "string") throw new PipelineError(`${file}: a parameter without a name`);
    const name = p.name;
    names.add(name);
    const type = (p.type ?? "string") as string;
    if (!(PARAMETER_TYPES as readonly string[]).includes(type)) {
      throw new PipelineError(`${file}: parameter ${name} has unknown type ${type}`);
    }
    if (!(name in given) && !("default" in p)) {
      throw new PipelineError(`${file}: parameter ${name} has no default and was not given`);
    }
    const raw = (name in given ? given[name] : p.default) as Value;
    const value = convertParameter(raw, type, `${file}: parameter ${name}`);
    if (Array.isArray(p.values) && !p.values.some((allowed) => toText(allowed as Value) === toText(value))) {
      throw new PipelineError(
        `${file}: parameter ${name} is ${JSON.stringify(value)}, allowed: ${p.values.map(String).join(", ")}`,
      );
    }
    out[name] = value;
  }
  const unknown = Object.keys(given).filter((k) => !names.has(k));
  if (unknown.length) throw new PipelineError(`${file}: unexpected parameter(s) ${unknown.join(", ")}`);
  return out;
}

function convertParameter(v: Value, type: string, what: string): Value {
  switch (type) {
    case "boolean":
      if (typeof v === "boolean") return v;
      if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
      throw new PipelineError(`${what} must be a boolean, got ${JSON.stringify(v)}`);
    case "number":
      if (typeof v === "number") return v;
      if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
      throw new PipelineError(`${what} must be a number, got ${JSON.stringify(v)}`);
    case "string":
    case "environment":
    case "filePath":
    case "serviceConnection":
    case "secureFile":
      if (v !== null && typeof v === "object") throw new PipelineError(`${what} must be a string, got an object`);
      return toText(v);
    default:
      return v;
  }
}

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
