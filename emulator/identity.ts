/**
 * Identity platform endpoints (Microsoft identity platform v2.0), enough for MSAL Node inside @azure/identity:
 * OpenID discovery, JWKS, the token endpoint (client credentials with a secret or a certificate assertion, ROPC,
 * device code, refresh token) and the device authorization endpoint.
 * Protocol references: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
 * …/v2-oauth2-device-code, …/v2-oauth-ropc, …/certificate-credentials.
 * Also what other Microsoft libraries (MSAL Python, MSAL.NET, MSAL4J) ask for: the tenant-independent authorities
 * `/common` and `/organizations` (…/msal-client-application-configuration#authority), the user realm lookup they
 * make before a password grant, and the OpenID Connect userinfo endpoint (…/userinfo).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { AadstsError, GraphError } from "./errors";
import type { DeviceCode, EmulatorState } from "./state";
import type { AppRegistration, Tenant } from "./tenant";
import { GRAPH_APP_ID, GRAPH_RESOURCE, idTokenSubject } from "./tokens";
import type { UserRecord } from "./users";

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REFRESH_LIFETIME_MS = 24 * 3600_000;

type Params = Record<string, string | undefined>;

function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * Tenant-independent authorities (https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority):
 * with one tenant per emulator, both lead to it (a work account always signs in to its home tenant).
 */
const GENERIC_AUTHORITIES = new Set(["common", "organizations"]);

function isGeneric(segment: string): boolean {
  return GENERIC_AUTHORITIES.has(segment.toLowerCase());
}

function tenantOf(state: EmulatorState, segment: string): Tenant {
  const t = state.tenant;
  if (isGeneric(segment)) return t;
  if (!t.matches(segment)) {
    throw new AadstsError(
      400,
      "invalid_tenant",
      90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  return t;
}

function need(p: Params, name: string): string {
  const v = p[name];
  if (!v)
    throw new AadstsError(
      400,
      "invalid_request",
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );
  return v;
}

/**
 * A single-tenant app through /common or /organizations: Entra answers AADSTS50194 (apps registered after 2018-10-15;
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
function checkAudience(app: AppRegistration, segment: string): void {
  if (!isGeneric(segment) || app.signInAudience === "AzureADMultipleOrgs") return;
  throw new AadstsError(
    400,
    "invalid_request",
    50194,
    `Application '${app.appId}'(${app.displayName}) is not configured as a multi-tenant application. Usage of the /${segment.toLowerCase()} endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
  );
}

function appOf(tenant: Tenant, clientId: string): AppRegistration {
  const app = tenant.getApp(clientId);
  if (!app) {
    throw new AadstsError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  return app;
}

/** The accepted audiences of a client assertion: the token endpoint under any name of this tenant and host. */
function assertionAudienceOk(aud: unknown, tenant: Tenant, origins: string[]): boolean {
  const auds = Array.isArray(aud) ? aud : [aud];
  return auds.some((a) => {
    if (typeof a !== "string") return false;
    let u: URL;
    try {
      u = new URL(a);
    } catch {
      return false;
    }
    if (!origins.includes(u.origin)) return false;
    const m = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/.exec(u.pathname);
    return m !== null && (tenant.matches(m[1]) || isGeneric(m[1]));
  });
}

/**
 * Authenticates a confidential client by secret (post or basic) or certificate assertion. Returns how, or undefined
 * when the request carries no client credential.
 */
async function authenticateClient(
  tenant: Tenant,
  app: AppRegistration,
  p: Params,
  basic: { id: string; secret: string } | undefined,
  origins: string[],
): Promise<"secret" | "certificate" | undefined> {
  const secret = p.client_secret ?? basic?.secret;
  if (secret !== undefined) {
    const now = Date.now();
    const live = app.secrets.filter((s) => !s.endDateTime || Date.parse(s.endDateTime) > now);
    if (live.some((s) => safeEqual(s.value, secret))) return "secret";
    if (app.secrets.some((s) => safeEqual(s.value, secret))) {
      throw new AadstsError(
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${app.appId}' are expired.`,
      );
    }
    throw new AadstsError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
    );
  }
  const assertion = p.client_assertion;
  if (assertion !== undefined) {
    if (p.client_assertion_type !== JWT_BEARER) {
      throw new AadstsError(
        400,
        "invalid_request",
        50027,
        `Invalid client_assertion_type '${p.client_assertion_type ?? ""}'; expected '${JWT_BEARER}'.`,
      );
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw new AadstsError(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
    }
    const x5t = header.x5t as string | undefined;
    const x5tS256 = (header as Record<string, unknown>)["x5t#S256"] as string | undefined;
    const hexOf = (b64u: string) => Buffer.from(b64u, "base64url").toString("hex").toUpperCase();
    const cert = app.certificates.find(
      (c) =>
        (x5t !== undefined && hexOf(x5t) === c.thumbprintSha1) ||
        (x5tS256 !== undefined && hexOf(x5tS256) === c.thumbprintSha256),
    );
    if (!cert) {
      const kid = x5tS256 ?? x5t ?? "(none)";
      throw new AadstsError(
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${kid}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`,
      );
    }
    try {
      const { payload } = await jwtVerify(assertion, cert.publicKey, {
        algorithms: ["RS256", "PS256"],
        clockTolerance: 300,
      });
      if (payload.iss !== app.appId || payload.sub !== app.appId) {
        throw new AadstsError(
          401,
          "invalid_client",
          700021,
          "Client assertion application identifier doesn't match 'client_id' parameter.",
        );
      }
      if (!assertionAudienceOk(payload.aud, tenant, origins)) {
        throw new AadstsError(
          401,
          "invalid_client",
          700212,
          `No matching federated identity record found for presented assertion audience '${String(payload.aud)}'.`,
        );
      }
      if (typeof payload.exp !== "number")
        throw new AadstsError(401, "invalid_client", 50027, "JWT token is invalid or malformed: missing exp.");
    } catch (e) {
      if (e instanceof AadstsError) throw e;
      if (e instanceof joseErrors.JWTExpired || e instanceof joseErrors.JWTClaimValidationFailed) {
        throw new AadstsError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
      }
      throw new AadstsError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
    if (cert.endDateTime && Date.parse(cert.endDateTime) < Date.now()) {
      throw new AadstsError(401, "invalid_client", 700027, "Client assertion contains an expired certificate.");
    }
    return "certificate";
  }
  return undefined;
}

/** Splits requested scopes into Graph permissions, flags `.default`, and rejects other resources. */
function parseScopes(tenant: Tenant, raw: string | undefined): { graph: string[]; isDefault: boolean; oidc: string[] } {
  const graph: string[] = [];
  const oidc: string[] = [];
  let isDefault = false;
  for (const s of (raw ?? "").split(/\s+/).filter(Boolean)) {
    if (OIDC_SCOPES.has(s)) {
      oidc.push(s);
      continue;
    }
    let perm = s;
    for (const prefix of [`${GRAPH_RESOURCE}/`, `${GRAPH_APP_ID}/`, "https://graph.microsoft.com//"]) {
      if (s.startsWith(prefix)) perm = s.slice(prefix.length);
    }
    if (perm.includes("/") || perm.includes(":")) {
      const resource = s.slice(0, s.lastIndexOf("/"));
      throw new AadstsError(
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    if (perm === ".default") isDefault = true;
    else graph.push(perm);
  }
  return { graph, isDefault, oidc };
}

/** The delegated permissions a token gets: the user's consented scopes, filtered by the app's when it lists them. */
function grantedScopes(
  tenant: Tenant,
  app: AppRegistration,
  user: UserRecord,
  requested: string[],
  isDefault: boolean,
): string[] {
  const userScopes = user.signIn?.scopes ?? [];
  const granted = app.delegatedScopes
    ? userScopes.filter((s) => app.delegatedScopes?.some((a) => a.toLowerCase() === s.toLowerCase()))
    : userScopes;
  if (!isDefault) {
    const missing = requested.filter((r) => !granted.some((g) => g.toLowerCase() === r.toLowerCase()));
    if (missing.length) {
      throw new AadstsError(
        400,
        "invalid_grant",
        65001,
        `The user or administrator has not consented to use the application with ID '${app.appId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource. (not consented: ${missing.join(", ")}; tenant ${tenant.displayName})`,
      );
    }
  }
  return granted;
}

function checkUserCanSignIn(tenant: Tenant, user: UserRecord | undefined, upn: string): UserRecord {
  if (!user) {
    throw new AadstsError(
      400,
      "invalid_grant",
      50034,
      `The user account ${upn} does not exist in the ${tenant.id} directory. To sign into this application, the account must be added to the directory.`,
    );
  }
  if (user.data.accountEnabled === false) {
    throw new AadstsError(400, "invalid_grant", 50057, "The user account is disabled.");
  }
  return user;
}

function clientInfo(tenant: Tenant, user: UserRecord): string {
  return Buffer.from(JSON.stringify({ uid: user.data.id, utid: tenant.id })).toString("base64url");
}

async function delegatedResponse(
  state: EmulatorState,
  tenant: Tenant,
  issuer: string,
  app: AppRegistration,
  user: UserRecord,
  scopes: string[],
  requested: { graph: string[]; isDefault: boolean; oidc: string[] },
  confidential: boolean,
  amr: string[],
): Promise<Record<string, unknown>> {
  const { token, expiresIn } = await state.tokens.userToken(tenant, app, user, scopes, amr, confidential);
  const scopeOut = new Set(scopes.map((s) => `${GRAPH_RESOURCE}/${s}`));
  if (requested.isDefault) scopeOut.add(`${GRAPH_RESOURCE}/.default`);
  for (const s of requested.oidc) if (s !== "offline_access") scopeOut.add(s);
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    scope: [...scopeOut].join(" "),
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: token,
  };
  const refresh = randomBytes(32).toString("base64url");
  state.refreshTokens.set(refresh, {
    userId: user.data.id,
    clientId: app.appId,
    scopes: [...(requested.isDefault ? [".default"] : requested.graph), ...requested.oidc],
    expiresAt: Date.now() + REFRESH_LIFETIME_MS,
  });
  body.refresh_token = refresh;
  body.id_token = await state.tokens.idToken(tenant, issuer, app, user);
  body.client_info = clientInfo(tenant, user);
  return body;
}

function basicAuth(req: FastifyRequest): { id: string; secret: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^Basic\s/i.test(h)) return undefined;
  const raw = Buffer.from(h.slice(6).trim(), "base64").toString("utf8");
  const i = raw.indexOf(":");
  if (i < 0) return undefined;
  return { id: decodeURIComponent(raw.slice(0, i)), secret: decodeURIComponent(raw.slice(i + 1)) };
}

function userCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const b = randomBytes(9);
  return Array.from(b, (x) => alphabet[x % alphabet.length]).join("");
}

export interface IdentityDeps {
  state: EmulatorState;
  /** Origin (https://host:port) the request was addressed to. */
  originOf: (req: FastifyRequest) => string;
  /** All origins this server answers on (for client assertion audiences). */
  origins: () => string[];
}

/** Approves a pending device code as a user (admin API, auto-approval, or the /devicelogin page). */
export function approveDeviceCode(state: EmulatorState, code: string, userPrincipalName: string): DeviceCode {
  const normalized = code.replace(/[\s-]/g, "").toUpperCase();
  const dc = [...state.deviceCodes.values()].find((d) => d.userCode === normalized);
  if (!dc) throw new Error(`no pending device code '${code}'`);
  if (dc.expiresAt < Date.now()) throw new Error(`device code '${code}' expired`);
  const user = state.tenant.users.getByUpn(userPrincipalName);
  if (!user) throw new Error(`no user '${userPrincipalName}'`);
  dc.userId = user.data.id;
  return dc;
}

export function registerIdentityRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const { state, originOf } = deps;
  const config = { area: "identity" };

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

  app.post("/:tenant/oauth2/v2.0/devicecode", { config }, async (req) => {
    const segment = (req.params as { tenant: string }).tenant;
    const tenant = tenantOf(state, segment);
    const p = (req.body ?? {}) as Params;
    const clientId = need(p, "client_id");
    checkAudience(appOf(tenant, clientId), segment);
    const scopes = parseScopes(tenant, need(p, "scope"));
    const code = userCode();
    const deviceCode = randomBytes(32).toString("base64url");
    const interval = tenant.options.deviceCodeIntervalSeconds;
    const dc: DeviceCode = {
      deviceCode,
      userCode: code,
      clientId,
      scopes: [...(scopes.isDefault ? [".default"] : scopes.graph), ...scopes.oidc],
      expiresAt: Date.now() + 900_000,
      interval,
    };
    state.deviceCodes.set(deviceCode, dc);
    const auto = tenant.options.autoApproveDeviceCodesAs;
    if (auto) approveDeviceCode(state, code, auto);
    const verificationUri = `${originOf(req)}/devicelogin`;
    return {
      user_code: code,
      device_code: deviceCode,
      verification_uri: verificationUri,
      expires_in: 900,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
    };
  });

  app.post("/:tenant/oauth2/v2.0/token", { config }, async (req, reply: FastifyReply) => {
    const segment = (req.params as { tenant: string }).tenant;
    const tenant = tenantOf(state, segment);
    const p = (req.body ?? {}) as Params;
    const grant = need(p, "grant_type");
    const basic = basicAuth(req);
    const clientId = p.client_id ?? basic?.id;
    if (!clientId)
      throw new AadstsError(
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    const application = appOf(tenant, clientId);
    checkAudience(application, segment);
    // Tokens are always for the real tenant, whichever authority was asked.
    const issuer = `${originOf(req)}/${tenant.id}/v2.0`;
    reply.header("cache-control", "no-store, no-cache");

    switch (grant) {
      case "client_credentials": {
        const how = await authenticateClient(tenant, application, p, basic, deps.origins());
        if (!how) {
          throw new AadstsError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
          );
        }
        const scope = need(p, "scope");
        const s = parseScopes(tenant, scope);
        // MSAL libraries other than @azure/identity's add `openid offline_access profile` to every request; Entra
        // accepts and ignores them for client credentials (no id_token, no refresh token), so the emulator does too.
        if (!s.isDefault || s.graph.length) {
          throw new AadstsError(
            400,
            "invalid_scope",
            1002012,
            `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          );
        }
        const { token, expiresIn } = await state.tokens.appToken(tenant, application, how);
        return { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token };
      }
      case "password": {
        const how = await authenticateClient(tenant, application, p, basic, deps.origins());
        if (!how && !application.publicClient) {
          throw new AadstsError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
          );
        }
        const username = need(p, "username");
        const password = need(p, "password");
        const s = parseScopes(tenant, need(p, "scope"));
        const user = checkUserCanSignIn(tenant, tenant.users.getByUpn(username), username);
        if (!user.signIn || !safeEqual(user.signIn.password, password)) {
          throw new AadstsError(
            400,
            "invalid_grant",
            50126,
            "Error validating credentials due to invalid username or password.",
          );
        }
        const scopes = grantedScopes(tenant, application, user, s.graph, s.isDefault || s.graph.length === 0);
        return delegatedResponse(state, tenant, issuer, application, user, scopes, s, how !== undefined, ["pwd"]);
      }
      case "device_code": // what MSAL sends; Entra ID accepts it as well as the RFC 8628 URN
      case DEVICE_CODE_GRANT: {
        const code = need(p, "device_code");
        const dc = state.deviceCodes.get(code);
        if (!dc || dc.clientId.toLowerCase() !== application.appId) {
          throw new AadstsError(
            400,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
          );
        }
        if (dc.expiresAt < Date.now()) {
          state.deviceCodes.delete(code);
          throw new AadstsError(400, "expired_token", 70019, "Verification code expired.");
        }
        if (dc.denied) {
          state.deviceCodes.delete(code);
          throw new AadstsError(400, "authorization_declined", 70018, "The user declined the sign-in request.");
        }
        if (!dc.userId)
          throw new AadstsError(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
          );
        state.deviceCodes.delete(code);
        const rec = tenant.users.getById(dc.userId);
        const user = checkUserCanSignIn(tenant, rec, dc.userId);
        const s = parseScopes(tenant, dc.scopes.join(" "));
        const scopes = grantedScopes(tenant, application, user, s.graph, s.isDefault || s.graph.length === 0);
        return delegatedResponse(state, tenant, issuer, application, user, scopes, s, false, ["pwd", "mfa"]);
      }
      case "refresh_token": {
        const rt = need(p, "refresh_token");
        const grantRec = state.refreshTokens.get(rt);
        if (!grantRec || grantRec.clientId !== application.appId || grantRec.expiresAt < Date.now()) {
          throw new AadstsError(
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token is invalid or expired.",
          );
        }
        const how = await authenticateClient(tenant, application, p, basic, deps.origins());
        const user = checkUserCanSignIn(tenant, tenant.users.getById(grantRec.userId), grantRec.userId);
        state.refreshTokens.delete(rt);
        const s = parseScopes(tenant, p.scope ?? grantRec.scopes.join(" "));
        const scopes = grantedScopes(tenant, application, user, s.graph, s.isDefault || s.graph.length === 0);
        return delegatedResponse(state, tenant, issuer, application, user, scopes, s, how !== undefined, ["pwd"]);
      }
      default:
        throw new AadstsError(
          400,
          "unsupported_grant_type",
          70003,
          `The app requested an unsupported grant type '${grant}'.`,
        );
    }
  });

  // A minimal device-login page: approves a device code with a seeded user's password.
  const page = (message: string) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>Local tenant sign-in</title></head><body>` +
    `<h1>syncgap local tenant: device sign-in</h1><p>${message}</p>` +
    `<form method="post" action="/devicelogin"><label>Code <input name="code"></label><br>` +
    `<label>User <input name="username"></label><br><label>Password <input name="password" type="password"></label><br>` +
    `<button type="submit">Sign in</button></form></body></html>`;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  app.get("/devicelogin", { config }, async (_req, reply) => {
    reply.type("text/html; charset=utf-8");
    return page("Enter the code your device shows and a user of the local tenant.");
  });

  app.post("/devicelogin", { config }, async (req, reply) => {
    reply.type("text/html; charset=utf-8");
    const p = (req.body ?? {}) as Params;
    const user = state.tenant.users.getByUpn(p.username ?? "");
    if (!user?.signIn || !safeEqual(user.signIn.password, p.password ?? "")) {
      reply.code(400);
      return page("Wrong user name or password.");
    }
    try {
      approveDeviceCode(state, p.code ?? "", user.data.userPrincipalName);
    } catch (e) {
      reply.code(400);
      return page(esc((e as Error).message));
    }
    return page(`Signed in as ${esc(user.data.userPrincipalName)}. You can close this window.`);
  });
}
