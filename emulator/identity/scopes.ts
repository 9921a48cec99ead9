/**
 * Scopes of a token request: which Graph permissions (or `.default`) and OpenID scopes are asked, and which
 * delegated permissions a user's token gets.
 */
import { AadstsError } from "../errors";
import type { AppRegistration, Tenant } from "../tenant";
import { GRAPH_APP_ID, GRAPH_RESOURCE } from "../tokens";
import type { UserRecord } from "../users";

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/** Splits requested scopes into Graph permissions, flags `.default`, and rejects other resources. */
export function parseScopes(
  tenant: Tenant,
  raw: string | undefined,
): { graph: string[]; isDefault: boolean; oidc: string[] } {
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
export function grantedScopes(
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
