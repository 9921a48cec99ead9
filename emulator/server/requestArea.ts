/**
 * Which part of the local tenant a request is for, from its path: Graph (`/v1.0`, `/beta/…`), the identity platform
 * (`/{tenant}/oauth2/…`, `v2.0`, discovery, user realm, device login), the admin API (`/_emulator/…`) or none.
 */
export type Area = "graph" | "identity" | "admin" | "other";

export function areaOf(path: string): Area {
  if (path.startsWith("/_emulator")) return "admin";
  if (path === "/v1.0" || path.startsWith("/v1.0/") || path.startsWith("/beta/")) return "graph";
  if (/^\/[^/]+\/(oauth2|v2\.0|discovery|userrealm)(\/|$)/i.test(path) || path.startsWith("/devicelogin"))
    return "identity";
  return "other";
}

export function splitUrl(url: string): { path: string; rawQuery: string } {
  const i = url.indexOf("?");
  return i < 0 ? { path: url, rawQuery: "" } : { path: url.slice(0, i), rawQuery: url.slice(i + 1) };
}
