/**
 * `/auditLogs/directoryAudits`: list and get (https://learn.microsoft.com/graph/api/directoryaudit-list). The log,
 * its `$filter` and its paging are emulator/audit.ts; these are the routes.
 */
import { getDirectoryAudit, listDirectoryAudits, requireAuditRead } from "../audit";
import type { EmulatorState } from "../state";
import { checkQueryOptions, type GraphRequest, type GraphResponse, metadataContext, type RouteDef } from "./request";

function listAudits(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireAuditRead(req.claims);
  return { status: 200, body: listDirectoryAudits(state.audit, req) };
}

function getAudit(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireAuditRead(req.claims);
  checkQueryOptions(req, ["$select"]);
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, "auditLogs/directoryAudits/$entity"),
      ...getDirectoryAudit(state.audit, id),
    },
  };
}

export const DIRECTORY_AUDIT_ROUTES: RouteDef[] = [
  { pattern: ["auditLogs", "directoryAudits"], name: "auditLogs/directoryAudits", methods: { GET: listAudits } },
  {
    pattern: ["auditLogs", "directoryAudits", ":id"],
    name: "auditLogs/directoryAudits/{id}",
    methods: { GET: getAudit },
  },
];
