/**
 * `$filter` on `/users`: which user property supports which construct, per the advanced-query rules of
 * https://learn.microsoft.com/graph/aad-advanced-queries (table "Support for filter by properties of Microsoft Entra ID
 * (directory) objects", user rows), and the compiler of a parsed filter (./filterParser.ts) to a predicate.
 */
import { badRequest, unsupportedQuery } from "../errors";
import type { FilterExpr, Literal } from "./filterParser";

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
