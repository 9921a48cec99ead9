import { type GraphConnectionSettings, resolvedEndpoints } from "./connection";
import { type GraphNeedName, SYNCGAP_NEEDS } from "./permissions";

/**
 * Turns what the Graph SDK throws into errors that say what failed, why, and what to do.
 * Graph's error body: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
 * https://learn.microsoft.com/graph/errors
 */
const THROTTLING_DOC = "https://learn.microsoft.com/graph/throttling";

export interface PermissionHint {
  /** What the call needs, in words. */
  needs: string;
  doc: string;
}

/** The hint for a refused call, from the one table of what syncgap asks of Graph (graph/permissions.ts). */
export function permissionHint(need: GraphNeedName): PermissionHint {
  const row = SYNCGAP_NEEDS[need];
  return { needs: row.hint, doc: row.doc };
}

export class GraphRequestError extends Error {
  override name = "GraphRequestError";
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface SdkError {
  statusCode?: number;
  code?: string | null;
  message?: string;
  requestId?: string | null;
  body?: unknown;
}

/**
 * What the client's own middleware throws (graph/client.ts): a request refused before it left, one that got
 * no answer, one Graph asked to postpone beyond the retry budget, a connection that kept failing. The message already
 * says what happened and what to do; describeGraphError() only puts the call's name in front.
 *
 * The Graph SDK turns any other error a middleware throws into its own GraphError, keeping the message and the name
 * (as `code`) but not the fields (GraphRequest.send rethrows only GraphClientError as it is), so graphClient.ts puts
 * the SDK's GraphClientError under this class once the SDK is loaded (see passThroughSdk).
 */
export class GraphCallError extends Error {
  override name = "GraphCallError";
  constructor(
    message: string,
    /** The URL of the request. */
    readonly url: string,
    /** The last HTTP status, when there was an answer. */
    readonly status?: number,
    readonly requestId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A request to another origin than the configured Graph endpoint: refused, never sent (the token is Graph's only). */
export class GraphOriginError extends GraphCallError {
  override name = "GraphOriginError";
}

/** No answer within the per-attempt timeout, on every attempt the retry budget allowed. */
export class GraphTimeoutError extends GraphCallError {
  override name = "GraphTimeoutError";
}

/** Graph asked (Retry-After) to wait longer than what is left of the retry budget. */
export class GraphRetryAfterError extends GraphCallError {
  override name = "GraphRetryAfterError";
}

/** The connection kept failing (refused, reset, TLS) until the retries ran out. */
export class GraphNetworkError extends GraphCallError {
  override name = "GraphNetworkError";
}

const CALL_ERROR_NAMES = new Set([
  "GraphCallError",
  "GraphOriginError",
  "GraphTimeoutError",
  "GraphRetryAfterError",
  "GraphNetworkError",
]);

/** Wraps any error from a Graph call, naming the call and, for 401/403/429, the remedy. */
export function describeGraphError(what: string, e: unknown, hint?: PermissionHint): Error {
  if (e instanceof GraphRequestError) return e;
  if (e instanceof GraphCallError) {
    return new GraphRequestError(
      `${what} failed${e.status ? ` with HTTP ${e.status}` : ""}: ${e.message}${e.requestId ? ` (request-id ${e.requestId})` : ""}`,
      e.status,
      e.name,
      e.requestId,
      { cause: e },
    );
  }
  const err = e as SdkError & Error;
  // A client built without passThroughSdk (or another SDK copy) still carries our error's name and message.
  if (typeof err?.code === "string" && CALL_ERROR_NAMES.has(err.code)) {
    return new GraphRequestError(`${what} failed: ${err.message}`, undefined, err.code, undefined, { cause: e });
  }
  // The SDK wraps what a middleware throws into its own GraphError, keeping the original name as `code`.
  if (err instanceof GraphAuthError) return err;
  if (err?.name === "GraphAuthError" || err?.code === "GraphAuthError") return new GraphAuthError(err.message, err);
  const status = typeof err?.statusCode === "number" && err.statusCode > 0 ? err.statusCode : undefined;
  const code = err?.code ?? undefined;
  const requestId = err?.requestId ?? undefined;
  const detail = String(err?.message ?? e).replace(/[.\s]+$/, "");
  const base = `${what} failed${status ? ` with HTTP ${status}` : ""}${code ? ` ${code}` : ""}: ${detail}`;
  let remedy = "";
  if (status === 403) {
    remedy = hint
      ? ` The identity lacks the permission: it needs ${hint.needs}. See ${hint.doc}.`
      : " The identity lacks a permission for this call.";
  } else if (status === 401) {
    remedy =
      " The token was rejected even after a fresh one was fetched: check the tenant id, the app registration and its credential.";
  } else if (status === 429) {
    remedy = ` Graph kept throttling after the retry budget ran out; try again later or lower the read rate (${THROTTLING_DOC}).`;
  } else if (status && status >= 500) {
    remedy = " Graph kept failing after retries; try again later.";
  } else if (!status) {
    remedy = " Graph could not be reached: check the endpoint, network and trusted certificates.";
  }
  return new GraphRequestError(
    `${base}.${remedy}${requestId ? ` (request-id ${requestId})` : ""}`,
    status,
    code,
    requestId,
    {
      cause: e,
    },
  );
}

/** Authentication failed before Graph was reached: names the tenant, client and method, never the secret. */
export class GraphAuthError extends Error {
  override name = "GraphAuthError";
  constructor(s: GraphConnectionSettings | string, cause?: Error) {
    if (typeof s === "string") {
      super(s, { cause });
      return;
    }
    const reason = cause ?? new Error("unknown");
    const first = String(reason.message ?? reason).split("\n")[0];
    super(
      `could not get a token for tenant ${s.tenantId}${s.clientId ? ` and client ${s.clientId}` : ""} ` +
        `(auth method ${s.authMethod}, authority ${resolvedEndpoints(s).authorityHost}): ${first}. ` +
        "Check the tenant and client ids and the credential (see docs/authentication.md).",
      { cause: reason },
    );
  }
}
