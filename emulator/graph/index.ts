/**
 * Microsoft Graph routes of the local tenant, one file per resource family, and the router the server asks:
 * - v1.0: `/users` (./users.ts), `/users/delta` (./usersDelta.ts), `/directory/onPremisesSynchronization`
 *   (./onPremisesSynchronization.ts), `/auditLogs/directoryAudits` (./directoryAudits.ts), `/organization`
 *   (./organization.ts), and `$batch` (served by emulator/server/graphRoutes.ts);
 * - beta: `users/{id}/onPremisesSyncBehavior` (./onPremisesSyncBehavior.ts) and `$batch`.
 * Shapes follow Microsoft's OpenAPI description of v1.0 (test/fixtures/graph-openapi); behaviours cite Microsoft
 * Learn where they come from. What every route shares (request, response, helpers) is ./request.ts; who calls is
 * ./caller.ts.
 */
import { badRequest, GraphError } from "../errors";
import { DIRECTORY_AUDIT_ROUTES } from "./directoryAudits";
import { ON_PREMISES_SYNC_BEHAVIOR_ROUTES } from "./onPremisesSyncBehavior";
import { ON_PREMISES_SYNCHRONIZATION_ROUTES } from "./onPremisesSynchronization";
import { ORGANIZATION_ROUTES } from "./organization";
import type { Handler, RouteDef } from "./request";
import { USER_ROUTES } from "./users";
import { USERS_DELTA_ROUTES } from "./usersDelta";

// $batch is handled by the server (it needs to inject sub-requests); listed here for routing and 405s.
const BATCH_ROUTE: RouteDef = { pattern: ["$batch"], name: "$batch", methods: { POST: () => ({ status: 500 }) } };

/** Graph v1.0. */
export const ROUTES: RouteDef[] = [
  ...USER_ROUTES,
  ...USERS_DELTA_ROUTES,
  ...ON_PREMISES_SYNCHRONIZATION_ROUTES,
  ...DIRECTORY_AUDIT_ROUTES,
  ...ORGANIZATION_ROUTES,
  BATCH_ROUTE,
];

/** Graph beta: only what syncgap reads; $batch as on v1.0, its sub-requests go to beta. */
export const BETA_ROUTES: RouteDef[] = [BATCH_ROUTE, ...ON_PREMISES_SYNC_BEHAVIOR_ROUTES];

export interface ResolvedRoute {
  route: RouteDef;
  params: string[];
  handler: Handler;
}

function segMatches(pattern: string, seg: string): boolean {
  return pattern.startsWith(":") || pattern.toLowerCase() === seg.toLowerCase();
}

/**
 * Finds the route for a method and path: unknown segment → 400 "Resource not found for the segment" (as Graph
 * answers), known path with another method → 405.
 */
export function resolveRoute(method: string, segments: string[], routes: RouteDef[] = ROUTES): ResolvedRoute {
  const ROUTES = routes;
  // Literal routes win over parameter routes (users/delta before users/{id}).
  const candidates = ROUTES.filter(
    (r) => r.pattern.length === segments.length && r.pattern.every((p, i) => segMatches(p, segments[i])),
  );
  candidates.sort(
    (a, b) => a.pattern.filter((p) => p.startsWith(":")).length - b.pattern.filter((p) => p.startsWith(":")).length,
  );
  const route = candidates[0];
  if (!route) {
    let depth = 0;
    while (
      depth < segments.length &&
      ROUTES.some(
        (r) => r.pattern.length > depth && r.pattern.slice(0, depth + 1).every((p, i) => segMatches(p, segments[i])),
      )
    ) {
      depth++;
    }
    const seg = segments[depth] ?? segments[segments.length - 1] ?? "";
    throw badRequest(`Resource not found for the segment '${seg}'.`);
  }
  const handler = route.methods[method];
  if (!handler) {
    throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", {
      allow: Object.keys(route.methods).join(", "),
    });
  }
  const params = route.pattern.flatMap((p, i) => (p.startsWith(":") ? [segments[i]] : []));
  return { route, params, handler };
}
