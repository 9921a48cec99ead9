/**
 * The JSON Schema of the seed format (./types.ts) and of its parts that the admin API takes alone (tenant options, sync
 * source). `emulator/seeds/seed.schema.json` is `seedSchema` written out (test/emulator/odata-and-seed.test.ts checks
 * that they match).
 */
import { USER_PROPS } from "../users";
import { FEATURE_NAMES } from "./types";

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
