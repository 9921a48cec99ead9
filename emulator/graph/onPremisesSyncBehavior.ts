/**
 * The one Microsoft Graph **beta** resource the local tenant serves: `users/{id}/onPremisesSyncBehavior`, a user's
 * source of authority (https://learn.microsoft.com/graph/api/resources/onpremisessyncbehavior?view=graph-rest-beta).
 * Every other beta path answers 400, as before. Shapes follow
 * test/fixtures/graph-openapi/graph-beta-onpremisessyncbehavior-subset.json.
 *
 * What moving a user to the cloud does, per the SOA how-to
 * (https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure, "Status of attributes
 * after you convert SOA"): `isCloudManaged` true and `onPremisesSyncEnabled` null, the on-premises attributes kept;
 * Connect Sync stops sending AD's changes (emulator/entraConnect.ts). Back to false: `onPremisesSyncEnabled` stays null "until
 * the sync client takes over the object" at its next cycle.
 */
import type { AuditActor } from "../audit";
import { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "../directoryRoles";
import { badRequest, forbidden } from "../errors";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";
import type { UserRecord } from "../users";
import { actorOf, hasAny, isApp, scopesOf } from "./caller";
import {
  checkQueryOptions,
  type GraphRequest,
  type GraphResponse,
  isAnnotation,
  notFound,
  type RouteDef,
  requireObjectBody,
  unknownProperty,
} from "./request";

const PERMISSION = "User-OnPremisesSyncBehavior.ReadWrite.All";

/**
 * Permissions (api-reference/beta/includes/permissions/onpremisessyncbehavior-get-permissions.md):
 * User-OnPremisesSyncBehavior.ReadWrite.All, delegated or application, for get and update; delegated callers also
 * need Hybrid Administrator (the template id of "Hybrid Identity Administrator") or Global Administrator.
 */
function requireSyncBehavior(c: AccessTokenClaims): void {
  if (isApp(c)) {
    if (!hasAny(c.roles, [PERMISSION])) throw forbidden();
    return;
  }
  if (!hasAny(scopesOf(c), [PERMISSION])) throw forbidden();
  if (!hasAny(c.wids, [ROLE_TEMPLATES["Hybrid Identity Administrator"], GLOBAL_ADMINISTRATOR])) throw forbidden();
}

function userOf(state: EmulatorState, key: string): UserRecord {
  const rec = state.tenant.users.find(key);
  if (!rec) throw notFound(key);
  return rec;
}

/** The resource as beta shows it. */
export function syncBehaviorOf(rec: UserRecord): { id: string; isCloudManaged: boolean } {
  return { id: rec.data.id, isCloudManaged: rec.cloudManaged === true };
}

/**
 * Moves a user's source of authority to the cloud (true) or back (false), as the beta PATCH and the admin API do,
 * writing the audit record. Only an object that is or was synced from AD has an AD source of authority to move.
 */
export function setCloudManaged(state: EmulatorState, rec: UserRecord, cloud: boolean, actor: AuditActor): void {
  const was = rec.cloudManaged === true;
  if (was === cloud) return;
  const store = state.tenant.users;
  if (cloud) {
    if (rec.data.onPremisesSyncEnabled !== true && !rec.soaRollbackPending) {
      throw badRequest(
        `The source of authority of '${rec.data.id}' is already the cloud: only an object synchronized from on-premises Active Directory can be converted.`,
      );
    }
    rec.cloudManaged = true;
    rec.soaRollbackPending = false;
    store.update(rec, { onPremisesSyncEnabled: null });
  } else {
    rec.cloudManaged = false;
    rec.soaRollbackPending = true;
  }
  state.audit.sourceOfAuthorityChanged(actor, rec.data, cloud);
}

function getSyncBehavior(state: EmulatorState, req: GraphRequest, [key]: string[]): GraphResponse {
  requireSyncBehavior(req.claims);
  checkQueryOptions(req, ["$select"]);
  const rec = userOf(state, key);
  const full = syncBehaviorOf(rec);
  let body: Record<string, unknown> = full;
  if (req.query.$select !== undefined) {
    const names = req.query.$select.split(",").map((s) => s.trim());
    for (const n of names)
      if (!(n in full))
        throw badRequest(`Could not find a property named '${n}' on type 'microsoft.graph.onPremisesSyncBehavior'.`);
    body = Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || names.includes(k)));
  }
  return {
    status: 200,
    body: {
      "@odata.context": `${req.origin}/beta/$metadata#users('${rec.data.id}')/onPremisesSyncBehavior/$entity`,
      ...body,
    },
  };
}

function patchSyncBehavior(state: EmulatorState, req: GraphRequest, [key]: string[]): GraphResponse {
  requireSyncBehavior(req.claims);
  const rec = userOf(state, key);
  const body = requireObjectBody(req.body);
  let cloud: boolean | undefined;
  for (const [k, v] of Object.entries(body)) {
    if (isAnnotation(k) || k === "id") continue;
    if (k !== "isCloudManaged") throw unknownProperty(k, "microsoft.graph.onPremisesSyncBehavior");
    if (typeof v !== "boolean") throw badRequest("Cannot convert the literal to the expected type 'Edm.Boolean'.");
    cloud = v;
  }
  if (cloud !== undefined) setCloudManaged(state, rec, cloud, actorOf(state, req.claims));
  return { status: 204 };
}

export const ON_PREMISES_SYNC_BEHAVIOR_ROUTES: RouteDef[] = [
  {
    pattern: ["users", ":id", "onPremisesSyncBehavior"],
    name: "beta/users/{id}/onPremisesSyncBehavior",
    methods: { GET: getSyncBehavior, PATCH: patchSyncBehavior },
  },
];
