/**
 * What every Graph route of the local tenant works with: the request and response shapes the server hands the
 * handlers, the route table's types, and the helpers the routes share (query-option checks, 404s, page tokens and
 * nextLinks, `@odata.context`, PATCH bodies).
 */
import { badRequest, GraphError } from "../errors";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";

export interface GraphRequest {
  method: string;
  /** Decoded path segments after `/v1.0`. */
  segments: string[];
  query: Record<string, string>;
  /** The raw query string (without `?`), to build nextLinks. */
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  claims: AccessTokenClaims;
  origin: string;
}

export interface GraphResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (
  state: EmulatorState,
  req: GraphRequest,
  params: string[],
) => Promise<GraphResponse> | GraphResponse;

export interface RouteDef {
  pattern: string[];
  /** Route name (used for request costs). */
  name: string;
  methods: Record<string, Handler>;
}

export function header(req: GraphRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function notFound(key: string): GraphError {
  return new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function checkQueryOptions(req: GraphRequest, allowed: string[]): void {
  for (const k of Object.keys(req.query)) {
    if (!k.startsWith("$")) continue;
    if (k === "$skip") throw badRequest("'$skip' is not supported by the service.", "Request_BadRequest");
    if (!allowed.includes(k)) throw badRequest(`The query parameter '${k}' is not supported.`);
  }
}

export function encodeToken(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString("base64url");
}

export function decodeToken<T>(raw: string, what: string): T {
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (v && typeof v === "object") return v as T;
  } catch {
    /* fall through */
  }
  throw badRequest(`Invalid ${what} value.`, "Request_BadRequest");
}

export function expiredPageToken(): GraphError {
  return new GraphError(
    400,
    "Directory_ExpiredPageToken",
    "The specified page token value has expired and can no longer be included in your request.",
  );
}

/** Rebuilds the request URL with the query options kept and `$skiptoken` replaced. */
export function nextLink(req: GraphRequest, path: string, token: string, keep = true): string {
  const parts = keep ? req.rawQuery.split("&").filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p)) : [];
  parts.push(`$skiptoken=${token}`);
  return `${req.origin}/v1.0/${path}?${parts.join("&")}`;
}

export function metadataContext(req: GraphRequest, fragment: string): string {
  return `${req.origin}/v1.0/$metadata#${fragment}`;
}

export function selectFragment(select: string[] | undefined): string {
  return select ? `(${select.join(",")})` : "";
}

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest(
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  return body as Record<string, unknown>;
}

export function unknownProperty(name: string, type: string): GraphError {
  return badRequest(
    `The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
}

/**
 * An instance or property annotation (`@odata.context`, `@odata.type`, `@odata.etag`, `features@odata.type`, …). A
 * client that PATCHes back what it read echoes them; OData services ignore annotations in a request body rather
 * than treat them as properties (OData JSON Format 4.01, §20 "Instance Annotations"), so the emulator skips them.
 * syncgap itself sends the strict form (test/emulator/sync-features.test.ts checks that).
 */
export function isAnnotation(key: string): boolean {
  return key.startsWith("@") || key.includes("@odata.");
}
