/**
 * What every request to the local tenant goes through, whatever its area (./requestArea.ts): the request decorations,
 * the body parsers, injected faults (`state.faults`), the request log, and the error and not-found handlers that answer
 * in Graph's or the identity platform's error format.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AadstsError, aadstsErrorBody, GraphError, graphErrorBody } from "../errors";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { GRAPH_CONTENT_TYPE } from "./graphRoutes";
import { type Area, areaOf, splitUrl } from "./requestArea";

const BAD_JSON =
  "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";

declare module "fastify" {
  interface FastifyRequest {
    claims: AccessTokenClaims | null;
    startedAt: bigint;
    faultName: string | null;
  }
}

export interface RequestPipelineDeps {
  state: EmulatorState;
  /** The origin the request came in on, when it is one of the listener's, else `https://127.0.0.1:PORT`. */
  originOf: (req: FastifyRequest) => string;
}

/** Registers all of it on `app` (startEmulator does so before it adds any route). */
export function registerRequestPipeline(app: FastifyInstance, { state, originOf }: RequestPipelineDeps): void {
  app.decorateRequest("claims", null);
  app.decorateRequest("faultName", null);
  app.decorateRequest("startedAt", BigInt(0));

  // Bodies: JSON kept strict (malformed → Graph's 400), form bodies for the token endpoint.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GraphError(400, "BadRequest", BAD_JSON), undefined);
    }
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.addHook("onRequest", async (req, reply) => {
    req.startedAt = process.hrtime.bigint();
    const clientRequestId = req.headers["client-request-id"];
    reply.header("request-id", req.id);
    reply.header(
      "client-request-id",
      typeof clientRequestId === "string" && clientRequestId ? clientRequestId : req.id,
    );
    const { path } = splitUrl(req.url);
    const area = areaOf(path);
    if (area === "admin") return;
    const fired = state.faults.match(req.method, path);
    if (!fired.length) return;
    const isBatchSub = req.headers["x-emulator-batch"] === state.batchNonce;
    for (const f of fired) {
      if (f.kind === "latency") {
        req.faultName = `latency ${f.latencyMs ?? 0}ms`;
        await new Promise((r) => setTimeout(r, f.latencyMs ?? 0));
      }
    }
    const drop = fired.find((f) => f.kind === "drop");
    if (drop && !isBatchSub) {
      req.faultName = "drop";
      logEntry(req, 0, area);
      reply.hijack();
      req.raw.socket.destroy();
      return reply;
    }
    const status = fired.find((f) => f.kind === "status");
    if (status) {
      const code = status.status ?? 503;
      req.faultName = `status ${code}`;
      if (status.retryAfterSeconds !== undefined) reply.header("retry-after", String(status.retryAfterSeconds));
      if (area === "identity") {
        const e = new AadstsError(
          code,
          code === 429 ? "temporarily_unavailable" : "server_error",
          90033,
          "A transient error has occurred (injected by the local tenant). Please try again.",
        );
        return reply
          .code(code)
          .send(aadstsErrorBody(e, req.id, String(req.headers["client-request-id"] ?? req.id), originOf(req)));
      }
      const gcode =
        code === 429
          ? "TooManyRequests"
          : code === 503
            ? "ServiceNotAvailable"
            : code === 504
              ? "GatewayTimeout"
              : "InternalServerError";
      return reply
        .code(code)
        .type(GRAPH_CONTENT_TYPE)
        .send(
          graphErrorBody(
            gcode,
            `Injected fault: ${code} from the local tenant.`,
            req.id,
            String(reply.getHeader("client-request-id")),
          ),
        );
    }
  });

  function logEntry(req: FastifyRequest, status: number, area: Area): void {
    if (area === "admin") return;
    const { path } = splitUrl(req.url);
    const isWrite = req.method === "PATCH" || req.method === "POST" || req.method === "PUT";
    const claims = req.claims;
    state.log.push({
      time: new Date().toISOString(),
      method: req.method,
      url: req.url,
      path,
      status,
      durationMs: Number(process.hrtime.bigint() - req.startedAt) / 1e6,
      area: area === "graph" ? "graph" : area === "identity" ? "identity" : "other",
      isPatch: req.method === "PATCH",
      body: area === "graph" && isWrite ? req.body : undefined,
      batch: req.headers["x-emulator-batch"] === state.batchNonce,
      requestId: req.id,
      clientRequestId: typeof req.headers["client-request-id"] === "string" ? req.headers["client-request-id"] : null,
      appId: claims?.appid,
      userId: claims && claims.idtyp === "user" ? claims.oid : undefined,
      fault: req.faultName ?? undefined,
    });
  }

  app.addHook("onResponse", async (req, reply) => {
    logEntry(req, reply.statusCode, areaOf(splitUrl(req.url).path));
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const area = areaOf(splitUrl(req.url).path);
    const clientRequestId = String(reply.getHeader("client-request-id") ?? req.id);
    if (err instanceof AadstsError) {
      return reply
        .code(err.status)
        .send(aadstsErrorBody(err, req.id, String(req.headers["client-request-id"] ?? req.id), originOf(req)));
    }
    let g: GraphError;
    if (err instanceof GraphError) g = err;
    else if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      g = new GraphError(413, "RequestEntityTooLarge", "The request body is too large.");
    else if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      g = new GraphError(415, "UnsupportedMediaType", `Unsupported media type '${req.headers["content-type"] ?? ""}'.`);
    else if (err.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || err.code === "FST_ERR_CTP_INVALID_JSON_BODY")
      g = new GraphError(400, "BadRequest", BAD_JSON);
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      g = new GraphError(err.statusCode, "BadRequest", err.message);
    else {
      process.stderr.write(
        `[emulator] internal error on ${req.method} ${splitUrl(req.url).path}: ${err.stack ?? err.message}\n`,
      );
      g = new GraphError(
        500,
        "InternalServerError",
        `An internal error occurred in the local tenant emulator: ${err.message}`,
      );
    }
    if (area === "identity" && !(err instanceof GraphError)) {
      const e = new AadstsError(g.status, g.status >= 500 ? "server_error" : "invalid_request", 900144, g.message);
      return reply.code(g.status).send(aadstsErrorBody(e, req.id, clientRequestId, originOf(req)));
    }
    for (const [k, v] of Object.entries(g.headers)) reply.header(k, v);
    return reply
      .code(g.status)
      .type(GRAPH_CONTENT_TYPE)
      .send(graphErrorBody(g.code, g.message, req.id, clientRequestId));
  });

  app.setNotFoundHandler(async (req) => {
    const { path } = splitUrl(req.url);
    const first = path.split("/")[1] ?? "";
    if (/^(beta|v\d+(\.\d+)?)$/i.test(first)) {
      throw new GraphError(
        400,
        "BadRequest",
        `Invalid version: ${first}. The local tenant emulates Microsoft Graph v1.0 only.`,
      );
    }
    throw new GraphError(404, "Request_ResourceNotFound", `No local tenant endpoint at '${path}'.`);
  });
}
