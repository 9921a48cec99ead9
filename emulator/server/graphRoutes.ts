/**
 * Microsoft Graph on the local tenant: `/v1.0/*` and the few `/beta/*` routes (emulator/graph/), each request authenticated
 * and throttled here before its handler runs, and JSON batching (`$batch`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GraphError, graphErrorBody } from "../errors";
import { BETA_ROUTES, resolveRoute } from "../graph";
import type { GraphRequest, GraphResponse } from "../graph/request";
import { requestCost, writeCost } from "../limits";
import type { EmulatorState } from "../state";
import { splitUrl } from "./requestArea";

export const GRAPH_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export interface GraphRoutesDeps {
  state: EmulatorState;
  /** The origin the request came in on, when it is one of the listener's, else `https://127.0.0.1:PORT`. */
  originOf: (req: FastifyRequest) => string;
  /** The port listened on (0 until the server listens): the Host of a batch sub-request that came without one. */
  port: () => number;
}

/** Registers the Graph routes on `app`. */
export function registerGraphRoutes(app: FastifyInstance, { state, originOf, port }: GraphRoutesDeps): void {
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
      headers.host = String(req.headers.host ?? `127.0.0.1:${port()}`);
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
}
