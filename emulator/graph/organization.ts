/**
 * `/organization`: list and get (https://learn.microsoft.com/graph/api/organization-list), where syncgap check reads
 * `onPremisesLastSyncDateTime`.
 */
import { forbidden } from "../errors";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { hasAny, isApp, scopesOf } from "./caller";
import {
  checkQueryOptions,
  type GraphRequest,
  type GraphResponse,
  metadataContext,
  notFound,
  type RouteDef,
} from "./request";

/** https://learn.microsoft.com/graph/api/organization-list (permissions table). */
function requireOrganizationRead(c: AccessTokenClaims): void {
  const ok = isApp(c)
    ? hasAny(c.roles, [
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
      ])
    : hasAny(scopesOf(c), [
        "User.Read",
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
        "Directory.AccessAsUser.All",
      ]);
  if (!ok) throw forbidden();
}

function listOrganization(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireOrganizationRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  const select = req.query.$select?.split(",").map((s) => s.trim());
  const org = state.tenant.organization();
  const value = select ? Object.fromEntries(select.filter((k) => k in org).map((k) => [k, org[k]])) : org;
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, `organization${select ? `(${select.join(",")})` : ""}`),
      value: [value],
    },
  };
}

function getOrganization(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOrganizationRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  if (id.toLowerCase() !== state.tenant.id) throw notFound(id);
  return {
    status: 200,
    body: { "@odata.context": metadataContext(req, "organization/$entity"), ...state.tenant.organization() },
  };
}

export const ORGANIZATION_ROUTES: RouteDef[] = [
  { pattern: ["organization"], name: "organization", methods: { GET: listOrganization } },
  { pattern: ["organization", ":id"], name: "organization/{id}", methods: { GET: getOrganization } },
];
