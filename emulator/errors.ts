/**
 * Error bodies in the shapes Microsoft's services use.
 *
 * Graph: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * (https://learn.microsoft.com/graph/errors). Identity platform: the OAuth 2.0 error JSON with AADSTS codes
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */

/** A Graph error that route handlers throw; the server's error handler turns it into the Graph body. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GraphError";
  }

  get statusCode(): number {
    return this.status;
  }
}

/** An identity-platform (token endpoint) error. */
export class AadstsError extends Error {
  constructor(
    readonly status: number,
    /** OAuth error, e.g. `invalid_client`. */
    readonly error: string,
    /** AADSTS number, e.g. 7000215. */
    readonly aadsts: number,
    message: string,
  ) {
    super(message);
    this.name = "AadstsError";
  }
}

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; "request-id": string; "client-request-id": string };
  };
}

/** Graph's innerError date has no fractional seconds and no zone (e.g. `2021-05-18T19:03:10`). */
export function graphErrorDate(d = new Date()): string {
  return d.toISOString().slice(0, 19);
}

export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
): GraphErrorBody {
  return {
    error: {
      code,
      message,
      innerError: { date: graphErrorDate(), "request-id": requestId, "client-request-id": clientRequestId },
    },
  };
}

/** Entra's token-endpoint timestamp format, e.g. `2024-05-21 10:03:27Z`. */
function aadTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

export interface AadstsErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

export function aadstsErrorBody(
  e: AadstsError,
  traceId: string,
  correlationId: string,
  origin: string,
): AadstsErrorBody {
  const now = new Date();
  const ts = aadTimestamp(now);
  return {
    error: e.error,
    error_description: `AADSTS${e.aadsts}: ${e.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${ts}`,
    error_codes: [e.aadsts],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${origin}/error?code=${e.aadsts}`,
  };
}

export const INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation.";

export function forbidden(): GraphError {
  return new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
}

export function badRequest(message: string, code = "BadRequest"): GraphError {
  return new GraphError(400, code, message);
}

export function unsupportedQuery(message: string): GraphError {
  return new GraphError(400, "Request_UnsupportedQuery", message);
}
