/**
 * The local Entra ID tenant server: one HTTPS listener on 127.0.0.1 serving the identity platform (authority), Microsoft
 * Graph v1.0 and the admin API (`/_emulator/…`), and `startEmulator()`, its programmatic entry point.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { registerAdminRoutes } from "./admin";
import { AdminClient } from "./adminClient";
import { type CaMaterial, createCa, issueServerCertificate, type ServerTlsMaterial } from "./certs";
import { AadstsError, aadstsErrorBody, GraphError, graphErrorBody } from "./errors";
import { BETA_ROUTES, resolveRoute } from "./graph";
import type { GraphRequest, GraphResponse } from "./graph/request";
import { registerIdentityRoutes } from "./identity";
import { requestCost, writeCost } from "./limits";
import { loadSeedFile, type Seed, type TenantOptionsPatch, validateSeed } from "./seed";
import { EmulatorState } from "./state";
import { type AccessTokenClaims, loadOrCreateSigningKey, TokenService } from "./tokens";

export const DEFAULT_SEED_PATH = resolve(__dirname, "seeds", "contoso.json");
export const ADMIN_KEY_HEADER = "x-emulator-admin-key";
const GRAPH_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const BAD_JSON =
  "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";

export interface StartEmulatorOptions {
  /** Port on 127.0.0.1 (0 or absent: a free port). */
  port?: number;
  /** A seed object or the path of a seed JSON file (default: emulator/seeds/contoso.json). */
  seed?: Seed | string;
  /** Keep the CA, its key and the token signing key here, so clients trust the same CA across restarts. */
  stateDir?: string;
  /** Use this CA (it issues the server certificate) or this ready server certificate instead of making a CA. */
  tls?: { caCertPem: string; caKeyPem: string } | { certPem: string; keyPem: string; caPem: string };
  /** Shortcut for options.tokenLifetimeSeconds. */
  tokenLifetimeSeconds?: number;
  /** Tenant options over the seed's. */
  options?: TenantOptionsPatch;
  /** Admin key (default: random). */
  adminKey?: string;
  /** Informational log lines (never secrets). */
  log?: (line: string) => void;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:PORT` */
  baseUrl: string;
  /** The authority host for @azure/identity (`authorityHost`): same as baseUrl. */
  authorityHost: string;
  /** `https://127.0.0.1:PORT/v1.0` */
  graphBaseUrl: string;
  hostName: string;
  port: number;
  /** File holding the CA certificate (PEM) that clients must trust. */
  caCertPath: string;
  caPem: string;
  /** Id of the tenant currently served (changes when a different seed is loaded). */
  readonly tenantId: string;
  adminKey: string;
  admin: AdminClient;
  /** In-process access to the tenant (tests); other processes use `admin`. */
  state: EmulatorState;
  stop(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    claims: AccessTokenClaims | null;
    startedAt: bigint;
    faultName: string | null;
  }
}

type Area = "graph" | "identity" | "admin" | "other";

function areaOf(path: string): Area {
  if (path.startsWith("/_emulator")) return "admin";
  if (path === "/v1.0" || path.startsWith("/v1.0/") || path.startsWith("/beta/")) return "graph";
  if (/^\/[^/]+\/(oauth2|v2\.0|discovery|userrealm)(\/|$)/i.test(path) || path.startsWith("/devicelogin"))
    return "identity";
  return "other";
}

function splitUrl(url: string): { path: string; rawQuery: string } {
  const i = url.indexOf("?");
  return i < 0 ? { path: url, rawQuery: "" } : { path: url.slice(0, i), rawQuery: url.slice(i + 1) };
}

async function loadTls(opts: StartEmulatorOptions, dir: string): Promise<ServerTlsMaterial> {
  if (opts.tls && "certPem" in opts.tls)
    return { certPem: opts.tls.certPem, keyPem: opts.tls.keyPem, caPem: opts.tls.caPem };
  let ca: CaMaterial;
  if (opts.tls) {
    ca = { certPem: opts.tls.caCertPem, keyPem: opts.tls.caKeyPem };
  } else if (opts.stateDir && existsSync(join(dir, "ca.pem")) && existsSync(join(dir, "ca-key.pem"))) {
    ca = { certPem: readFileSync(join(dir, "ca.pem"), "utf8"), keyPem: readFileSync(join(dir, "ca-key.pem"), "utf8") };
  } else {
    ca = await createCa();
    if (opts.stateDir) {
      writeFileSync(join(dir, "ca-key.pem"), ca.keyPem, { mode: 0o600 });
    }
  }
  return issueServerCertificate(ca, ["localhost"], ["127.0.0.1", "::1"]);
}

function resolveSeed(opts: StartEmulatorOptions): Seed {
  const base =
    opts.seed === undefined
      ? loadSeedFile(DEFAULT_SEED_PATH)
      : typeof opts.seed === "string"
        ? loadSeedFile(opts.seed)
        : validateSeed(structuredClone(opts.seed));
  const options: TenantOptionsPatch = { ...(base.options ?? {}), ...(opts.options ?? {}) };
  if (opts.options?.throttling || base.options?.throttling) {
    options.throttling = { ...(base.options?.throttling ?? {}), ...(opts.options?.throttling ?? {}) };
  }
  if (opts.tokenLifetimeSeconds !== undefined) options.tokenLifetimeSeconds = opts.tokenLifetimeSeconds;
  return validateSeed({ ...base, options });
}

/** Starts the local tenant on 127.0.0.1 over HTTPS. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const log = opts.log ?? (() => {});
  const seed = resolveSeed(opts);
  const ownsDir = !opts.stateDir;
  const dir = opts.stateDir ? resolve(opts.stateDir) : mkdtempSync(join(tmpdir(), "syncgap-emulator-"));
  mkdirSync(dir, { recursive: true });
  const tls = await loadTls(opts, dir);
  const caCertPath = join(dir, "ca.pem");
  writeFileSync(caCertPath, tls.caPem);
  chmodSync(caCertPath, 0o644);
  const key = await loadOrCreateSigningKey(opts.stateDir ? join(dir, "signing-key.json") : undefined);
  const state = new EmulatorState(seed, new TokenService(key));
  const adminKey = opts.adminKey ?? randomBytes(24).toString("base64url");

  const app = Fastify({
    https: { key: tls.keyPem, cert: tls.certPem },
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  let port = 0;
  const origins = () => [`https://127.0.0.1:${port}`, `https://localhost:${port}`, `https://[::1]:${port}`];
  const originOf = (req: FastifyRequest): string => {
    const o = `https://${req.headers.host ?? ""}`.toLowerCase();
    return origins().includes(o) ? o : `https://127.0.0.1:${port}`;
  };

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

  // ---- Graph v1.0
  const graphHandler = (version: "v1.0" | "beta") => async (req: FastifyRequest, reply: FastifyReply) => {
    const tenant = state.tenant;
    const claims = await state.tokens.verifyGraphToken(tenant, req.headers.authorization);
    req.claims = claims;
    const { path, rawQuery } = splitUrl(req.url);
    let segments: string[];
    try {
      segments = path.slice(`/${version}`.length).split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new GraphError(400, "BadRequest", "Invalid URL encoding in the request path.");
    }
    let resolved: ReturnType<typeof resolveRoute>;
    if (version === "beta") {
      // Only users/{id}/onPremisesSyncBehavior lives here (emulator/graph/onPremisesSyncBehavior.ts); other beta
      // paths answer as before.
      try {
        resolved = resolveRoute(req.method, segments, BETA_ROUTES);
      } catch (e) {
        if (e instanceof GraphError && e.status === 405) throw e;
        throw new GraphError(
          400,
          "BadRequest",
          "Invalid version: beta. The local tenant emulates Microsoft Graph v1.0 (and beta users/{id}/onPremisesSyncBehavior) only.",
        );
      }
    } else {
      resolved = resolveRoute(req.method, segments);
    }
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[]>)) {
      if (Array.isArray(v))
        throw new GraphError(
          400,
          "BadRequest",
          `Query option '${k}' was specified more than once, but it must be specified at most once.`,
        );
      query[k] = v;
    }
    if (resolved.route.name !== "$batch") {
      // https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits: resource units and the
      // write quota per app+tenant, with the x-ms-* headers that page describes.
      const cost = requestCost(req.method, resolved.route.name, query);
      reply.header("x-ms-resource-unit", String(cost));
      const t = state.throttle.take(claims.appid, cost, writeCost(req.method), tenant.users.size);
      if (t.wait > 0) {
        throw new GraphError(
          429,
          "Request_ThrottledTemporarily",
          `Your request is throttled temporarily. Please try after ${t.wait} seconds.`,
          {
            "retry-after": String(t.wait),
            "x-ms-throttle-scope": `Tenant_Application/${t.limit}/${claims.appid}/${tenant.id}`,
            "x-ms-throttle-information": String(t.information),
          },
        );
      }
      if (t.used > 0.8) reply.header("x-ms-throttle-limit-percentage", String(Math.round(t.used * 100) / 100));
    }
    const greq: GraphRequest = {
      method: req.method,
      segments,
      query,
      rawQuery,
      headers: req.headers,
      body: req.body,
      claims,
      origin: originOf(req),
    };
    const res =
      resolved.route.name === "$batch"
        ? await handleBatch(req, greq, version)
        : await resolved.handler(state, greq, resolved.params);
    reply.header("odata-version", "4.0");
    for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
    reply.code(res.status);
    if (res.status === 204 || res.body === undefined) return reply.send();
    // A handler that sets its own content type (e.g. text/plain for `/users/$count`) sends its body as it is.
    if (res.headers?.["content-type"] && typeof res.body === "string") return reply.send(res.body);
    return reply.type(GRAPH_CONTENT_TYPE).send(JSON.stringify(res.body));
  };

  /** JSON batching (https://learn.microsoft.com/graph/json-batching): ≤ 20 requests, each through the same pipeline. */
  async function handleBatch(
    req: FastifyRequest,
    greq: GraphRequest,
    version: "v1.0" | "beta" = "v1.0",
  ): Promise<GraphResponse> {
    const body = greq.body as { requests?: unknown } | undefined;
    if (!body || typeof body !== "object" || !Array.isArray(body.requests)) {
      throw new GraphError(
        400,
        "BadRequest",
        "Invalid batch payload format: the body must be an object with a 'requests' array.",
      );
    }
    const requests = body.requests as Record<string, unknown>[];
    if (requests.length === 0)
      throw new GraphError(400, "BadRequest", "Invalid batch payload format: 'requests' is empty.");
    if (requests.length > 20) {
      throw new GraphError(
        400,
        "BadRequest",
        `The number of requests in the batch (${requests.length}) exceeds the limit of 20.`,
      );
    }
    const ids = new Set<string>();
    for (const r of requests) {
      if (!r || typeof r !== "object")
        throw new GraphError(400, "BadRequest", "Invalid batch payload format: each request must be an object.");
      if (typeof r.id !== "string" || !r.id)
        throw new GraphError(400, "BadRequest", "Invalid batch payload format: each request needs a string 'id'.");
      if (ids.has(r.id))
        throw new GraphError(400, "BadRequest", `Invalid batch payload format: duplicate request id '${r.id}'.`);
      ids.add(r.id);
      if (typeof r.method !== "string" || !["GET", "POST", "PATCH", "PUT", "DELETE"].includes(r.method.toUpperCase())) {
        throw new GraphError(
          400,
          "BadRequest",
          `Invalid batch payload format: request '${r.id}' has no valid 'method'.`,
        );
      }
      if (typeof r.url !== "string" || !r.url)
        throw new GraphError(400, "BadRequest", `Invalid batch payload format: request '${r.id}' has no 'url'.`);
      const headers = (r.headers ?? {}) as Record<string, unknown>;
      const hasType = Object.keys(headers).some((k) => k.toLowerCase() === "content-type");
      if (r.body !== undefined && !hasType) {
        throw new GraphError(
          400,
          "BadRequest",
          `Write request id : ${r.id} does not contain Content-Type header or body.`,
        );
      }
      if (
        r.dependsOn !== undefined &&
        (!Array.isArray(r.dependsOn) || r.dependsOn.some((d) => typeof d !== "string" || !ids.has(d) || d === r.id))
      ) {
        throw new GraphError(
          400,
          "BadRequest",
          `Invalid batch payload format: request '${r.id}' depends on an unknown or later request.`,
        );
      }
    }
    const statuses = new Map<string, number>();
    const responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] = [];
    for (const r of requests) {
      const id = r.id as string;
      const deps = (r.dependsOn ?? []) as string[];
      if (deps.some((d) => (statuses.get(d) ?? 500) >= 400)) {
        statuses.set(id, 424);
        responses.push({
          id,
          status: 424,
          headers: { "content-type": "application/json" },
          body: graphErrorBody(
            "FailedDependency",
            "A request this request depends on failed.",
            req.id,
            String(req.headers["client-request-id"] ?? req.id),
          ),
        });
        continue;
      }
      let url = r.url as string;
      url = url.replace(/^https:\/\/[^/]+/i, "");
      if (!url.startsWith("/")) url = `/${url}`;
      if (!/^\/(v1\.0|beta)(\/|$)/i.test(url)) url = `/${version}${url}`;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((r.headers ?? {}) as Record<string, unknown>))
        headers[k.toLowerCase()] = String(v);
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      headers["x-emulator-batch"] = state.batchNonce;
      headers.host = String(req.headers.host ?? `127.0.0.1:${port}`);
      const payload = r.body === undefined ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      const res = await app.inject({
        method: (r.method as string).toUpperCase() as "GET",
        url,
        headers,
        payload,
      });
      const outHeaders: Record<string, string> = {};
      for (const h of ["content-type", "retry-after", "location", "preference-applied", "odata-version"]) {
        const v = res.headers[h];
        if (v !== undefined) outHeaders[h] = String(v);
      }
      let resBody: unknown;
      if (res.body) {
        try {
          resBody = JSON.parse(res.body);
        } catch {
          resBody = res.body;
        }
      }
      statuses.set(id, res.statusCode);
      responses.push({
        id,
        status: res.statusCode,
        headers: outHeaders,
        ...(resBody === undefined ? {} : { body: resBody }),
      });
    }
    return { status: 200, body: { responses } };
  }

  app.route({ method: ["GET", "POST", "PATCH", "PUT", "DELETE"], url: "/v1.0", handler: graphHandler("v1.0") });
  app.route({ method: ["GET", "POST", "PATCH", "PUT", "DELETE"], url: "/v1.0/*", handler: graphHandler("v1.0") });
  app.route({ method: ["GET", "POST", "PATCH", "PUT", "DELETE"], url: "/beta/*", handler: graphHandler("beta") });

  registerIdentityRoutes(app, { state, originOf, origins });
  await app.register(
    async (scope) => {
      registerAdminRoutes(scope, {
        state,
        adminKey,
        info: () => ({ baseUrl: `https://127.0.0.1:${port}`, caCertPath }),
      });
    },
    { prefix: "/_emulator" },
  );

  await app.listen({ port: opts.port ?? 0, host: "127.0.0.1" });
  const addr = app.server.address();
  port = typeof addr === "object" && addr ? addr.port : 0;
  const baseUrl = `https://127.0.0.1:${port}`;
  log(`local tenant ${state.tenant.displayName} (${state.tenant.id}) listening on ${baseUrl}`);

  let stopped = false;
  return {
    baseUrl,
    authorityHost: baseUrl,
    graphBaseUrl: `${baseUrl}/v1.0`,
    hostName: "127.0.0.1",
    port,
    caCertPath,
    caPem: tls.caPem,
    get tenantId() {
      return state.tenant.id;
    },
    adminKey,
    admin: new AdminClient(baseUrl, adminKey, { ca: tls.caPem }),
    state,
    async stop() {
      if (stopped) return;
      stopped = true;
      state.close();
      await app.close();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
