import type { Client } from "@microsoft/microsoft-graph-client";
import { describeGraphError, GraphRequestError, permissionHint } from "./errors";

/**
 * The tenant's directory-synchronization settings: `onPremisesDirectorySynchronization`, one object per tenant
 * whose id is the tenant id. Only GET and PATCH exist (no create, no delete).
 * https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization
 *
 * The seed article places this switch in a "Directory Feature Settings" directory-settings template; Graph has no
 * such template. `features.bypassDirSyncOverridesEnabled` is the switch, and Microsoft documents `true` as
 * "persists the values of Mobile and OtherMobile in on-premises AD during sync cycles instead of values of
 * MobilePhone or AlternateMobilePhones in Microsoft Entra ID"
 * (https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature).
 */
export const FEATURE_NAMES = [
  "allowOnPremUpdateOfOnPremisesObjectIdentifierEnabled",
  "blockCloudObjectTakeoverThroughHardMatchEnabled",
  "blockSoftMatchEnabled",
  "bypassDirSyncOverridesEnabled",
  "cloudPasswordPolicyForPasswordSyncedUsersEnabled",
  "concurrentCredentialUpdateEnabled",
  "concurrentOrgIdProvisioningEnabled",
  "deviceWritebackEnabled",
  "directoryExtensionsEnabled",
  "fopeConflictResolutionEnabled",
  "groupWriteBackEnabled",
  "passwordSyncEnabled",
  "passwordWritebackEnabled",
  "quarantineUponProxyAddressesConflictEnabled",
  "quarantineUponUpnConflictEnabled",
  "softMatchOnUpnEnabled",
  "synchronizeUpnForManagedUsersEnabled",
  "unifiedGroupWritebackEnabled",
  "userForcePasswordChangeOnLogonEnabled",
  "userWritebackEnabled",
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export type Features = Partial<Record<FeatureName, boolean | null>> & Record<string, unknown>;

export interface OnPremisesDirectorySynchronization {
  id: string;
  configuration?: Record<string, unknown>;
  features: Features;
}

export function isFeatureName(name: string): name is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}

const PATH = "/directory/onPremisesSynchronization";

/**
 * Reads the tenant's single sync object. Zero or several objects is an error, never a guess.
 * `purpose: "write"` makes a 403 name the permission the following PATCH will need.
 */
export async function getDirectorySync(
  client: Client,
  purpose: "read" | "write" = "read",
): Promise<OnPremisesDirectorySynchronization> {
  let body: { value?: OnPremisesDirectorySynchronization[] };
  try {
    body = await client.api(PATH).get();
  } catch (e) {
    throw describeGraphError(`GET ${PATH}`, e, permissionHint(purpose === "write" ? "syncWrite" : "syncRead"));
  }
  const items = body?.value;
  if (!Array.isArray(items) || items.length !== 1) {
    throw new GraphRequestError(
      `GET ${PATH} returned ${Array.isArray(items) ? items.length : "no"} objects; a tenant has exactly one. ` +
        "Is directory synchronization (Entra Connect) set up for this tenant?",
      undefined,
      undefined,
      undefined,
    );
  }
  const item = items[0];
  if (!item.id || typeof item.features !== "object" || item.features === null) {
    throw new GraphRequestError(
      `GET ${PATH} returned an object without id or features`,
      undefined,
      undefined,
      undefined,
    );
  }
  return item;
}

/**
 * Features that only go one way: once on they cannot be turned off
 * (https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature: softMatchOnUpnEnabled,
 * synchronizeUpnForManagedUsersEnabled).
 */
export const ONE_WAY_FEATURES = ["softMatchOnUpnEnabled", "synchronizeUpnForManagedUsersEnabled"] as const;
/** "This property isn't in use and updating it isn't supported" (same page): never changed by syncgap. */
export const UNSUPPORTED_FEATURES = ["passwordWritebackEnabled"] as const;

/** Why a change to these features must not be sent, or undefined when it may. */
export function forbiddenFeatureChange(
  current: Features,
  changes: Partial<Record<FeatureName, boolean>>,
): string | undefined {
  for (const name of ONE_WAY_FEATURES) {
    if (current[name] === true && changes[name] === false) {
      return `${name} is on, and Microsoft documents it as one-way (once enabled it cannot be disabled): syncgap will not send false`;
    }
  }
  for (const name of UNSUPPORTED_FEATURES) {
    if (name in changes && changes[name] !== (current[name] ?? false)) {
      return `${name} is not in use and updating it is not supported (Microsoft Learn, onPremisesDirectorySynchronizationFeature): syncgap will not change it`;
    }
  }
  return undefined;
}

/**
 * An OData annotation rather than a feature (`@odata.type`, `x@odata.type`, …): never sent back. Graph ignores or
 * refuses them in a request body depending on the service; the strict form has none.
 */
function isAnnotation(key: string): boolean {
  return key.startsWith("@") || key.includes("@odata.");
}

/**
 * Sets features. The docs do not say whether a partial `features` object merges or replaces (evidence says merge:
 * shared/docs/facts.md), so this always sends the whole object as read, with only `changes` applied: unsent features
 * can then never be reset by accident, whichever semantics the service applies. Keys syncgap does not know (a
 * feature Microsoft added after this build) are sent back as they were read, and annotations are dropped. A change
 * that would turn a one-way feature off, or touch the unsupported passwordWritebackEnabled, is refused before
 * anything is sent.
 */
export async function patchFeatures(
  client: Client,
  current: OnPremisesDirectorySynchronization,
  changes: Partial<Record<FeatureName, boolean>>,
): Promise<Features> {
  const refused = forbiddenFeatureChange(current.features, changes);
  if (refused) {
    throw new GraphRequestError(`PATCH ${PATH}/${current.id} not sent: ${refused}`, undefined, undefined, undefined);
  }
  const features: Features = {};
  for (const [k, v] of Object.entries({ ...current.features, ...changes })) if (!isAnnotation(k)) features[k] = v;
  try {
    await client.api(`${PATH}/${encodeURIComponent(current.id)}`).patch({ features });
  } catch (e) {
    throw describeGraphError(`PATCH ${PATH}/${current.id}`, e, permissionHint("syncWrite"));
  }
  return features;
}
