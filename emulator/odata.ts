/**
 * OData query options for `/users`: a recursive-descent `$filter` parser for the subset Microsoft Graph supports on
 * directory objects, its compiler to a predicate, and the advanced-query rules of
 * https://learn.microsoft.com/graph/aad-advanced-queries (table "Support for filter by properties of Microsoft Entra ID
 * (directory) objects", user rows).
 *
 * Grammar (keywords and function names case-insensitive):
 *   expr     := andExpr ('or' andExpr)*
 *   andExpr  := unary ('and' unary)*
 *   unary    := 'not' unary | primary
 *   primary  := '(' expr ')' | func | property cmpOp literal | property 'in' '(' literal (',' literal)* ')'
 *   func     := ('startswith' | 'endswith') '(' property ',' string ')'
 *   cmpOp    := eq | ne | gt | ge | lt | le
 *   literal  := 'string' ('' escapes a quote) | true | false | null | number | date/dateTimeOffset
 */
import { badRequest, type GraphError, unsupportedQuery } from "./errors";

export type Literal = string | number | boolean | null | { dateTime: string };

export type FilterExpr =
  | { kind: "and" | "or"; left: FilterExpr; right: FilterExpr }
  | { kind: "not"; expr: FilterExpr }
  | { kind: "cmp"; op: CmpOp; prop: string; value: Literal; pos: number }
  | { kind: "in"; prop: string; values: Literal[]; pos: number }
  | { kind: "fn"; name: "startswith" | "endswith"; prop: string; value: string; pos: number };

export type CmpOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

/** Level at which a `$filter` construct works: by default, only with advanced query parameters, or not at all. */
export type Support = "D" | "A" | "-";

export type PropType = "string" | "boolean" | "datetime";

interface FilterCaps {
  type: PropType;
  eq: Support;
  ne: Support;
  not: Support;
  ge: Support;
  le: Support;
  in: Support;
  startsWith: Support;
  /** Comparing with `null`. */
  null: Support;
  endsWith: Support;
}

/**
 * User properties and their `$filter` support, transcribed from Microsoft's table (microsoft-graph-docs-contrib
 * `includes/filter-directory-objects.md`). Columns: eq ne NOT ge le in startsWith null. Two rules from the same page
 * are applied on top: `in` works by default whenever `eq` does, and every property that supports `eq` supports
 * `ne`/`not` with advanced query parameters. `endsWith` needs advanced parameters and works only on mail,
 * otherMails, userPrincipalName and proxyAddresses.
 */
const TABLE: Record<string, [PropType, string]> = {
  accountEnabled: ["boolean", "D A A A A D - -"],
  city: ["string", "D A A D - D D A"],
  companyName: ["string", "A A A A A A A A"],
  country: ["string", "D A A D D D D A"],
  createdDateTime: ["datetime", "D A A D D A - -"],
  department: ["string", "D A A D D D D A"],
  displayName: ["string", "D A A - - D D A"],
  employeeId: ["string", "D A - - A - D A"],
  givenName: ["string", "D A - D D D D A"],
  id: ["string", "D A A - - - - -"],
  jobTitle: ["string", "D A - D D D - A"],
  mail: ["string", "D A - D D D D -"],
  mailNickname: ["string", "D A - D D D D A"],
  mobilePhone: ["string", "A A - A A A A A"],
  officeLocation: ["string", "A A - A A A A A"],
  onPremisesImmutableId: ["string", "A A - A A A - -"],
  onPremisesLastSyncDateTime: ["datetime", "A A - A A A - -"],
  onPremisesSamAccountName: ["string", "A A - A A A A -"],
  onPremisesSecurityIdentifier: ["string", "D A - - - D - A"],
  onPremisesSyncEnabled: ["boolean", "D A - A A D - -"],
  onPremisesUserPrincipalName: ["string", "D A - D D D D -"],
  postalCode: ["string", "A A - A A A A A"],
  preferredLanguage: ["string", "A A - A A A A A"],
  state: ["string", "D A - D D D D A"],
  streetAddress: ["string", "A A - A A A A A"],
  surname: ["string", "D A - D D D D A"],
  usageLocation: ["string", "D A - D D D D -"],
  userPrincipalName: ["string", "D A - - D D D -"],
  userType: ["string", "D A A - - D - A"],
};

const ENDS_WITH = new Set(["mail", "userPrincipalName"]);

export const USER_FILTER_CAPS: Record<string, FilterCaps> = Object.fromEntries(
  Object.entries(TABLE).map(([prop, [type, cols]]) => {
    const [eq, ne, not, ge, le, inn, sw, nul] = cols.split(" ") as Support[];
    const caps: FilterCaps = {
      type,
      eq,
      ne: eq === "-" ? ne : "A",
      not: eq === "-" ? not : "A",
      ge,
      le,
      in: eq === "D" ? "D" : inn !== "-" ? inn : eq,
      startsWith: sw,
      null: nul,
      endsWith: ENDS_WITH.has(prop) ? "A" : "-",
    };
    return [prop, caps];
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

type Tok =
  | { t: "("; pos: number }
  | { t: ")"; pos: number }
  | { t: ","; pos: number }
  | { t: "ident"; v: string; pos: number }
  | { t: "string"; v: string; pos: number }
  | { t: "number"; v: number; pos: number }
  | { t: "datetime"; v: string; pos: number }
  | { t: "end"; pos: number };

const DATETIME_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function syntaxError(text: string, pos: number, what: string): GraphError {
  return badRequest(`Invalid filter clause: ${what} at position ${pos} in '${text}'.`);
}

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      toks.push({ t: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      const start = i;
      let v = "";
      i++;
      for (;;) {
        if (i >= text.length) throw syntaxError(text, start, "Unterminated string literal");
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += text[i];
        i++;
      }
      toks.push({ t: "string", v, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(text[i + 1] ?? ""))) {
      const start = i;
      i++;
      while (i < text.length && /[0-9A-Za-z.:+-]/.test(text[i])) i++;
      const raw = text.slice(start, i);
      if (DATETIME_RE.test(raw)) toks.push({ t: "datetime", v: raw, pos: start });
      else if (/^-?\d+(\.\d+)?$/.test(raw)) toks.push({ t: "number", v: Number(raw), pos: start });
      else throw syntaxError(text, start, `Invalid literal '${raw}'`);
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_$./]/.test(text[i])) i++;
      toks.push({ t: "ident", v: text.slice(start, i), pos: start });
      continue;
    }
    if (c === ":" && toks.some((t) => t.t === "ident" && /\/(any|all)$/i.test(t.v))) {
      throw unsupportedQuery(
        "Unsupported query: lambda operators (any/all) are not supported by the local tenant emulator.",
      );
    }
    throw syntaxError(text, i, `Syntax error: character '${c}' is not valid`);
  }
  toks.push({ t: "end", pos: text.length });
  return toks;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

const CMP_OPS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

export function parseFilter(text: string): FilterExpr {
  const toks = tokenize(text);
  let p = 0;
  const peek = () => toks[p];
  const isKw = (tok: Tok, kw: string) => tok.t === "ident" && tok.v.toLowerCase() === kw;
  const expect = (t: "(" | ")" | ","): void => {
    const tok = toks[p];
    if (tok.t !== t) throw syntaxError(text, tok.pos, `Syntax error: expected '${t}'`);
    p++;
  };

  function literal(): Literal {
    const tok = toks[p];
    switch (tok.t) {
      case "string":
        p++;
        return tok.v;
      case "number":
        p++;
        return tok.v;
      case "datetime":
        p++;
        return { dateTime: tok.v };
      case "ident": {
        const v = tok.v.toLowerCase();
        if (v === "true" || v === "false" || v === "null") {
          p++;
          return v === "null" ? null : v === "true";
        }
        throw syntaxError(text, tok.pos, `Syntax error: expected a literal but found '${tok.v}'`);
      }
      default:
        throw syntaxError(text, tok.pos, "Syntax error: expected a literal");
    }
  }

  function property(): { prop: string; pos: number } {
    const tok = toks[p];
    if (tok.t !== "ident") throw syntaxError(text, tok.pos, "Syntax error: expected a property name");
    const low = tok.v.toLowerCase();
    if (["true", "false", "null", "and", "or", "not"].includes(low) || CMP_OPS.has(low)) {
      throw syntaxError(text, tok.pos, `Syntax error: expected a property name but found '${tok.v}'`);
    }
    if (tok.v.includes("/")) {
      throw unsupportedQuery(`Unsupported query: navigation or lambda expressions ('${tok.v}') are not supported.`);
    }
    p++;
    return { prop: tok.v, pos: tok.pos };
  }

  function primary(): FilterExpr {
    const tok = peek();
    if (tok.t === "(") {
      p++;
      const e = orExpr();
      expect(")");
      return e;
    }
    if (tok.t === "ident" && toks[p + 1]?.t === "(") {
      const name = tok.v.toLowerCase();
      if (name !== "startswith" && name !== "endswith") {
        if (name === "not") {
          // `not(expr)` is the not operator applied to a parenthesised expression
          p++;
          return { kind: "not", expr: primary() };
        }
        throw unsupportedQuery(`Unsupported query: the function '${tok.v}' is not supported.`);
      }
      p += 2;
      const { prop } = property();
      expect(",");
      const arg = toks[p];
      if (arg.t !== "string") throw syntaxError(text, arg.pos, `Syntax error: ${tok.v} expects a string literal`);
      p++;
      expect(")");
      return { kind: "fn", name, prop, value: arg.v, pos: tok.pos };
    }
    const { prop, pos } = property();
    const opTok = peek();
    if (opTok.t !== "ident") throw syntaxError(text, opTok.pos, "Syntax error: expected an operator");
    const op = opTok.v.toLowerCase();
    if (op === "in") {
      p++;
      expect("(");
      const values: Literal[] = [literal()];
      while (peek().t === ",") {
        p++;
        values.push(literal());
      }
      expect(")");
      return { kind: "in", prop, values, pos };
    }
    if (!CMP_OPS.has(op)) throw syntaxError(text, opTok.pos, `Syntax error: unknown operator '${opTok.v}'`);
    p++;
    const value = literal();
    return { kind: "cmp", op: op as CmpOp, prop, value, pos };
  }

  function unary(): FilterExpr {
    const tok = peek();
    if (isKw(tok, "not") && toks[p + 1]?.t !== "end") {
      p++;
      return { kind: "not", expr: unary() };
    }
    return primary();
  }

  function andExpr(): FilterExpr {
    let left = unary();
    while (isKw(peek(), "and")) {
      p++;
      left = { kind: "and", left, right: unary() };
    }
    return left;
  }

  function orExpr(): FilterExpr {
    let left = andExpr();
    while (isKw(peek(), "or")) {
      p++;
      left = { kind: "or", left, right: andExpr() };
    }
    return left;
  }

  if (toks[0].t === "end") throw badRequest("Invalid filter clause: the $filter expression is empty.");
  const e = orExpr();
  const rest = peek();
  if (rest.t !== "end") throw syntaxError(text, rest.pos, "Syntax error: unexpected token");
  return e;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks against the property table, and compilation

export interface CompiledFilter {
  test: (u: Record<string, unknown>) => boolean;
  /** Constructs that need `ConsistencyLevel: eventual` + `$count=true`, named for the error message. */
  advanced: string[];
}

const EDM: Record<PropType, string> = { string: "Edm.String", boolean: "Edm.Boolean", datetime: "Edm.DateTimeOffset" };

function literalEdm(v: Literal): string {
  if (v === null) return "null";
  if (typeof v === "string") return "Edm.String";
  if (typeof v === "boolean") return "Edm.Boolean";
  if (typeof v === "number") return "Edm.Int32";
  return "Edm.DateTimeOffset";
}

function norm(v: unknown): unknown {
  return typeof v === "string" ? v.toLowerCase() : v;
}

function litValue(v: Literal): unknown {
  if (v !== null && typeof v === "object") return Date.parse(v.dateTime);
  return norm(v);
}

function propValue(type: PropType, raw: unknown): unknown {
  if (raw === undefined || raw === null) return null;
  if (type === "datetime") return Date.parse(String(raw));
  return norm(raw);
}

/**
 * Checks `expr` against user property support and compiles it. `knownProps` are the names of the Graph user type
 * (so an unknown name gives Graph's "Could not find a property" error and a known but unfilterable one gives
 * `Request_UnsupportedQuery`).
 */
export function compileUserFilter(
  expr: FilterExpr,
  knownProps: ReadonlySet<string>,
  canonical: (p: string) => string | undefined,
): CompiledFilter {
  const advanced: string[] = [];
  const need = (s: Support, what: string, prop: string) => {
    if (s === "-")
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
      );
    if (s === "A") advanced.push(what);
  };
  const capsOf = (name: string): { prop: string; caps: FilterCaps } => {
    const prop = canonical(name);
    if (!prop || !knownProps.has(prop)) {
      throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`);
    }
    const caps = USER_FILTER_CAPS[prop];
    if (!caps)
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
      );
    return { prop, caps };
  };
  const checkType = (prop: string, caps: FilterCaps, v: Literal, op: string) => {
    if (v === null) return;
    const lit = literalEdm(v);
    const ok =
      (caps.type === "string" && lit === "Edm.String") ||
      (caps.type === "boolean" && lit === "Edm.Boolean") ||
      (caps.type === "datetime" && lit === "Edm.DateTimeOffset");
    if (!ok) {
      throw badRequest(
        `A binary operator with incompatible types was detected. Found operand types '${EDM[caps.type]}' and '${lit}' for operator kind '${op}' (property '${prop}').`,
      );
    }
  };

  function walk(e: FilterExpr): (u: Record<string, unknown>) => boolean {
    switch (e.kind) {
      case "and": {
        const l = walk(e.left);
        const r = walk(e.right);
        return (u) => l(u) && r(u);
      }
      case "or": {
        const l = walk(e.left);
        const r = walk(e.right);
        return (u) => l(u) || r(u);
      }
      case "not": {
        advanced.push("not");
        const inner = walk(e.expr);
        return (u) => !inner(u);
      }
      case "fn": {
        const { prop, caps } = capsOf(e.prop);
        const needle = e.value.toLowerCase();
        if (e.name === "startswith") {
          need(caps.startsWith, `startsWith on '${prop}'`, prop);
          return (u) => {
            const v = u[prop];
            return typeof v === "string" && v.toLowerCase().startsWith(needle);
          };
        }
        if (caps.endsWith === "-") {
          throw unsupportedQuery(
            `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
          );
        }
        advanced.push("endsWith");
        return (u) => {
          const v = u[prop];
          return typeof v === "string" && v.toLowerCase().endsWith(needle);
        };
      }
      case "in": {
        const { prop, caps } = capsOf(e.prop);
        need(caps.in, `in on '${prop}'`, prop);
        for (const v of e.values) checkType(prop, caps, v, "In");
        const set = new Set(e.values.map(litValue));
        return (u) => set.has(propValue(caps.type, u[prop]));
      }
      case "cmp": {
        const { prop, caps } = capsOf(e.prop);
        if (e.value === null) {
          if (e.op !== "eq" && e.op !== "ne")
            throw badRequest(`Invalid filter clause: '${e.op}' cannot compare with null.`);
          need(caps.null, `null comparison on '${prop}'`, prop);
          if (e.op === "ne") advanced.push("ne");
          return e.op === "eq" ? (u) => u[prop] == null : (u) => u[prop] != null;
        }
        checkType(
          prop,
          caps,
          e.value,
          {
            eq: "Equal",
            ne: "NotEqual",
            gt: "GreaterThan",
            ge: "GreaterThanOrEqual",
            lt: "LessThan",
            le: "LessThanOrEqual",
          }[e.op],
        );
        const lit = litValue(e.value) as string | number | boolean;
        switch (e.op) {
          case "eq":
            need(caps.eq, `eq on '${prop}'`, prop);
            return (u) => propValue(caps.type, u[prop]) === lit;
          case "ne":
            need(caps.ne, "ne", prop);
            advanced.push("ne");
            return (u) => propValue(caps.type, u[prop]) !== lit;
          case "ge":
          case "gt": {
            need(caps.ge, `${e.op} on '${prop}'`, prop);
            const strict = e.op === "gt";
            return (u) => {
              const v = propValue(caps.type, u[prop]);
              return v !== null && (strict ? (v as typeof lit) > lit : (v as typeof lit) >= lit);
            };
          }
          default: {
            need(caps.le, `${e.op} on '${prop}'`, prop);
            const strict = e.op === "lt";
            return (u) => {
              const v = propValue(caps.type, u[prop]);
              return v !== null && (strict ? (v as typeof lit) < lit : (v as typeof lit) <= lit);
            };
          }
        }
      }
    }
  }
  const test = walk(expr);
  return { test, advanced: [...new Set(advanced)] };
}

/** The error Graph returns when an advanced-only construct is used without `ConsistencyLevel: eventual` + `$count=true`. */
export function advancedQueryRequired(what: string): GraphError {
  const op = what.startsWith("endsWith") ? "endsWith" : what;
  return unsupportedQuery(
    `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
  );
}

/** Parses `$top`: an integer 1–999 for directory objects (https://learn.microsoft.com/graph/paging). */
export function parseTop(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw)) {
    throw badRequest(
      `Invalid value '${raw}' for $top query option found. The $top query option requires a non-negative integer value.`,
    );
  }
  const n = Number(raw);
  if (n < 1 || n > 999) {
    throw badRequest(`Invalid page size specified: '${n}'. Must be between 1 and 999 inclusive.`, "Request_BadRequest");
  }
  return n;
}

/** Parses `$select` against the known (canonical) property names; unknown names → Graph's 400. */
export function parseSelect(
  raw: string | undefined,
  canonical: (p: string) => string | undefined,
  typeName: string,
): string[] | undefined {
  if (raw === undefined) return undefined;
  const out: string[] = [];
  for (const part of raw.split(",")) {
    const name = part.trim();
    if (!name) throw badRequest(`Syntax error at position ${raw.length} in '${raw}'.`);
    if (name === "*") return undefined;
    const c = canonical(name);
    if (!c) throw badRequest(`Could not find a property named '${name}' on type '${typeName}'.`);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
