import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../graph/onPremisesSynchronization";
import {
  changedProperties,
  check,
  declaredFeatures,
  type SettingsInputs,
  type SettingsOutputs,
} from "../../providers/directoryFeatureSettingsProvider";

const connection = {
  cloud: "global",
  tenantId: "6f1c2a4e-1b7d-4e55-9c1e-2f5a8b9c0d11",
  clientId: "0b4f6a1e-7c2d-4b8e-9f3a-5d6e7f8a9b0c",
  authMethod: "clientSecret",
} as const;

const valid = { bypassDirSyncOverridesEnabled: true, connection };

describe("DirectoryFeatureSettings check (JSON Schema)", () => {
  it("accepts a minimal declaration and defaults onDelete to retain", async () => {
    const r = await check({}, { ...valid });
    expect(r.failures ?? []).toEqual([]);
    expect(r.inputs.onDelete).toBe("retain");
  });

  it("names the property when the required flag is missing or not a boolean", async () => {
    const missing = await check({}, { connection });
    expect(missing.failures).toContainEqual(expect.objectContaining({ property: "bypassDirSyncOverridesEnabled" }));
    const wrongType = await check({}, { ...valid, bypassDirSyncOverridesEnabled: "false" });
    expect(wrongType.failures?.[0]).toMatchObject({ property: "bypassDirSyncOverridesEnabled" });
    expect(wrongType.failures?.[0].reason).toContain("must be boolean");
  });

  it("rejects unknown properties, bad onDelete and a malformed tenant id with the property named", async () => {
    const r = await check({}, { ...valid, bypassDirSyncOverride: true, onDelete: "destroy", tenantId: "contoso" });
    const props = (r.failures ?? []).map((f) => f.property);
    expect(props).toEqual(expect.arrayContaining(["bypassDirSyncOverride", "onDelete", "tenantId"]));
    const unknown = r.failures?.find((f) => f.property === "bypassDirSyncOverride");
    expect(unknown?.reason).toContain('unknown property "bypassDirSyncOverride"');
  });

  it("rejects a connection without tenant or with a bad auth method", async () => {
    const r = await check({}, { ...valid, connection: { cloud: "global", authMethod: "password" } });
    const props = (r.failures ?? []).map((f) => f.property);
    expect(props).toEqual(expect.arrayContaining(["tenantId", "connection.authMethod"]));
  });
});

describe("DirectoryFeatureSettings diff", () => {
  const olds = {
    ...valid,
    onDelete: "retain",
    tenantId: connection.tenantId,
    managedFeatures: ["bypassDirSyncOverridesEnabled"],
    liveFeatures: {},
    priorValues: { bypassDirSyncOverridesEnabled: false },
  } as unknown as SettingsOutputs;

  it("is empty when the declared features match the live ones, whatever the connection", () => {
    const news = { ...valid, onDelete: "retain", connection: { ...connection, graphEndpoint: "https://127.0.0.1:9" } };
    expect(changedProperties(olds, news as SettingsInputs)).toEqual([]);
  });

  it("names a drifted or newly declared feature, and one no longer declared", () => {
    expect(
      changedProperties({ ...olds, bypassDirSyncOverridesEnabled: false }, { ...valid, onDelete: "retain" }),
    ).toEqual(["bypassDirSyncOverridesEnabled"]);
    const added = { ...valid, onDelete: "retain", blockSoftMatchEnabled: true } as SettingsInputs;
    expect(changedProperties(olds, added)).toEqual(["blockSoftMatchEnabled"]);
    const withSoft = { ...olds, blockSoftMatchEnabled: true } as SettingsOutputs;
    expect(changedProperties(withSoft, { ...valid, onDelete: "retain" } as SettingsInputs)).toEqual([
      "blockSoftMatchEnabled",
    ]);
  });

  it("declaredFeatures ignores non-feature keys", () => {
    expect(declaredFeatures({ ...valid, tenantId: "x", blockSoftMatchEnabled: false })).toEqual({
      bypassDirSyncOverridesEnabled: true,
      blockSoftMatchEnabled: false,
    });
  });
});

describe("feature names", () => {
  it("are exactly the properties of onPremisesDirectorySynchronizationFeature in Microsoft's OpenAPI description", () => {
    const doc = JSON.parse(readFileSync(`${__dirname}/../fixtures/graph-openapi/graph-v1.0-subset.json`, "utf8")) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const declared = Object.keys(
      doc.components.schemas["microsoft.graph.onPremisesDirectorySynchronizationFeature"].properties,
    );
    expect([...FEATURE_NAMES].sort()).toEqual(declared.sort());
  });
});
