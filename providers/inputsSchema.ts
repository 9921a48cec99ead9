/**
 * The JSON Schema of DirectoryFeatureSettings' inputs, built from the constants the code already has (the feature
 * names, the clouds, the sign-in methods), so the schema cannot drift from them. The provider's `check` validates
 * against it; `schemas/directory-feature-settings.inputs.schema.json` is the same object written out for editors and
 * reviewers (`npx tsx providers/inputsSchema.ts --write && npx biome format --write schemas/`;
 * test/providers/inputsSchema.test.ts fails when it differs).
 * The Graph connection's part is shared with the mobile-gap-impact policy's `entra.connection`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUDS } from "../graph/clouds";
import { AUTH_METHODS } from "../graph/connection";
import { FEATURE_NAMES } from "../graph/onPremisesSynchronization";

const HTTPS_ORIGIN = "^https://[^/]+/?$";

/** The Graph connection settings (graph/connection.ts GraphConnectionSettings) as JSON Schema properties. */
export const CONNECTION_PROPERTIES = {
  cloud: { enum: Object.keys(CLOUDS) },
  tenantId: { type: "string", minLength: 1 },
  clientId: { type: "string" },
  authMethod: { enum: [...AUTH_METHODS] },
  authorityHost: { type: "string", pattern: HTTPS_ORIGIN },
  graphEndpoint: { type: "string", pattern: HTTPS_ORIGIN },
  caCertPath: { type: "string" },
  certificatePath: { type: "string" },
  serviceConnectionId: { type: "string" },
  username: { type: "string" },
} as const;

export function inputsSchema(): Record<string, unknown> {
  const features = Object.fromEntries(
    [...FEATURE_NAMES].sort().map((name) => [
      name,
      name === "bypassDirSyncOverridesEnabled"
        ? {
            type: "boolean",
            description:
              "true: on-prem AD's mobile/otherMobile win over cloud edits during sync (Microsoft Learn: how-to-bypassdirsyncoverrides). Required.",
          }
        : {
            type: "boolean",
            description: `Declared value of onPremisesDirectorySynchronizationFeature.${name}. Undeclared features are never touched.`,
          },
    ]),
  );
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://syncgap.dev/schemas/directory-feature-settings.inputs.json",
    title: "DirectoryFeatureSettings inputs",
    type: "object",
    required: ["bypassDirSyncOverridesEnabled", "connection"],
    additionalProperties: false,
    properties: {
      ...features,
      tenantId: {
        type: "string",
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description: "Expected tenant id; the resource fails rather than touch another tenant.",
      },
      onDelete: {
        enum: ["retain", "restore"],
        description:
          "retain (default): deleting the resource leaves the tenant as it is; restore: put back the values found before the first change.",
      },
      connection: { $ref: "#/$defs/connection" },
      mobilePhoneAuthority: {
        enum: ["onPremises", "cloud"],
        description: "The intent the value was derived from (informational; policies read it).",
      },
    },
    $defs: {
      connection: {
        type: "object",
        additionalProperties: false,
        required: ["cloud", "tenantId", "authMethod"],
        description: "How to reach the tenant. Never secret: secrets come from the environment at run time.",
        properties: CONNECTION_PROPERTIES,
      },
    },
  };
}

export const INPUTS_SCHEMA_FILE = join(__dirname, "..", "schemas", "directory-feature-settings.inputs.schema.json");

export function inputsSchemaText(): string {
  return `${JSON.stringify(inputsSchema(), null, 2)}\n`;
}

if (require.main === module && process.argv.includes("--write")) {
  writeFileSync(INPUTS_SCHEMA_FILE, inputsSchemaText());
  console.log(`wrote ${INPUTS_SCHEMA_FILE}`);
}
