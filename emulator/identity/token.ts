/**
 * The token endpoint (`/{tenant}/oauth2/v2.0/token`): client credentials with a secret or a certificate assertion
 * (…/v2-oauth2-client-creds-grant-flow), username and password (…/v2-oauth-ropc), device code (…/v2-oauth2-device-code)
 * and refresh token grants, with the AADSTS errors Entra gives.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AadstsError } from "../errors";
import type { EmulatorState } from "../state";
import type { AppRegistration, Tenant } from "../tenant";
import { GRAPH_RESOURCE } from "../tokens";
import type { UserRecord } from "../users";
import {
  appOf,
  checkAudience,
  IDENTITY_ROUTE_CONFIG as config,
  type IdentityDeps,
  need,
  type Params,
  safeEqual,
  tenantOf,
} from "./authority";
import { authenticateClient, basicAuth } from "./clientAuth";
import { grantedScopes, parseScopes } from "./scopes";

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_LIFETIME_MS = 24 * 3600_000;

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

export function registerTokenRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const { state, originOf } = deps;

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
}
