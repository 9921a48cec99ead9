/**
 * Who calls Graph: an app (application permissions in `roles`) or a user (delegated scopes in `scp`, directory
 * roles in `wids`), and how the audit log names them. Each resource's permission table sits beside its routes
 * (https://learn.microsoft.com/graph/permissions-reference and each API's permissions section).
 */
import type { AuditActor } from "../audit";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";

export function isApp(c: AccessTokenClaims): boolean {
  return c.idtyp === "app" || c.scp === undefined;
}

export function hasAny(have: string[] | undefined, want: string[]): boolean {
  if (!have) return false;
  const lower = new Set(have.map((h) => h.toLowerCase()));
  return want.some((w) => lower.has(w.toLowerCase()));
}

export function scopesOf(c: AccessTokenClaims): string[] {
  return (c.scp ?? "").split(" ").filter(Boolean);
}

/** Who the token names, for audit records. */
export function actorOf(state: EmulatorState, c: AccessTokenClaims): AuditActor {
  if (isApp(c)) {
    const app = state.tenant.getApp(c.appid);
    return {
      kind: "app",
      appId: c.appid,
      displayName: app?.displayName ?? c.app_displayname ?? null,
      servicePrincipalId: app?.servicePrincipalId ?? c.oid,
    };
  }
  const user = state.tenant.users.getById(c.oid);
  return {
    kind: "user",
    id: c.oid,
    displayName: (user?.data.displayName as string | null | undefined) ?? null,
    userPrincipalName: user?.data.userPrincipalName ?? c.upn ?? "",
  };
}
