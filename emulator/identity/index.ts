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
import type { FastifyInstance } from "fastify";
import type { IdentityDeps } from "./authority";
import { registerDeviceCodeRoutes } from "./deviceCode";
import { registerDiscoveryRoutes } from "./discovery";
import { registerTokenRoutes } from "./token";

export type { IdentityDeps } from "./authority";

/**
 * The endpoints, one file per job: ./discovery.ts (OpenID configuration, keys, user realm, userinfo), ./token.ts
 * (the grants; client authentication in ./clientAuth.ts, scopes in ./scopes.ts), ./deviceCode.ts (the device
 * authorization endpoint and the device-login page); ./authority.ts holds what they share.
 */
export function registerIdentityRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  registerDiscoveryRoutes(app, deps);
  registerDeviceCodeRoutes(app, deps);
  registerTokenRoutes(app, deps);
}
