/**
 * Template and runtime parameters: the values given to a file checked against its `parameters:` declaration (the
 * list form with `type`, `default` and `values`, or the legacy mapping form of name: default), defaulted and
 * converted to the declared type. An unknown, missing or ill-typed value is an error, as Azure Pipelines refuses to
 * compile the pipeline. https://learn.microsoft.com/azure/devops/pipelines/process/template-parameters
 */
import { toText, type Value } from "./expressions";
import { isMapping, type Mapping, PipelineError } from "./pipelineFile";

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
