/**
 * Seed format of the local tenant: the types of a seed and of the tenant options, and their defaults. Its JSON Schema
 * is ./schema.ts, its validation ./validate.ts. See docs/emulator.md for an annotated example;
 * `emulator/seeds/contoso.json` is the default seed.
 */
import type { AdUser } from "../../ad/types";

/**
 * The 20 properties of onPremisesDirectorySynchronizationFeature. Kept apart from graph/onPremisesSynchronization.ts on
 * purpose: the emulator stands in for Microsoft and must not take the product's word for the schema. Both lists are
 * checked against Microsoft's OpenAPI description (test/emulator/onprem-sync-object.test.ts,
 * test/providers/directoryFeatureSettingsProvider.test.ts).
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
export type Features = Record<FeatureName, boolean | null>;

export type DeletionPreventionType = "disabled" | "enabledForCount" | "enabledForPercentage" | "unknownFutureValue";

export interface SyncConfiguration {
  accidentalDeletionPrevention: {
    alertThreshold: number | null;
    synchronizationPreventionType: DeletionPreventionType;
  } | null;
}

/**
 * Graph's identity and access service limits (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits),
 * per application+tenant pair: a resource-unit quota of 3,500 / 5,000 / 8,000 per 10 seconds for S / M / L tenants
 * (under 50 users, 50–500, above 500) and a write quota of 3,000 requests per 2 minutes 30 seconds.
 */
export interface ThrottlingOptions {
  enabled: boolean;
  /** Resource units in the bucket; "auto" picks Graph's S/M/L quota from the tenant's user count at each request. */
  bucketSize: number | "auto";
  /** Seconds in which a full bucket refills (Graph: 10). */
  windowSeconds: number;
  /** Writes (POST, PATCH, PUT, DELETE) in the write bucket (Graph: 3,000). */
  writeBucketSize: number;
  /** Seconds in which a full write bucket refills (Graph: 150). */
  writeWindowSeconds: number;
}

export interface TenantOptions {
  /**
   * How PATCH of `features` on onPremisesSynchronization treats unsent booleans: merge (kept, as Entra does: a partial
   * features object merges, shared/docs/facts.md) or replace (→ false; tests use it to prove a client sends the whole
   * object).
   */
  featuresPatchSemantics: "replace" | "merge";
  /**
   * Feature names this tenant knows beyond FEATURE_NAMES: stands in for a newer Graph that grew the list (a client
   * must pass keys it has never heard of through). Other unknown names are refused with 400, as Graph does.
   */
  additionalFeatureNames: string[];
  /**
   * How long a delta token lives. Directory objects: seven days
   * (https://learn.microsoft.com/graph/delta-query-overview#token-duration).
   */
  deltaTokenLifetimeSeconds: number;
  /** The answer to an expired delta token: Graph documents "a 40X-series error with error codes such as syncStateNotFound". */
  deltaTokenExpiredError: { status: number; code: string };
  /**
   * Accept app-only tokens (role OnPremDirectorySynchronization.Read.All / ReadWrite.All) on
   * /directory/onPremisesSynchronization. Default true: Microsoft's permission files list the application permissions
   * (microsoft-graph-docs PR 22337) and app-only use works in Entra today; false models the rendered pages'
   * "Application: Not supported" (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get).
   */
  allowAppOnlyOnPremSync: boolean;
  /** Lifetime of access tokens issued from now on. */
  tokenLifetimeSeconds: number;
  /** When set, device codes are approved at once as this user (userPrincipalName). */
  autoApproveDeviceCodesAs: string | null;
  /** The `interval` the devicecode endpoint tells clients to poll at. */
  deviceCodeIntervalSeconds: number;
  throttling: ThrottlingOptions;
  /** Run a Delta sync cycle every N seconds when a sync source is configured (null: only on demand). */
  syncIntervalSeconds: number | null;
  /** What a sync does with synced users that are no longer in the source. */
  syncDeletions: "keep" | "softDelete";
  /** Entries kept in the request log (oldest dropped first). */
  requestLogLimit: number;
}

/** A change to tenant options (throttling may be given in part). */
export type TenantOptionsPatch = Omit<Partial<TenantOptions>, "throttling"> & {
  throttling?: Partial<ThrottlingOptions>;
};

export const DEFAULT_OPTIONS: TenantOptions = {
  featuresPatchSemantics: "merge",
  additionalFeatureNames: [],
  deltaTokenLifetimeSeconds: 7 * 24 * 3600,
  deltaTokenExpiredError: { status: 400, code: "syncStateNotFound" },
  allowAppOnlyOnPremSync: true,
  tokenLifetimeSeconds: 3600,
  autoApproveDeviceCodesAs: null,
  deviceCodeIntervalSeconds: 1,
  throttling: { enabled: true, bucketSize: "auto", windowSeconds: 10, writeBucketSize: 3000, writeWindowSeconds: 150 },
  syncIntervalSeconds: null,
  syncDeletions: "keep",
  requestLogLimit: 10_000,
};

export type SyncSourceConfig =
  | {
      kind: "ldap";
      url: string;
      bindDN: string;
      password: string;
      baseDNs: string[];
      caPem?: string;
      startTls?: boolean;
      servername?: string;
    }
  | { kind: "ldif"; path: string }
  | { kind: "inline"; users: AdUser[] };

export interface SeedApplication {
  displayName: string;
  appId: string;
  servicePrincipalId?: string;
  clientSecrets?: { value: string; displayName?: string; endDateTime?: string }[];
  certificates?: { pem: string; displayName?: string; endDateTime?: string }[];
  /** Microsoft Graph application permissions granted (admin-consented), e.g. "User.Read.All". */
  appRoles?: string[];
  /** Delegated permissions the app may receive; when absent, the user's consented scopes apply unfiltered. */
  delegatedScopes?: string[];
  /** Public client flows (device code, ROPC) without a client credential. Default true. */
  publicClient?: boolean;
  /**
   * Who may sign in (the app registration's signInAudience). "AzureADMyOrg" (default, the portal's default too):
   * only through this tenant's own authority; the /common and /organizations authorities answer AADSTS50194.
   * "AzureADMultipleOrgs": those authorities work too.
   */
  signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
}

export type SeedUser = Record<string, unknown> & {
  userPrincipalName: string;
  id?: string;
  dirSyncOverride?: boolean;
  password?: string;
  scopes?: string[];
  directoryRoles?: string[];
};

export interface Seed {
  tenant: {
    id: string;
    displayName: string;
    /** The initial domain, e.g. `contoso.onmicrosoft.com`. */
    initialDomain: string;
    verifiedDomains?: string[];
    /** Default domain name (defaults to the first verified domain, else the initial domain). */
    defaultDomain?: string;
    createdDateTime?: string;
  };
  options?: TenantOptionsPatch;
  onPremisesSynchronization?: {
    configuration?: Partial<SyncConfiguration>;
    features?: Partial<Features> & Record<string, boolean | null>;
  };
  organization?: { onPremisesSyncEnabled?: boolean | null; onPremisesLastSyncDateTime?: string | null };
  applications?: SeedApplication[];
  users?: SeedUser[];
  syncSource?: SyncSourceConfig;
}
