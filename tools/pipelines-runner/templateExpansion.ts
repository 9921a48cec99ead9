/**
 * Template expansion, as Azure Pipelines does it when it compiles a pipeline: `${{ expr }}` evaluated in values and
 * keys (a value that is exactly one expression keeps the expression's type, so an object can be passed on),
 * `${{ if }}` / `${{ elseif }}` / `${{ else }}` and `${{ each x in collection }}` as sequence items and as mapping
 * keys, and `template:` references in steps, jobs and stages lists replaced by the template's content, its
 * declared `parameters:` checked and defaulted (parameters.ts). That is what syncgap's pipelines use. Not supported
 * (an error names it): templates in other repositories (`x.yml@repo`), `${{ insert }}`.
 * https://learn.microsoft.com/azure/devops/pipelines/process/template-expressions
 */
import path from "node:path";
import { ExpressionError, evaluate, toText, truthy, type Value } from "./expressions";
import { resolveParameters } from "./parameters";
import { isMapping, type Mapping, PipelineError, readYamlFile } from "./pipelineFile";

interface Scope {
  parameters: Mapping;
  locals: Mapping;
  /** The file being expanded, for error messages and relative template paths. */
  file: string;
}

type ListKind = "steps" | "jobs" | "stages";

/** What expanding `template:` references needs to know. */
export interface TemplateOptions {
  /** Repository root: absolute template paths (`/pipelines/x.yml`) resolve from here. */
  rootDir: string;
  /** Called with every file read (the pipeline, then each template), e.g. to validate it against the schema. */
  onFile?: (file: string, kind: "pipeline" | `${ListKind}Template`, doc: Value) => void;
}

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;
const WHOLE_EXPR = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/;
const DIRECTIVE = /^\s*\$\{\{\s*(if|elseif|else|each|insert)\b([\s\S]*?)\}\}\s*$/;

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

/** Expands a file's content in a scope; `template:` references are read, checked and expanded in turn. */
export class Expander {
  constructor(private readonly options: TemplateOptions) {}

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
