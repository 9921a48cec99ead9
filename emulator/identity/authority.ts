/**
 * What every identity-platform endpoint of the local tenant starts with: which tenant an authority segment names
 * (a tenant id or domain, or the tenant-independent `/common` and `/organizations`), which app the client id names,
 * the request's form parameters, and the route config that files them under the "identity" area of the request log.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { AadstsError } from "../errors";
import type { EmulatorState } from "../state";
import type { AppRegistration, Tenant } from "../tenant";

export type Params = Record<string, string | undefined>;

export interface IdentityDeps {
  state: EmulatorState;
  /** Origin (https://host:port) the request was addressed to. */
  originOf: (req: FastifyRequest) => string;
  /** All origins this server answers on (for client assertion audiences). */
  origins: () => string[];
}

/** Fastify route config of every identity route: the request log's area. */
export const IDENTITY_ROUTE_CONFIG = { area: "identity" };

/** Compares secrets in constant time (of their digests, so lengths do not show). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * Tenant-independent authorities (https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority):
 * with one tenant per emulator, both lead to it (a work account always signs in to its home tenant).
 */
const GENERIC_AUTHORITIES = new Set(["common", "organizations"]);

export function isGeneric(segment: string): boolean {
  return GENERIC_AUTHORITIES.has(segment.toLowerCase());
}

export function tenantOf(state: EmulatorState, segment: string): Tenant {
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

export function need(p: Params, name: string): string {
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
export function checkAudience(app: AppRegistration, segment: string): void {
  if (!isGeneric(segment) || app.signInAudience === "AzureADMultipleOrgs") return;
  throw new AadstsError(
    400,
    "invalid_request",
    50194,
    `Application '${app.appId}'(${app.displayName}) is not configured as a multi-tenant application. Usage of the /${segment.toLowerCase()} endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
  );
}

export function appOf(tenant: Tenant, clientId: string): AppRegistration {
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
