/**
 * Seed format of the local tenant, its JSON Schema, and validation with ajv (errors name the JSON pointer of each
 * bad value). See docs/emulator.md for an annotated example; `emulator/seeds/contoso.json` is the default seed.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import type { AdUser } from "../ad/types";
import { USER_PROPS } from "./users";

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

const GUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const DOMAIN = "^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$";

const userPropSchemas: Record<string, unknown> = {};
for (const [name, def] of Object.entries(USER_PROPS)) {
  const base =
    def.type === "boolean"
      ? { type: ["boolean", "null"] }
      : def.type === "stringArray"
        ? { type: "array", items: { type: "string" } }
        : def.type === "datetime"
          ? { type: ["string", "null"], format: "date-time" }
          : { type: ["string", "null"], ...(def.maxLength ? { maxLength: def.maxLength } : {}) };
  userPropSchemas[name] = base;
}
userPropSchemas.id = { type: "string", pattern: GUID };
userPropSchemas.userPrincipalName = { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$" };

const adUserSchema = {
  type: "object",
  required: ["distinguishedName", "otherMobile", "enabled"],
  properties: {
    distinguishedName: { type: "string" },
    userPrincipalName: { type: "string" },
    sAMAccountName: { type: "string" },
    displayName: { type: "string" },
    mobile: { type: "string" },
    otherMobile: { type: "array", items: { type: "string" } },
    objectGuid: { type: "string", pattern: GUID },
    consistencyGuid: { type: "string", pattern: GUID },
    immutableId: { type: "string" },
    objectSid: { type: "string" },
    userAccountControl: { type: "integer" },
    enabled: { type: "boolean" },
    whenChanged: { type: "string" },
    uSNChanged: { type: "string" },
  },
  additionalProperties: false,
};

export const syncSourceSchema = {
  oneOf: [
    {
      type: "object",
      required: ["kind", "url", "bindDN", "password", "baseDNs"],
      properties: {
        kind: { const: "ldap" },
        url: { type: "string", pattern: "^ldaps?://" },
        bindDN: { type: "string" },
        password: { type: "string" },
        baseDNs: { type: "array", minItems: 1, items: { type: "string" } },
        caPem: { type: "string" },
        startTls: { type: "boolean" },
        servername: { type: "string" },
      },
      additionalProperties: false,
    },
    {
      type: "object",
      required: ["kind", "path"],
      properties: { kind: { const: "ldif" }, path: { type: "string", minLength: 1 } },
      additionalProperties: false,
    },
    {
      type: "object",
      required: ["kind", "users"],
      properties: { kind: { const: "inline" }, users: { type: "array", items: adUserSchema } },
      additionalProperties: false,
    },
  ],
};

const featuresSchema = {
  type: "object",
  properties: Object.fromEntries(FEATURE_NAMES.map((f) => [f, { type: ["boolean", "null"] }])),
  // A name outside FEATURE_NAMES must also be in options.additionalFeatureNames (checked in validateSeed).
  additionalProperties: { type: ["boolean", "null"] },
};

export const optionsSchema = {
  type: "object",
  properties: {
    featuresPatchSemantics: { enum: ["replace", "merge"] },
    additionalFeatureNames: {
      type: "array",
      items: { type: "string", pattern: "^[a-z][A-Za-z0-9]*Enabled$" },
      uniqueItems: true,
    },
    deltaTokenLifetimeSeconds: { type: "integer", minimum: 1 },
    deltaTokenExpiredError: {
      type: "object",
      required: ["status", "code"],
      properties: { status: { type: "integer", minimum: 400, maximum: 499 }, code: { type: "string", minLength: 1 } },
      additionalProperties: false,
    },
    allowAppOnlyOnPremSync: { type: "boolean" },
    tokenLifetimeSeconds: { type: "integer", minimum: 1, maximum: 86400 },
    autoApproveDeviceCodesAs: { type: ["string", "null"] },
    deviceCodeIntervalSeconds: { type: "integer", minimum: 0, maximum: 60 },
    throttling: {
      type: "object",
      properties: {
        enabled: { type: "boolean" },
        bucketSize: { anyOf: [{ type: "number", exclusiveMinimum: 0 }, { const: "auto" }] },
        windowSeconds: { type: "number", exclusiveMinimum: 0 },
        writeBucketSize: { type: "number", exclusiveMinimum: 0 },
        writeWindowSeconds: { type: "number", exclusiveMinimum: 0 },
      },
      additionalProperties: false,
    },
    syncIntervalSeconds: { type: ["integer", "null"], minimum: 1 },
    syncDeletions: { enum: ["keep", "softDelete"] },
    requestLogLimit: { type: "integer", minimum: 0 },
  },
  additionalProperties: false,
};

export const seedSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "syncgap local tenant seed",
  type: "object",
  required: ["tenant"],
  properties: {
    $schema: { type: "string" },
    tenant: {
      type: "object",
      required: ["id", "displayName", "initialDomain"],
      properties: {
        id: { type: "string", pattern: GUID },
        displayName: { type: "string", minLength: 1 },
        initialDomain: { type: "string", pattern: "^[a-zA-Z0-9][a-zA-Z0-9-]{0,26}\\.onmicrosoft\\.com$" },
        verifiedDomains: { type: "array", items: { type: "string", pattern: DOMAIN }, uniqueItems: true },
        defaultDomain: { type: "string", pattern: DOMAIN },
        createdDateTime: { type: "string", format: "date-time" },
      },
      additionalProperties: false,
    },
    options: optionsSchema,
    onPremisesSynchronization: {
      type: "object",
      properties: {
        configuration: {
          type: "object",
          properties: {
            accidentalDeletionPrevention: {
              type: ["object", "null"],
              properties: {
                alertThreshold: { type: ["integer", "null"] },
                synchronizationPreventionType: {
                  enum: ["disabled", "enabledForCount", "enabledForPercentage", "unknownFutureValue"],
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        features: featuresSchema,
      },
      additionalProperties: false,
    },
    organization: {
      type: "object",
      properties: {
        onPremisesSyncEnabled: { type: ["boolean", "null"] },
        onPremisesLastSyncDateTime: { type: ["string", "null"], format: "date-time" },
      },
      additionalProperties: false,
    },
    applications: {
      type: "array",
      items: {
        type: "object",
        required: ["displayName", "appId"],
        properties: {
          displayName: { type: "string", minLength: 1 },
          appId: { type: "string", pattern: GUID },
          servicePrincipalId: { type: "string", pattern: GUID },
          clientSecrets: {
            type: "array",
            items: {
              type: "object",
              required: ["value"],
              properties: {
                value: { type: "string", minLength: 1 },
                displayName: { type: "string" },
                endDateTime: { type: "string", format: "date-time" },
              },
              additionalProperties: false,
            },
          },
          certificates: {
            type: "array",
            items: {
              type: "object",
              required: ["pem"],
              properties: {
                pem: { type: "string", pattern: "-----BEGIN CERTIFICATE-----" },
                displayName: { type: "string" },
                endDateTime: { type: "string", format: "date-time" },
              },
              additionalProperties: false,
            },
          },
          appRoles: {
            type: "array",
            // e.g. User.Read.All, User-OnPremisesSyncBehavior.ReadWrite.All
            items: { type: "string", pattern: "^[A-Za-z][A-Za-z-]*(\\.[A-Za-z-]+)+$" },
            uniqueItems: true,
          },
          delegatedScopes: { type: "array", items: { type: "string" }, uniqueItems: true },
          publicClient: { type: "boolean" },
          signInAudience: { enum: ["AzureADMyOrg", "AzureADMultipleOrgs"] },
        },
        additionalProperties: false,
      },
    },
    users: {
      type: "array",
      items: {
        type: "object",
        required: ["userPrincipalName"],
        properties: {
          ...userPropSchemas,
          dirSyncOverride: { type: "boolean" },
          password: { type: "string", minLength: 1 },
          scopes: { type: "array", items: { type: "string" }, uniqueItems: true },
          directoryRoles: { type: "array", items: { type: "string" }, uniqueItems: true },
        },
        additionalProperties: false,
      },
    },
    syncSource: syncSourceSchema,
  },
  additionalProperties: false,
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateSeedFn = ajv.compile(seedSchema);
const validateOptionsFn = ajv.compile(optionsSchema);
const validateSourceFn = ajv.compile(syncSourceSchema);

export class SeedValidationError extends Error {
  constructor(
    readonly errors: string[],
    what = "seed",
  ) {
    super(`invalid ${what}:\n  ${errors.join("\n  ")}`);
    this.name = "SeedValidationError";
  }
}

function describe(errors: typeof validateSeedFn.errors): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    const where = e.instancePath || "(root)";
    if (e.keyword === "additionalProperties") {
      out.push(`${where}: unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`);
    } else if (e.keyword === "enum") {
      out.push(`${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`);
    } else {
      out.push(`${where}: ${e.message}`);
    }
  }
  return [...new Set(out)];
}

/** Validates a seed object; throws SeedValidationError listing every problem. */
export function validateSeed(seed: unknown): Seed {
  if (!validateSeedFn(seed)) throw new SeedValidationError(describe(validateSeedFn.errors));
  const s = seed as Seed;
  const problems: string[] = [];
  const upns = new Set<string>();
  for (const [i, u] of (s.users ?? []).entries()) {
    const k = u.userPrincipalName.toLowerCase();
    if (upns.has(k)) problems.push(`/users/${i}/userPrincipalName: duplicate '${u.userPrincipalName}'`);
    upns.add(k);
  }
  const appIds = new Set<string>();
  for (const [i, a] of (s.applications ?? []).entries()) {
    if (appIds.has(a.appId.toLowerCase())) problems.push(`/applications/${i}/appId: duplicate '${a.appId}'`);
    appIds.add(a.appId.toLowerCase());
  }
  const extra = new Set(s.options?.additionalFeatureNames ?? []);
  for (const f of Object.keys(s.onPremisesSynchronization?.features ?? {})) {
    if (!(FEATURE_NAMES as readonly string[]).includes(f) && !extra.has(f)) {
      problems.push(
        `/onPremisesSynchronization/features: unknown property '${f}' (list it in options.additionalFeatureNames)`,
      );
    }
  }
  const auto = s.options?.autoApproveDeviceCodesAs;
  if (auto && !upns.has(auto.toLowerCase()))
    problems.push(`/options/autoApproveDeviceCodesAs: no seeded user '${auto}'`);
  if (problems.length) throw new SeedValidationError(problems);
  return s;
}

export function validateOptions(options: unknown): TenantOptionsPatch {
  if (!validateOptionsFn(options)) throw new SeedValidationError(describe(validateOptionsFn.errors), "options");
  return options as TenantOptionsPatch;
}

export function validateSyncSource(source: unknown): SyncSourceConfig {
  if (!validateSourceFn(source)) throw new SeedValidationError(describe(validateSourceFn.errors), "sync source");
  return source as SyncSourceConfig;
}

export function loadSeedFile(path: string): Seed {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read seed ${path}: ${(e as Error).message}`);
  }
  return validateSeed(raw);
}
