import { describe, expect, it } from "vitest";
import { describeGraphError, GraphRequestError } from "../../../graph/errors";
import { connect, credential, GRAPH, net, ok, useScriptedFetch } from "../../support/scriptedFetch";

useScriptedFetch();

describe("authentication middleware", () => {
  it("attaches the token for the configured Graph origin and never follows redirects", async () => {
    net.script.push(ok());
    await connect().client.api("/users").get();
    expect(net.calls).toHaveLength(1);
    expect(net.calls[0].url).toBe(`${GRAPH}/v1.0/users`);
    expect(new Headers(net.calls[0].init.headers).get("authorization")).toBe("Bearer t0ken");
    expect(net.calls[0].init.redirect).toBe("manual");
  });

  it.each([
    ["another host", "https://collector.example.test/v1.0/users"],
    ["another port of the same host", "https://graph.example.test:8443/v1.0/users"],
    ["plain http on the same host", "http://graph.example.test/v1.0/users"],
  ])("refuses %s before anything is sent or a token is fetched", async (_what, url) => {
    const conn = connect();
    // The SDK turns a path that does not start with https:// into one under its base URL, so call the chain the way
    // an absolute https link reaches it, and an http one through the middleware directly.
    const err = url.startsWith("https://")
      ? await conn.client
          .api(url)
          .get()
          .catch((e) => e)
      : await (conn.client as unknown as { httpClient: { sendRequest(c: object): Promise<unknown> } }).httpClient
          .sendRequest({ request: url, options: { method: "GET" } })
          .catch((e) => e);
    expect(err.name).toBe("GraphOriginError");
    expect(err.message).toContain(`refused to send GET ${url}`);
    expect(err.message).toContain(`not the configured Graph endpoint ${GRAPH}`);
    expect(net.calls).toEqual([]);
    expect(net.tokenCalls).toBe(0);
    const described = describeGraphError("GET /users", err);
    expect(described).toBeInstanceOf(GraphRequestError);
    expect(described.message).toMatch(/^GET \/users failed: refused to send/);
  });
});

/**
 * Why the chain keeps its own authentication middleware instead of the SDK's AuthenticationHandler with
 * TokenCredentialAuthenticationProvider (what issue #14 asked to evaluate): the SDK's, given the same credential and
 * the endpoint's host in `customHosts`, sends the token to another port of that host (it compares host names only),
 * sends requests for other hosts on without a token instead of refusing them, and does not fetch a fresh token on a
 * 401. If a release of the SDK fixes these, this fails, and the switch is worth making.
 */
describe("the SDK's TokenCredentialAuthenticationProvider, for comparison", () => {
  async function sdkClient() {
    const graph = await import("@microsoft/microsoft-graph-client");
    const { TokenCredentialAuthenticationProvider } = await import(
      "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js"
    );
    const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [`${GRAPH}/.default`] });
    const auth = new graph.AuthenticationHandler(authProvider);
    auth.setNext(new graph.HTTPMessageHandler());
    return graph.Client.initWithMiddleware({
      middleware: auth,
      baseUrl: GRAPH,
      customHosts: new Set([new URL(GRAPH).hostname]),
    });
  }

  it("sends the token to another port of the Graph host, where syncgap's middleware refuses", async () => {
    const url = "https://graph.example.test:8443/v1.0/users";
    net.script.push(ok());
    await (await sdkClient()).api(url).get();
    expect(net.calls.map((c) => [c.url, new Headers(c.init.headers).get("authorization")])).toEqual([
      [url, "Bearer t0ken"],
    ]);

    net.calls = [];
    const err = await connect()
      .client.api(url)
      .get()
      .catch((e) => e);
    expect(err.name).toBe("GraphOriginError");
    expect(net.calls).toEqual([]);
  });

  it("sends a request for another host on (without the token) instead of refusing it", async () => {
    const url = "https://collector.example.test/v1.0/users";
    net.script.push(ok());
    await (await sdkClient()).api(url).get();
    expect(net.calls.map((c) => c.url)).toEqual([url]);
    expect(new Headers(net.calls[0].init.headers).get("authorization")).toBeNull();
  });

  it("does not fetch a fresh token when Graph answers 401, where syncgap's middleware tries once more", async () => {
    const unauthorized = async () =>
      new Response(JSON.stringify({ error: { code: "InvalidAuthenticationToken", message: "expired" } }), {
        status: 401,
        headers: { "content-type": "application/json" },
      });
    net.script.push(unauthorized);
    const err = await (await sdkClient())
      .api("/users")
      .get()
      .catch((e) => e);
    expect(err.statusCode).toBe(401);
    expect(net.calls).toHaveLength(1);
    expect(net.tokenCalls).toBe(1);

    net.calls = [];
    net.tokenCalls = 0;
    net.script.push(unauthorized, ok());
    await connect().client.api("/users").get();
    expect(net.calls).toHaveLength(2);
    expect(net.tokenCalls).toBe(2);
  });
});
