/**
 * The part of Azure Pipelines' expression language that syncgap's pipelines use, for the local runner: template
 * expressions (`${{ parameters.install }}`, `${{ if eq(…) }}`, `${{ each tenant in parameters.tenants }}`) and
 * run-time conditions (`condition: and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))`).
 * https://learn.microsoft.com/azure/devops/pipelines/process/expressions
 *
 * The language has no operators, only literals, property access (`a.b`, `a['b']`) and function calls. What is
 * here follows the documented semantics for what it supports (case-insensitive string comparison, type
 * conversion of the right operand to the left one's type, `True`/`False` as the string form of booleans);
 * anything else (an unknown function, `dependencies.*`, `counter`) is an error that names it, so a pipeline that
 * needs more than this fails loudly in the runner instead of running differently.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export class ExpressionError extends Error {
  override name = "ExpressionError";
}

/** Status functions (`succeeded()`, …) exist only in run-time conditions; the runner passes them in. */
export type StatusFunctions = Record<
  "succeeded" | "failed" | "succeededOrFailed" | "always" | "canceled",
  () => boolean
>;

export interface ExpressionContext {
  /** Named values: `parameters`, `variables`, an `each` loop's variable. Undefined → the name is unknown. */
  lookup(name: string): Value | undefined;
  status?: StatusFunctions;
}

type Node =
  | { kind: "literal"; value: Value }
  | { kind: "name"; name: string }
  | { kind: "member"; object: Node; property: Node }
  | { kind: "call"; name: string; args: Node[] };

type Token =
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "id"; v: string }
  | { t: "punct"; v: "(" | ")" | "[" | "]" | "," | "." };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new ExpressionError(`unterminated string in expression: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i));
      out.push({ t: "num", v: Number(m?.[0]) });
      i += m?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
      out.push({ t: "id", v: m?.[0] as string });
      i += m?.[0].length ?? 1;
    } else if ("()[],.".includes(c)) {
      out.push({ t: "punct", v: c as "(" });
      i++;
    } else {
      throw new ExpressionError(`unexpected character '${c}' in expression: ${src}`);
    }
  }
  return out;
}

export function parseExpression(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const expectPunct = (v: string) => {
    const tok = tokens[pos++];
    if (tok?.t !== "punct" || tok.v !== v) {
      throw new ExpressionError(`expected '${v}' in expression: ${src}`);
    }
  };
  const primary = (): Node => {
    const tok = tokens[pos++];
    if (!tok) throw new ExpressionError(`unexpected end of expression: ${src}`);
    if (tok.t === "str") return { kind: "literal", value: tok.v };
    if (tok.t === "num") return { kind: "literal", value: tok.v };
    if (tok.t === "punct" && tok.v === "(") {
      const inner = expression();
      expectPunct(")");
      return inner;
    }
    if (tok.t === "id") {
      const next = peek();
      if (next?.t === "punct" && next.v === "(") {
        pos++;
        const args: Node[] = [];
        if (!(peek()?.t === "punct" && (peek() as { v: string }).v === ")")) {
          for (;;) {
            args.push(expression());
            const sep = peek();
            if (sep?.t === "punct" && sep.v === ",") {
              pos++;
              continue;
            }
            break;
          }
        }
        expectPunct(")");
        return { kind: "call", name: tok.v, args };
      }
      const lower = tok.v.toLowerCase();
      if (lower === "true") return { kind: "literal", value: true };
      if (lower === "false") return { kind: "literal", value: false };
      if (lower === "null") return { kind: "literal", value: null };
      return { kind: "name", name: tok.v };
    }
    throw new ExpressionError(`unexpected '${tok.v}' in expression: ${src}`);
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      const tok = peek();
      if (tok?.t === "punct" && tok.v === ".") {
        pos++;
        const prop = tokens[pos++];
        if (prop?.t !== "id") throw new ExpressionError(`expected a property name after '.' in: ${src}`);
        node = { kind: "member", object: node, property: { kind: "literal", value: prop.v } };
      } else if (tok?.t === "punct" && tok.v === "[") {
        pos++;
        const index = expression();
        expectPunct("]");
        node = { kind: "member", object: node, property: index };
      } else {
        return node;
      }
    }
  };
  const node = expression();
  if (pos !== tokens.length) throw new ExpressionError(`unexpected text after the expression: ${src}`);
  return node;
}

/** The string form Azure Pipelines gives a value when it is put into text. */
export function toText(v: Value | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  throw new ExpressionError(`an ${Array.isArray(v) ? "array" : "object"} cannot be used as text`);
}

export function truthy(v: Value | undefined): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v.length > 0;
  return true;
}

/** Converts `right` to the type of `left`, as the documented comparison functions do. */
function convertLike(left: Value, right: Value): Value | undefined {
  if (typeof left === typeof right) return right;
  if (typeof left === "string") return right === null ? "" : typeof right === "object" ? undefined : toText(right);
  if (typeof left === "boolean") return truthy(right);
  if (typeof left === "number") {
    if (typeof right === "string") return right.trim() === "" ? 0 : Number(right);
    if (typeof right === "boolean") return right ? 1 : 0;
    if (right === null) return 0;
  }
  return undefined;
}

function equals(left: Value, right: Value): boolean {
  const r = convertLike(left, right);
  if (r === undefined) return false;
  if (typeof left === "string" && typeof r === "string") return left.toLowerCase() === r.toLowerCase();
  return left === r;
}

function member(object: Value | undefined, key: Value): Value | undefined {
  if (object === null || object === undefined || typeof object !== "object") return undefined;
  if (Array.isArray(object)) {
    return typeof key === "number" ? object[key] : undefined;
  }
  const k = toText(key);
  if (k in object) return object[k];
  // Property names are case-insensitive, like variable names.
  const hit = Object.keys(object).find((name) => name.toLowerCase() === k.toLowerCase());
  return hit === undefined ? undefined : object[hit];
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  eq: ([a, b]) => equals(a, b),
  ne: ([a, b]) => !equals(a, b),
  in: ([a, ...rest]) => rest.some((b) => equals(a, b)),
  notin: ([a, ...rest]) => !rest.some((b) => equals(a, b)),
  contains: ([a, b]) => toText(a).toLowerCase().includes(toText(b).toLowerCase()),
  startswith: ([a, b]) => toText(a).toLowerCase().startsWith(toText(b).toLowerCase()),
  endswith: ([a, b]) => toText(a).toLowerCase().endsWith(toText(b).toLowerCase()),
  lower: ([a]) => toText(a).toLowerCase(),
  upper: ([a]) => toText(a).toUpperCase(),
  replace: ([a, b, c]) => toText(a).split(toText(b)).join(toText(c)),
  format: ([f, ...rest]) => toText(f).replace(/\{(\d+)\}/g, (_m, n: string) => toText(rest[Number(n)])),
  coalesce: (args) => args.find((a) => a !== null && a !== "") ?? null,
  join: ([sep, list]) => (Array.isArray(list) ? list.map((x) => toText(x)).join(toText(sep)) : toText(list)),
  length: ([a]) =>
    typeof a === "string"
      ? a.length
      : Array.isArray(a)
        ? a.length
        : a && typeof a === "object"
          ? Object.keys(a).length
          : 0,
};

export function evaluateNode(node: Node, ctx: ExpressionContext): Value {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "name": {
      const v = ctx.lookup(node.name);
      if (v === undefined) {
        throw new ExpressionError(
          `unknown name '${node.name}' (the local runner knows parameters, variables and loop variables)`,
        );
      }
      return v;
    }
    case "member":
      return member(evaluateNode(node.object, ctx), evaluateNode(node.property, ctx)) ?? null;
    case "call": {
      const name = node.name.toLowerCase();
      // Short-circuit logic, as documented: and/or stop at the first deciding argument.
      if (name === "and") return node.args.every((a) => truthy(evaluateNode(a, ctx)));
      if (name === "or") return node.args.some((a) => truthy(evaluateNode(a, ctx)));
      if (name === "not") return !truthy(evaluateNode(node.args[0] as Node, ctx));
      if (ctx.status && name in lowerKeys(ctx.status)) {
        return (lowerKeys(ctx.status)[name] as () => boolean)();
      }
      if (["succeeded", "failed", "succeededorfailed", "always", "canceled"].includes(name)) {
        throw new ExpressionError(`${node.name}() is only allowed in a run-time condition`);
      }
      const fn = FUNCTIONS[name];
      if (!fn) throw new ExpressionError(`the local runner does not implement the function ${node.name}()`);
      return fn(node.args.map((a) => evaluateNode(a, ctx)));
    }
  }
}

function lowerKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

export function evaluate(src: string, ctx: ExpressionContext): Value {
  return evaluateNode(parseExpression(src), ctx);
}

/** Run-time condition: an expression whose result is read as a boolean. */
export function evaluateCondition(src: string, ctx: ExpressionContext): boolean {
  return truthy(evaluate(src, ctx));
}
