/**
 * `/directory/onPremisesSynchronization`: the tenant's onPremisesDirectorySynchronization object, list, get and
 * PATCH (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get, …-update), and the view of it
 * the admin API shares.
 */
import { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "../directoryRoles";
import { badRequest, forbidden, type GraphError } from "../errors";
import { type DeletionPreventionType, FEATURE_NAMES, type SyncConfiguration } from "../seed/types";
import type { EmulatorState } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { actorOf, hasAny, isApp, scopesOf } from "./caller";
import {
  checkQueryOptions,
  type GraphRequest,
  type GraphResponse,
  isAnnotation,
  metadataContext,
  notFound,
  type RouteDef,
  requireObjectBody,
  unknownProperty,
} from "./request";

/**
 * onPremisesDirectorySynchronization permissions.
 * - App-only: application OnPremDirectorySynchronization.Read.All (GET) or .ReadWrite.All (GET, PATCH). Microsoft's
 *   permission files list them (microsoft-graph-docs PR 22337) and they work in Entra today, though the rendered pages
 *   (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get, …-update) still say "Not supported";
 *   the tenant option allowAppOnlyOnPremSync: false models those pages.
 * - Delegated: the same scopes and a role that holds the object's permission. The Graph pages name only Global
 *   Administrator; the Entra role reference
 *   (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#hybrid-identity-administrator,
 *   …#global-reader) gives Hybrid Identity Administrator read and update and Global Reader read.
 * A denial is Graph's 403 Authorization_RequestDenied "Insufficient privileges to complete the operation." as it is:
 * Graph does not name the missing permission or role, so neither does the emulator (naming it is the client's job).
 */
const ONPREM_SYNC_READ_ROLES = [
  GLOBAL_ADMINISTRATOR,
  ROLE_TEMPLATES["Hybrid Identity Administrator"],
  ROLE_TEMPLATES["Global Reader"],
];
const ONPREM_SYNC_WRITE_ROLES = [GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES["Hybrid Identity Administrator"]];

function requireOnPremSync(state: EmulatorState, c: AccessTokenClaims, write: boolean): void {
  const perms = write
    ? ["OnPremDirectorySynchronization.ReadWrite.All"]
    : ["OnPremDirectorySynchronization.Read.All", "OnPremDirectorySynchronization.ReadWrite.All"];
  if (isApp(c)) {
    if (!state.tenant.options.allowAppOnlyOnPremSync || !hasAny(c.roles, perms)) throw forbidden();
    return;
  }
  const roles = write ? ONPREM_SYNC_WRITE_ROLES : ONPREM_SYNC_READ_ROLES;
  if (!hasAny(scopesOf(c), perms) || !hasAny(c.wids, roles)) throw forbidden();
}

const SYNC_TYPE = "microsoft.graph.onPremisesDirectorySynchronization";
const FEATURE_TYPE = "microsoft.graph.onPremisesDirectorySynchronizationFeature";
const CONFIG_TYPE = "microsoft.graph.onPremisesDirectorySynchronizationConfiguration";
const ADP_TYPE = "microsoft.graph.onPremisesAccidentalDeletionPrevention";
const PREVENTION_TYPES = ["disabled", "enabledForCount", "enabledForPercentage", "unknownFutureValue"];

function conversionError(expected: string): GraphError {
  return badRequest(`Cannot convert the literal to the expected type '${expected}'.`);
}

/** The feature names this tenant knows: Microsoft's list, plus any the tenant options add (a newer Graph). */
export function knownFeatureNames(state: EmulatorState): string[] {
  return [
    ...FEATURE_NAMES,
    ...state.tenant.options.additionalFeatureNames.filter((f) => !FEATURE_NAMES.includes(f as never)),
  ];
}

/** The sync object as Graph shows it: every known feature present (false when never set). */
export function syncObjectView(state: EmulatorState): {
  id: string;
  configuration: SyncConfiguration;
  features: Record<string, boolean | null>;
} {
  const obj = state.tenant.syncObject();
  const stored = obj.features as Record<string, boolean | null>;
  const features = Object.fromEntries(knownFeatureNames(state).map((f) => [f, stored[f] ?? false]));
  return { ...obj, features };
}

function listSync(state: EmulatorState, req: GraphRequest): GraphResponse {
  requireOnPremSync(state, req.claims, false);
  checkQueryOptions(req, ["$select"]);
  return {
    status: 200,
    body: {
      "@odata.context": metadataContext(req, "directory/onPremisesSynchronization"),
      value: [syncObjectView(state)],
    },
  };
}

function syncById(state: EmulatorState, id: string) {
  if (id.toLowerCase() !== state.tenant.id) throw notFound(id);
  return syncObjectView(state);
}

function getSync(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOnPremSync(state, req.claims, false);
  checkQueryOptions(req, ["$select"]);
  const obj = syncById(state, id);
  return {
    status: 200,
    body: { "@odata.context": metadataContext(req, "directory/onPremisesSynchronization/$entity"), ...obj },
  };
}

/**
 * PATCH: 204 No Content (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-update). A partial
 * `features` object merges (the default: shared/docs/facts.md), or replaces the stored one whole (unsent booleans →
 * false) with the tenant option featuresPatchSemantics "replace", which catches a client that relies on merging.
 * `configuration` follows the same option. A change of the features writes the "Set DirSync feature" audit record.
 */
function patchSync(state: EmulatorState, req: GraphRequest, [id]: string[]): GraphResponse {
  requireOnPremSync(state, req.claims, true);
  const tenant = state.tenant;
  syncById(state, id);
  const body = requireObjectBody(req.body);
  const merge = tenant.options.featuresPatchSemantics === "merge";
  const known = new Set(knownFeatureNames(state));
  let features: Record<string, boolean | null> | undefined;
  let configuration: SyncConfiguration | undefined;
  for (const [name, value] of Object.entries(body)) {
    if (isAnnotation(name)) continue;
    if (name === "id") {
      if (value !== tenant.id)
        throw badRequest("The id of the onPremisesDirectorySynchronization object cannot be changed.");
      continue;
    }
    if (name === "features") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw conversionError(FEATURE_TYPE);
      const sent: Record<string, boolean | null> = {};
      for (const [f, v] of Object.entries(value as Record<string, unknown>)) {
        if (isAnnotation(f)) continue;
        if (!known.has(f)) throw unknownProperty(f, FEATURE_TYPE);
        if (v !== null && typeof v !== "boolean") throw conversionError("Edm.Boolean");
        sent[f] = v as boolean | null;
      }
      features = sent;
      continue;
    }
    if (name === "configuration") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw conversionError(CONFIG_TYPE);
      const cfg: SyncConfiguration = merge
        ? structuredClone(tenant.configuration)
        : { accidentalDeletionPrevention: null };
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (isAnnotation(k)) continue;
        if (k !== "accidentalDeletionPrevention") throw unknownProperty(k, CONFIG_TYPE);
        if (v === null) {
          cfg.accidentalDeletionPrevention = null;
          continue;
        }
        if (typeof v !== "object" || Array.isArray(v)) throw conversionError(ADP_TYPE);
        const out: { alertThreshold: number | null; synchronizationPreventionType: DeletionPreventionType } =
          merge && cfg.accidentalDeletionPrevention
            ? { ...cfg.accidentalDeletionPrevention }
            : { alertThreshold: null, synchronizationPreventionType: "disabled" };
        for (const [ak, av] of Object.entries(v as Record<string, unknown>)) {
          if (isAnnotation(ak)) continue;
          if (ak === "alertThreshold") {
            if (
              av !== null &&
              (typeof av !== "number" || !Number.isInteger(av) || av < -2147483648 || av > 2147483647)
            ) {
              throw conversionError("Edm.Int32");
            }
            out.alertThreshold = av as number | null;
          } else if (ak === "synchronizationPreventionType") {
            if (typeof av !== "string" || !PREVENTION_TYPES.includes(av)) {
              throw badRequest(
                `Requested value '${String(av)}' was not found in enum 'onPremisesDirectorySynchronizationDeletionPreventionType'.`,
              );
            }
            out.synchronizationPreventionType = av as DeletionPreventionType;
          } else {
            throw unknownProperty(ak, ADP_TYPE);
          }
        }
        cfg.accidentalDeletionPrevention = out;
      }
      configuration = cfg;
      continue;
    }
    throw unknownProperty(name, SYNC_TYPE);
  }
  if (features) {
    if (!merge) {
      // replace: every known feature not sent becomes false
      for (const f of known) if (!(f in features)) features[f] = false;
    }
    state.changeFeatures(features, actorOf(state, req.claims), !merge);
  }
  if (configuration) tenant.configuration = configuration;
  return { status: 204 };
}

export const ON_PREMISES_SYNCHRONIZATION_ROUTES: RouteDef[] = [
  {
    pattern: ["directory", "onPremisesSynchronization"],
    name: "directory/onPremisesSynchronization",
    methods: { GET: listSync },
  },
  {
    pattern: ["directory", "onPremisesSynchronization", ":id"],
    name: "directory/onPremisesSynchronization/{id}",
    methods: { GET: getSync, PATCH: patchSync },
  },
];
