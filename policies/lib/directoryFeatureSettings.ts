/**
 * What the policies know about syncgap's DirectoryFeatureSettings dynamic resource: its type token (imported from
 * the provider, so the two can never drift) and the shape of its properties as a policy sees them.
 *
 * A policy sees plain JSON: inputs for resource policies, planned outputs for stack policies. Dynamic resources
 * also carry a `__provider` property (the serialized provider); the policies ignore it.
 */
import type { GraphConnectionSettings } from "../../graph/connection";
import { DIRECTORY_FEATURE_SETTINGS_TYPE } from "../../providers/directoryFeatureSettings";

export { DIRECTORY_FEATURE_SETTINGS_TYPE };

export type MobilePhoneAuthority = "onPremises" | "cloud";

export interface DirectoryFeatureSettingsProps {
  bypassDirSyncOverridesEnabled?: boolean;
  mobilePhoneAuthority?: MobilePhoneAuthority;
  onDelete?: "retain" | "restore";
  tenantId?: string;
  connection?: Partial<GraphConnectionSettings>;
  /** Other onPremisesDirectorySynchronizationFeature booleans, outputs (liveFeatures, …) and `__provider`. */
  [key: string]: unknown;
}

/** The value of bypassDirSyncOverridesEnabled that an authority needs (Microsoft Learn: true = AD's values win). */
export function flagFor(authority: MobilePhoneAuthority): boolean {
  return authority === "onPremises";
}

/** The tenant a resource declares: `tenantId`, else `connection.tenantId`; lower-cased. */
export function tenantOf(props: DirectoryFeatureSettingsProps): string | undefined {
  const raw =
    typeof props.tenantId === "string" && props.tenantId !== ""
      ? props.tenantId
      : typeof props.connection?.tenantId === "string"
        ? props.connection.tenantId
        : undefined;
  return raw ? raw.trim().toLowerCase() : undefined;
}
