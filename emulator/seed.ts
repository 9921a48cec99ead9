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
 * The 20 properties of onPremisesDirectorySynchronizationFeature. Kept apart from providers/directorySync.ts on
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

export interface ThrottlingOptions {
  enabled: boolean;
  /** Resource units in the bucket (Graph: 3,500 / 5,000 / 8,000 for S/M/L tenants). */
  bucketSize: number;
  /** Seconds in which a full bucket refills (Graph: 10). */
  windowSeconds: number;
}

export interface TenantOptions {
  /** How PATCH of `features` on onPremisesSynchronization treats unsent booleans: replace (→ false) or merge. */
  featuresPatchSemantics: "replace" | "merge";
  /** Accept app-only tokens (role OnPremDirectorySynchronization.*) on /directory/onPremisesSynchronization. */
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
  featuresPatchSemantics: "replace",
  allowAppOnlyOnPremSync: false,
  tokenLifetimeSeconds: 3600,
  autoApproveDeviceCodesAs: null,
  deviceCodeIntervalSeconds: 1,
  throttling: { enabled: false, bucketSize: 3500, windowSeconds: 10 },
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
  onPremisesSynchronization?: { configuration?: Partial<SyncConfiguration>; features?: Partial<Features> };
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
  additionalProperties: false,
};

export const optionsSchema = {
  type: "object",
  properties: {
    featuresPatchSemantics: { enum: ["replace", "merge"] },
    allowAppOnlyOnPremSync: { type: "boolean" },
    tokenLifetimeSeconds: { type: "integer", minimum: 1, maximum: 86400 },
    autoApproveDeviceCodesAs: { type: ["string", "null"] },
    deviceCodeIntervalSeconds: { type: "integer", minimum: 0, maximum: 60 },
    throttling: {
      type: "object",
      properties: {
        enabled: { type: "boolean" },
        bucketSize: { type: "number", exclusiveMinimum: 0 },
        windowSeconds: { type: "number", exclusiveMinimum: 0 },
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
            items: { type: "string", pattern: "^[A-Za-z]+(\\.[A-Za-z-]+)+$" },
            uniqueItems: true,
          },
          delegatedScopes: { type: "array", items: { type: "string" }, uniqueItems: true },
          publicClient: { type: "boolean" },
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
