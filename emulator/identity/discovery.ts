/**
 * What clients read around a token request: the OpenID configuration and signing keys of each authority, the user
 * realm lookup MSAL Python, MSAL.NET and MSAL4J make before a password grant, the OpenID Connect userinfo endpoint
 * (https://learn.microsoft.com/entra/identity-platform/userinfo), and the interactive authorize endpoint, refused.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AadstsError, GraphError } from "../errors";
import { GRAPH_APP_ID, idTokenSubject } from "../tokens";
import { IDENTITY_ROUTE_CONFIG as config, type IdentityDeps, isGeneric, tenantOf } from "./authority";

export function registerDiscoveryRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const { state, originOf } = deps;

  // Under /common and /organizations Entra serves endpoints under that name and the issuer with a `{tenantid}`
  // placeholder (clients put the token's tid in it); under a tenant's name, everything under its id.
  const authorityBase = (req: FastifyRequest): { base: string; issuer: string } => {
    const segment = (req.params as { tenant: string }).tenant;
    const tenant = tenantOf(state, segment);
    const o = originOf(req);
    if (isGeneric(segment)) return { base: `${o}/${segment.toLowerCase()}`, issuer: `${o}/{tenantid}/v2.0` };
    return { base: `${o}/${tenant.id}`, issuer: `${o}/${tenant.id}/v2.0` };
  };

  app.get("/:tenant/v2.0/.well-known/openid-configuration", { config }, async (req) => {
    const { base, issuer } = authorityBase(req);
    const o = originOf(req);
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${o}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "at_hash",
        "c_hash",
        "email",
      ],
      tenant_region_scope: null,
      cloud_instance_name: "local.syncgap.test",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    };
  });

  app.get("/:tenant/discovery/v2.0/keys", { config }, async (req) => {
    return state.tokens.jwks(authorityBase(req).issuer);
  });

  // User realm discovery, which MSAL Python, MSAL.NET and MSAL4J call before a password grant to learn whether the
  // account is managed or federated (WS-Trust). Every domain of this tenant is managed.
  const userRealm = async (req: FastifyRequest) => {
    const upn = decodeURIComponent((req.params as { upn: string }).upn);
    const domain = upn.slice(upn.lastIndexOf("@") + 1).toLowerCase();
    const t = state.tenant;
    if (!upn.includes("@") || !t.isVerifiedDomain(domain)) {
      return { ver: "1.0", account_type: "Unknown", cloud_instance_name: "microsoftonline.com" };
    }
    return {
      ver: "1.0",
      account_type: "Managed",
      domain_name: domain,
      cloud_instance_name: "microsoftonline.com",
      cloud_audience_urn: "urn:federation:MicrosoftOnline",
    };
  };
  app.get("/common/UserRealm/:upn", { config }, userRealm);
  app.get("/common/userrealm/:upn", { config }, userRealm);

  // OpenID Connect userinfo (https://learn.microsoft.com/entra/identity-platform/userinfo): Entra serves it on the
  // Graph host, which is this origin too. It takes a delegated Graph access token and answers the id_token's `sub`.
  const userinfo = async (req: FastifyRequest) => {
    const claims = await state.tokens.verifyGraphToken(state.tenant, req.headers.authorization);
    if (claims.idtyp !== "user") {
      throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", {
        "www-authenticate": `Bearer realm="", error="invalid_token", client_id="${GRAPH_APP_ID}"`,
      });
    }
    const user = state.tenant.users.getById(claims.oid);
    const out: Record<string, unknown> = {
      sub: idTokenSubject(claims.oid, claims.appid),
      name: claims.name ?? claims.upn,
      family_name: claims.family_name,
      given_name: claims.given_name,
      picture: `${originOf(req)}/v1.0/me/photo/$value`,
    };
    const mail = user?.data.mail;
    if (typeof mail === "string" && mail) out.email = mail;
    return out;
  };
  app.get("/oidc/userinfo", { config }, userinfo);
  app.post("/oidc/userinfo", { config }, userinfo);

  app.get("/:tenant/oauth2/v2.0/authorize", { config }, async () => {
    throw new AadstsError(
      400,
      "unsupported_response_type",
      900561,
      "The local tenant does not emulate interactive (browser) sign-in. Use client credentials, device code or username/password.",
    );
  });
}
