/**
 * The OData `$filter` parser: a recursive-descent parser for the subset Microsoft Graph supports on directory
 * objects (what each user property accepts is ./userFilter.ts).
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
import { badRequest, type GraphError, unsupportedQuery } from "../errors";

export type Literal = string | number | boolean | null | { dateTime: string };

export type FilterExpr =
  | { kind: "and" | "or"; left: FilterExpr; right: FilterExpr }
  | { kind: "not"; expr: FilterExpr }
  | { kind: "cmp"; op: CmpOp; prop: string; value: Literal; pos: number }
  | { kind: "in"; prop: string; values: Literal[]; pos: number }
  | { kind: "fn"; name: "startswith" | "endswith"; prop: string; value: string; pos: number };

export type CmpOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

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
