/**
 * OData query options for `/users` besides `$filter` (./filterParser.ts, ./userFilter.ts): `$top`, `$select`, and the
 * error for an advanced-only construct used without the advanced query parameters.
 */
import { badRequest, type GraphError, unsupportedQuery } from "../errors";

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
