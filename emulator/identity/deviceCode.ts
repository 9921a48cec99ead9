/**
 * The device code flow (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code): the device
 * authorization endpoint, approving a code (admin API, auto-approval, or the minimal `/devicelogin` page). The token
 * endpoint's `device_code` grant is ./token.ts.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { DeviceCode, EmulatorState } from "../state";
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
import { parseScopes } from "./scopes";

function userCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const b = randomBytes(9);
  return Array.from(b, (x) => alphabet[x % alphabet.length]).join("");
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

export function registerDeviceCodeRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const { state, originOf } = deps;

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
