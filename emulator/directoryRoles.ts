/**
 * Directory role template ids (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
 * Delegated access tokens carry the caller's role template ids in `wids`.
 */
export const ROLE_TEMPLATES: Record<string, string> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Hybrid Identity Administrator": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
  "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
  "Directory Synchronization Accounts": "d29b2b05-8046-44ba-8758-1e26182fcf32",
};

export const GLOBAL_ADMINISTRATOR = ROLE_TEMPLATES["Global Administrator"];

/** Every member user's tokens carry this template id ("User" role) in `wids`. */
export const MEMBER_USER_WID = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/** App-only tokens carry this `wids` entry (the service principal's implicit role). */
export const APP_WID = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

const BY_ID = new Set(Object.values(ROLE_TEMPLATES));
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves a role given by display name or template id to its template id. */
export function resolveRole(nameOrId: string): string {
  if (ROLE_TEMPLATES[nameOrId]) return ROLE_TEMPLATES[nameOrId];
  const byName = Object.entries(ROLE_TEMPLATES).find(([n]) => n.toLowerCase() === nameOrId.toLowerCase());
  if (byName) return byName[1];
  if (GUID_RE.test(nameOrId)) return nameOrId.toLowerCase();
  throw new Error(
    `unknown directory role '${nameOrId}' (use a template id or one of: ${Object.keys(ROLE_TEMPLATES).join(", ")})`,
  );
}

export function isKnownRoleId(id: string): boolean {
  return BY_ID.has(id);
}
