/**
 * Validates pipeline YAML against Microsoft's Azure Pipelines schema (the copy in
 * test/fixtures/azure-pipelines/, provenance in its README). The settings, and why, are in that README:
 * draft-07 ajv, `strict: false`, `unicodeRegExp: false`, `coerceTypes: true`; template-expression keys are lifted
 * into place before validation; the marketplace task Pulumi@1 is added as a task with unchecked inputs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type { Value } from "./expressions";

export const DEFAULT_SCHEMA = path.resolve(
  __dirname,
  "..",
  "..",
  "test",
  "fixtures",
  "azure-pipelines",
  "service-schema.json",
);

/** Marketplace tasks the pipelines use; the schema lists built-in tasks only. */
export const MARKETPLACE_TASKS = ["Pulumi@1"] as const;

export type SchemaKind = "pipeline" | "stepsTemplate" | "jobsTemplate" | "stagesTemplate";

export interface SchemaResult {
  valid: boolean;
  errors: string[];
}

const DIRECTIVE = /^\s*\$\{\{\s*(if|elseif|else|each)\b[\s\S]*\}\}\s*$/;

type Mapping = { [key: string]: Value };
const isMapping = (v: unknown): v is Mapping => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Puts the content of `${{ if }}`/`${{ else }}`/`${{ each }}` keys where the key stands, so that every branch is
 * validated as if it were taken: a sequence item `- ${{ each x in y }}: [a, b]` becomes the items a, b; a mapping
 * key `${{ if c }}: {k: v}` becomes k: v in the parent mapping.
 */
export function liftTemplateExpressions(v: Value): Value {
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (const item of v) {
      const keys = isMapping(item) ? Object.keys(item) : [];
      if (isMapping(item) && keys.length === 1 && DIRECTIVE.test(keys[0] as string)) {
        const body = item[keys[0] as string] as Value;
        if (Array.isArray(body)) out.push(...(liftTemplateExpressions(body) as Value[]));
        else if (body !== null) out.push(liftTemplateExpressions(body));
        continue;
      }
      out.push(liftTemplateExpressions(item));
    }
    return out;
  }
  if (isMapping(v)) {
    const out: Mapping = {};
    for (const [k, val] of Object.entries(v)) {
      if (DIRECTIVE.test(k) && isMapping(val)) Object.assign(out, liftTemplateExpressions(val));
      else out[k] = liftTemplateExpressions(val);
    }
    return out;
  }
  return v;
}

function describe(errors: ErrorObject[]): string[] {
  // anyOf over dozens of step and task shapes produces many errors; the deepest ones point at the real problem.
  const depth = (e: ErrorObject) => e.instancePath.split("/").length;
  const max = Math.max(...errors.map(depth));
  const deepest = errors.filter((e) => depth(e) === max && e.keyword !== "anyOf" && e.keyword !== "oneOf");
  const lines = (deepest.length ? deepest : errors).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `${e.instancePath || "/"}: ${e.message}${extra ? ` ("${extra}")` : ""}`;
  });
  return [...new Set(lines)].slice(0, 12);
}

export class PipelineSchema {
  private readonly validators = new Map<SchemaKind, ValidateFunction>();
  private readonly ajv: Ajv;

  constructor(schemaPath: string = DEFAULT_SCHEMA) {
    const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
    const task = schema.definitions.task;
    for (const name of MARKETPLACE_TASKS) {
      task.properties.task.anyOf.push({ description: `${name} (marketplace task)`, enum: [name] });
      task.anyOf.push({
        properties: { task: { pattern: `^${name.replace(/[.@]/g, "\\$&")}$` }, inputs: { type: "object" } },
      });
    }
    this.ajv = new Ajv({
      strict: false,
      allErrors: true,
      coerceTypes: true,
      allowUnionTypes: true,
      unicodeRegExp: false,
    });
    this.ajv.addSchema(schema, "azure-pipelines");
  }

  private validator(kind: SchemaKind): ValidateFunction {
    let v = this.validators.get(kind);
    if (!v) {
      const ref = kind === "pipeline" ? "azure-pipelines" : `azure-pipelines#/definitions/${kind}`;
      v = this.ajv.getSchema(ref);
      if (!v) throw new Error(`the schema has no ${ref}`);
      this.validators.set(kind, v);
    }
    return v;
  }

  /** Validates a parsed YAML document (it is copied first: type coercion changes the data it checks). */
  validate(doc: Value, kind: SchemaKind = "pipeline"): SchemaResult {
    const data = liftTemplateExpressions(structuredClone(doc));
    const v = this.validator(kind);
    if (v(data)) return { valid: true, errors: [] };
    return { valid: false, errors: describe(v.errors ?? []) };
  }
}
