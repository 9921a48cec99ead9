/**
 * Links in Graph answers and in the delta state are attacker-controlled input: they are followed only into the
 * configured Graph API, never in a loop, never past the page cap, and the Graph token never reaches another host.
 * A stalled page ends the read in time. A stand-in Graph (loopback HTTPS, trusted through `caCertPath` as the product
 * trusts the local tenant) serves the crafted pages; a capture server records whatever reaches it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MAX_PAGES, readSyncedUsers, readUsersDelta } from "../../gap/entra/graphReader";
import { GapInputError } from "../../gap/errors";
import { runGapAnalysis } from "../../gap/index";
import type { GapRunSpec } from "../../gap/types";
import { createGraphConnection, type GraphClientOptions } from "../../graph/client";
import type { GraphConnectionSettings } from "../../graph/connection";
import { memorySource } from "../support/gapUsers";
import {
  createTestCa,
  graphUser,
  json,
  type LoopbackHttps,
  startLoopbackHttps,
  type TestCa,
} from "../support/loopbackHttps";

const TOKEN = "graph-only-token-4f1c2b9e";
const credential: TokenCredential = {
  getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

let ca: TestCa;
let graph: LoopbackHttps;
let capture: LoopbackHttps;
const stateDir = mkdtempSync(join(tmpdir(), "syncgap-links-"));

beforeAll(async () => {
  ca = await createTestCa();
  graph = await startLoopbackHttps(ca);
  capture = await startLoopbackHttps(ca, (_req, res) => json(res, { value: [] }));
});
afterAll(async () => {
  await graph?.close();
  await capture?.close();
});
beforeEach(() => {
  graph.requests.length = 0;
  capture.requests.length = 0;
});

function settings(endpoint = graph.origin): GraphConnectionSettings {
  return {
    cloud: "global",
    tenantId: "7c0a4b1e-5d2f-4e8a-9b3c-1f2e3d4c5b6a",
    clientId: "3f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f",
    authMethod: "clientSecret",
    graphEndpoint: endpoint,
    authorityHost: endpoint,
    caCertPath: ca.caCertPath,
  };
}

const fast: GraphClientOptions = { credential, retry: { maxRetries: 1, baseDelayMs: 10 } };

function spec(extra: { deltaStatePath?: string; endpoint?: string } = {}): GapRunSpec {
  return {
    ad: { kind: "source", source: memorySource([]) },
    entra: {
      kind: "graph",
      connection: settings(extra.endpoint),
      ...(extra.deltaStatePath ? { deltaStatePath: extra.deltaStatePath } : {}),
    },
  };
}

const skiptoken = (req: IncomingMessage) => new URL(req.url ?? "/", "https://x").searchParams.get("$skiptoken");

/** Proves the capture server would have seen a request: TLS to it works with the same trust. */
async function expectCaptureReachable(): Promise<void> {
  const before = capture.requests.length;
  const res = await fetch(`${capture.origin}/probe`);
  expect(res.status).toBe(200);
  expect(capture.requests.length).toBe(before + 1);
  capture.requests.length = before;
}

describe("@odata.nextLink to another origin", () => {
  it("is never followed: the capture server gets no request and the run is a GapInputError naming both origins", async () => {
    graph.handle((_req, res) =>
      json(res, { value: [graphUser(1)], "@odata.nextLink": `${capture.origin}/v1.0/users?$skiptoken=steal` }),
    );
    const err = await runGapAnalysis(spec(), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.source).toMatch(/^Entra ID \(Graph https:\/\/127\.0\.0\.1:\d+\/v1\.0/);
    expect(err.message).toContain(`points at ${capture.origin}, not at the configured Graph endpoint ${graph.origin}`);
    expect(err.message).toContain("it was not followed");
    expect(capture.requests).toEqual([]);
    // The stand-in Graph did get the token: the header is attached, to Graph only.
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    await expectCaptureReachable();
  });

  it("a link on Graph's host but outside /v1.0 is not followed either", async () => {
    graph.handle((_req, res) =>
      json(res, { value: [graphUser(1)], "@odata.nextLink": `${graph.origin}/beta/users?$skiptoken=2` }),
    );
    const err = await runGapAnalysis(spec(), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain(`outside ${graph.origin}/v1.0/ of the Graph API`);
    expect(graph.requests).toHaveLength(1);
  });

  it("a link that is no absolute URL is refused", async () => {
    graph.handle((_req, res) => json(res, { value: [graphUser(1)], "@odata.nextLink": "//evil.example/v1.0/users" }));
    const err = await runGapAnalysis(spec(), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain('is not an absolute URL: "//evil.example/v1.0/users"');
  });
});

describe("the client itself", () => {
  it("refuses to send any request to another origin, so the token cannot leak through another caller", async () => {
    const conn = createGraphConnection(settings(), { credential });
    const err = await conn.client
      .api(`${capture.origin}/v1.0/users`)
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphOriginError");
    expect(err.message).toContain(`refused to send GET ${capture.origin}/v1.0/users`);
    expect(err.message).toContain(`not the configured Graph endpoint ${graph.origin}`);
    expect(err.url).toBe(`${capture.origin}/v1.0/users`);
    expect(capture.requests).toEqual([]);
    expect(conn.stats.requests).toBe(0);
  });
});

describe("page loops and the page cap", () => {
  it("a nextLink pointing at its own page ends the read, naming the link", async () => {
    // page 1 links to page 2, and page 2 links to itself
    graph.handle((_req, res) =>
      json(res, { value: [graphUser(1)], "@odata.nextLink": `${graph.origin}/v1.0/users?$skiptoken=2` }),
    );
    const err = await runGapAnalysis(spec(), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain(
      `@odata.nextLink of page 2 repeats the @odata.nextLink of page 1 (${graph.origin}/v1.0/users?$skiptoken=2)`,
    );
    expect(graph.requests).toHaveLength(2);
  });

  it("a nextLink pointing back to an earlier page ends the read", async () => {
    // page 1 → 2 → 3 → 2 …
    graph.handle((req, res) => {
      const next = { null: "2", "2": "3", "3": "2" }[String(skiptoken(req))];
      json(res, {
        value: [graphUser(Number(skiptoken(req) ?? 1))],
        "@odata.nextLink": `${graph.origin}/v1.0/users?$skiptoken=${next}`,
      });
    });
    const err = await runGapAnalysis(spec(), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain("@odata.nextLink of page 3 repeats the @odata.nextLink of page 1");
    expect(graph.requests).toHaveLength(3);
  });

  it("stops at the page cap when every page links to a new one", async () => {
    graph.handle((req, res) => {
      const n = Number(skiptoken(req) ?? 1);
      json(res, { value: [graphUser(n)], "@odata.nextLink": `${graph.origin}/v1.0/users?$skiptoken=${n + 1}` });
    });
    const conn = createGraphConnection(settings(), fast);
    const err = await readSyncedUsers(conn, { maxPages: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain("still an @odata.nextLink after 3 pages; the read was stopped there");
    expect(err.message).toContain(`default ${DEFAULT_MAX_PAGES}`);
    expect(graph.requests).toHaveLength(3);
  });

  it("the delta round has the same cap", async () => {
    graph.handle((req, res) => {
      const n = Number(skiptoken(req) ?? 1);
      json(res, { value: [graphUser(n)], "@odata.nextLink": `${graph.origin}/v1.0/users/delta?$skiptoken=${n + 1}` });
    });
    const conn = createGraphConnection(settings(), fast);
    const err = await readUsersDelta(conn, undefined, { maxPages: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain("after 2 pages");
    expect(graph.requests).toHaveLength(2);
  });
});

describe("a page that never answers", () => {
  it("ends the read in a GapInputError naming Entra ID (Graph), the URL and the timeout", async () => {
    graph.handle((req, res) => {
      if (skiptoken(req) === "hang") return; // accepted, never answered
      json(res, { value: [graphUser(1)], "@odata.nextLink": `${graph.origin}/v1.0/users?$skiptoken=hang` });
    });
    const conn = createGraphConnection(settings(), {
      credential,
      requestTimeoutMs: 200,
      retry: { maxRetries: 1, baseDelayMs: 10, budgetMs: 5_000 },
    });
    const err = await runGapAnalysis(spec(), { env: {}, graphConnection: conn }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/^Entra ID \(Graph https:\/\/127\.0\.0\.1:\d+\/v1\.0/);
    expect(err.message).toContain("GET /users page 2 (@odata.nextLink) failed: no answer within 0.2 s");
    expect(err.message).toContain(`${graph.origin}/v1.0/users?$skiptoken=hang`);
    expect(err.message).toContain("--request-timeout-seconds");
    // page 1, then page 2 twice (one retry), each attempt given up after the timeout
    expect(graph.requests.map((r) => skiptoken({ url: r.url } as IncomingMessage))).toEqual([null, "hang", "hang"]);
    expect(conn.stats).toMatchObject({ timeouts: 2, networkErrors: 2, retries: 1 });
  });
});

describe("the delta state's deltaLink", () => {
  function serveDelta() {
    graph.handle((req, res) => {
      const url = new URL(req.url ?? "/", graph.origin);
      if (url.pathname !== "/v1.0/users/delta") return json(res, { error: { code: "NotFound", message: "no" } }, 404);
      json(res, { value: [graphUser(1)], "@odata.deltaLink": `${graph.origin}/v1.0/users/delta?$deltatoken=t1` });
    });
  }

  it("pointing at another host than the state's own endpoint: exit-2 error naming it, never fetched", async () => {
    serveDelta();
    const state = join(stateDir, "edited-link.json");
    const first = await runGapAnalysis(spec({ deltaStatePath: state }), { env: {}, graph: fast });
    expect(first.inputs.entra.mode).toBe("delta-initial");
    const saved = JSON.parse(readFileSync(state, "utf8"));
    expect(saved.entra.deltaLink).toBe(`${graph.origin}/v1.0/users/delta?$deltatoken=t1`);
    saved.entra.deltaLink = `${capture.origin}/v1.0/users/delta?$deltatoken=t1`;
    writeFileSync(state, JSON.stringify(saved));
    graph.requests.length = 0;

    const err = await runGapAnalysis(spec({ deltaStatePath: state }), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.source).toBe(`delta state ${state}`);
    expect(err.message).toContain(
      `its deltaLink points at ${capture.origin}, not at the configured Graph endpoint ${graph.origin}`,
    );
    expect(err.message).toContain("the link was not followed");
    expect(err.remedy).toContain(`delete ${state}`);
    expect(capture.requests).toEqual([]);
    expect(graph.requests).toEqual([]);
    await expectCaptureReachable();
  });

  it("with endpoint and link both moved elsewhere: a new round against the configured endpoint, with a note", async () => {
    serveDelta();
    const state = join(stateDir, "edited-both.json");
    await runGapAnalysis(spec({ deltaStatePath: state }), { env: {}, graph: fast });
    const saved = JSON.parse(readFileSync(state, "utf8"));
    saved.entra.endpoint = `${capture.origin}/v1.0`;
    saved.entra.deltaLink = `${capture.origin}/v1.0/users/delta?$deltatoken=t1`;
    writeFileSync(state, JSON.stringify(saved));
    graph.requests.length = 0;

    const r = await runGapAnalysis(spec({ deltaStatePath: state }), { env: {}, graph: fast });
    expect(r.inputs.entra.mode).toBe("delta-initial");
    expect(r.notes.join(" ")).toContain(`The delta state was made for ${capture.origin}/v1.0`);
    expect(capture.requests).toEqual([]);
    expect(graph.requests.map((q) => q.url)).toEqual([expect.stringMatching(/^\/v1\.0\/users\/delta\?\$select=/)]);
  });

  it("a deltaLink from Graph that points elsewhere is neither followed nor saved", async () => {
    graph.handle((_req, res) =>
      json(res, { value: [graphUser(1)], "@odata.deltaLink": `${capture.origin}/v1.0/users/delta?$deltatoken=t1` }),
    );
    const state = join(stateDir, "foreign-from-server.json");
    const err = await runGapAnalysis(spec({ deltaStatePath: state }), { env: {}, graph: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain(`@odata.deltaLink of delta page 1 points at ${capture.origin}`);
    expect(err.message).toContain("it was not saved");
    expect(() => readFileSync(state)).toThrow();
    expect(capture.requests).toEqual([]);
  });
});
