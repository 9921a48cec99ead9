/**
 * Authentication: a token from @azure/identity on requests for the configured Graph origin only. Any other URL is
 * refused before it is sent (the SDK's own AuthenticationHandler compares host names only and sends to other hosts
 * without a token: test/graph/middleware/auth.test.ts shows both). On a 401 the token is fetched again once.
 */
import type { TokenCredential } from "@azure/identity";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import type { GraphConnectionSettings } from "../connection";
import { GraphAuthError, GraphOriginError } from "../errors";
import { method, originOf, requestUrl } from "./context";
import type { GraphStats } from "./counting";

export class AuthMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly stats: GraphStats,
    private readonly settings: GraphConnectionSettings,
    /** The only origin that gets the token: scheme, host and port of the configured Graph endpoint. */
    private readonly graphOrigin: string,
  ) {}
  setNext(m: Middleware) {
    this.next = m;
  }
  private async token(): Promise<string> {
    try {
      const t = await this.credential.getToken(this.scope);
      if (!t) throw new Error("the credential returned no token");
      return t.token;
    } catch (e) {
      throw new GraphAuthError(this.settings, e as Error);
    }
  }
  async execute(ctx: Context): Promise<void> {
    const url = requestUrl(ctx);
    const origin = originOf(url);
    if (origin !== this.graphOrigin) {
      // Refused rather than sent without the token: every URL this client is asked for should be Graph's, so another
      // one is a link from a rewritten answer or an edited file, and even an anonymous request would tell that host
      // what syncgap reads.
      throw new GraphOriginError(
        `refused to send ${method(ctx)} ${url.slice(0, 500)}: ${origin ?? "it"} is not the configured Graph endpoint ` +
          `${this.graphOrigin}, and the Graph token goes to Graph only. Check the Graph endpoint setting ` +
          "(SYNCGAP_GRAPH_ENDPOINT, --graph-endpoint, syncgap:graphEndpoint) and anything between syncgap and Graph " +
          "that could rewrite its answers.",
        url,
      );
    }
    const headers = new Headers(ctx.options?.headers as ConstructorParameters<typeof Headers>[0]);
    headers.set("Authorization", `Bearer ${await this.token()}`);
    // redirect "manual": a 3xx comes back as an answer (and fails the call) instead of being followed. fetch would drop
    // the Authorization header on a cross-origin redirect (Fetch standard, HTTP-redirect fetch), but following it
    // would still send the request to a host nobody configured. Graph's APIs used here do not redirect.
    ctx.options = { ...ctx.options, headers, redirect: "manual" };
    await this.next!.execute(ctx);
    if (ctx.response?.status === 401) {
      // An expired or revoked token: get a fresh one once. @azure/identity renews tokens near expiry itself;
      // this covers clock skew and server-side revocation.
      this.stats.tokenRefreshes++;
      headers.set("Authorization", `Bearer ${await this.token()}`);
      ctx.options = { ...ctx.options, headers };
      await this.next!.execute(ctx);
    }
  }
}
