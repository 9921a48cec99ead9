/**
 * Reading a pipeline or template file, and PipelineError: the error for a pipeline Azure Pipelines would refuse to
 * compile, which every part of the compiler (templates.ts, templateExpansion.ts, parameters.ts) throws.
 */
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { Value } from "./expressions";

export class PipelineError extends Error {
  override name = "PipelineError";
}

/** A YAML mapping, as the compiler reads it. */
export type Mapping = { [key: string]: Value };

export function isMapping(v: unknown): v is Mapping {
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
