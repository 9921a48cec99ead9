/**
 * The provider's input schema is built from the code's own constants (providers/inputsSchema.ts); the committed JSON
 * file is that object written out. A feature, cloud or sign-in method added in code without the file following fails
 * here, as does an edit of the file by hand.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AUTH_METHODS } from "../../graph/connection";
import { FEATURE_NAMES } from "../../graph/onPremisesSynchronization";
import { check } from "../../providers/directoryFeatureSettingsProvider";
import { INPUTS_SCHEMA_FILE, inputsSchema } from "../../providers/inputsSchema";

const connection = { cloud: "global", tenantId: "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", authMethod: "clientSecret" };

describe("DirectoryFeatureSettings input schema", () => {
  it("is the committed schemas/directory-feature-settings.inputs.schema.json (regenerate: npx tsx providers/inputsSchema.ts --write)", () => {
    expect(JSON.parse(readFileSync(INPUTS_SCHEMA_FILE, "utf8"))).toEqual(inputsSchema());
  });

  it("has one boolean per feature Graph names, every sign-in method, and nothing else", () => {
    const s = inputsSchema() as {
      properties: Record<string, { type?: string }>;
      $defs: { connection: { properties: { authMethod: { enum: string[] } } } };
    };
    for (const f of FEATURE_NAMES) expect(s.properties[f]?.type, f).toBe("boolean");
    expect(Object.keys(s.properties).sort()).toEqual(
      [...FEATURE_NAMES, "tenantId", "onDelete", "connection", "mobilePhoneAuthority"].sort(),
    );
    expect(s.$defs.connection.properties.authMethod.enum).toEqual([...AUTH_METHODS]);
  });

  it("is what the provider's check applies: an unknown feature or a non-boolean is a failure naming the property", async () => {
    const ok = await check({}, { bypassDirSyncOverridesEnabled: true, passwordSyncEnabled: false, connection });
    expect(ok.failures).toBeUndefined();
    const unknown = await check({}, { bypassDirSyncOverridesEnabled: true, mobileSyncEnabled: true, connection });
    expect(unknown.failures).toEqual([
      expect.objectContaining({
        property: "mobileSyncEnabled",
        reason: expect.stringMatching(/unknown property "mobileSyncEnabled"/),
      }),
    ]);
    const notBoolean = await check({}, { bypassDirSyncOverridesEnabled: true, passwordSyncEnabled: "yes", connection });
    expect(notBoolean.failures?.[0]).toMatchObject({ property: "passwordSyncEnabled" });
  });
});
