/**
 * The product's read-modify-write of `features` against the local tenant with whole-object replace semantics (so a
 * client relying on merge would lose values): a feature key syncgap has never heard of survives a provider update and
 * is sent in the PATCH; the PATCH is the strict form (no annotations); the one-way features and the unsupported
 * passwordWritebackEnabled are never flipped (https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorConnection, type RunningEmulator, startEmulator, trustEmulatorCa } from "../../emulator";
import { createGraphConnection } from "../../graph/client";
import {
  FEATURE_NAMES,
  forbiddenFeatureChange,
  getDirectorySync,
  patchFeatures,
} from "../../graph/onPremisesSynchronization";
import type { SettingsInputs, SettingsOutputs } from "../../providers/directoryFeatureSettingsProvider";

const TENANT = "2b1c6d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const APP = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
const SECRET = "feature-pass-through-secret-not-real";
const FUTURE = "someFutureFeatureEnabled";

// Loaded the way the dynamic provider loads it in Pulumi's provider process (providers/directoryFeatureSettings.ts
// loadImpl): through tsx's CommonJS require, so its own lazy require() calls resolve as they do there.
const implPath = join(__dirname, "..", "..", "providers", "directoryFeatureSettingsProvider.ts");
const { update, remove } = createRequire(__filename)("tsx/cjs/api").require(
  implPath,
  implPath,
) as typeof import("../../providers/directoryFeatureSettingsProvider");

let emu: RunningEmulator;
let savedSecret: string | undefined;

beforeAll(async () => {
  emu = await startEmulator({
    seed: {
      tenant: { id: TENANT, displayName: "pass-through", initialDomain: "passthrough.onmicrosoft.com" },
      options: {
        featuresPatchSemantics: "replace",
        allowAppOnlyOnPremSync: true,
        additionalFeatureNames: [FUTURE],
      },
      onPremisesSynchronization: {
        features: { passwordSyncEnabled: true, softMatchOnUpnEnabled: true, [FUTURE]: true },
      },
      applications: [
        {
          displayName: "syncgap",
          appId: APP,
          clientSecrets: [{ value: SECRET }],
          appRoles: ["OnPremDirectorySynchronization.ReadWrite.All"],
        },
      ],
    },
  });
  trustEmulatorCa(emu.caPem);
  savedSecret = process.env.AZURE_CLIENT_SECRET;
  process.env.AZURE_CLIENT_SECRET = SECRET; // the provider reads its secret from the environment, as in Pulumi
});
beforeEach(async () => {
  await emu.admin.reset();
});
afterAll(async () => {
  if (savedSecret === undefined) delete process.env.AZURE_CLIENT_SECRET;
  else process.env.AZURE_CLIENT_SECRET = savedSecret;
  await emu?.stop();
});

const connection = () => emulatorConnection(emu, { clientId: APP, authMethod: "clientSecret" });

function inputs(over: Record<string, unknown> = {}): SettingsInputs {
  return {
    bypassDirSyncOverridesEnabled: true,
    onDelete: "retain",
    connection: connection(),
    ...over,
  } as SettingsInputs;
}

async function lastPatchBody(): Promise<Record<string, unknown>> {
  const patches = await emu.admin.requests({
    method: "PATCH",
    pathPrefix: "/v1.0/directory/onPremisesSynchronization",
  });
  expect(patches.length).toBeGreaterThan(0);
  return (patches[patches.length - 1].body as { features: Record<string, unknown> }).features;
}

describe("a feature syncgap does not know", () => {
  it("is known to this tenant and not to the product", () => {
    expect((FEATURE_NAMES as readonly string[]).includes(FUTURE)).toBe(false);
  });

  it("survives the provider's update under replace semantics, and was sent in the PATCH", async () => {
    const olds = {
      ...inputs({ bypassDirSyncOverridesEnabled: false }),
      tenantId: TENANT,
      managedFeatures: [],
      liveFeatures: {},
      priorValues: {},
    };
    const r = await update(TENANT, olds as unknown as SettingsOutputs, inputs());
    expect(r.outs?.bypassDirSyncOverridesEnabled).toBe(true);
    const live = (await emu.admin.syncObject()).features;
    expect(live.bypassDirSyncOverridesEnabled).toBe(true);
    expect(live[FUTURE]).toBe(true);
    expect(live.passwordSyncEnabled).toBe(true);
    expect(live.softMatchOnUpnEnabled).toBe(true);
    const sent = await lastPatchBody();
    expect(sent[FUTURE]).toBe(true);
    expect(Object.keys(sent)).toHaveLength(21);
  });

  it("the PATCH is the strict form: no @odata annotations, even when the GET carried them", async () => {
    const { client } = createGraphConnection(connection(), { env: { AZURE_CLIENT_SECRET: SECRET } });
    const current = await getDirectorySync(client, "write");
    const echoed = {
      ...current,
      features: {
        ...current.features,
        "@odata.type": "#microsoft.graph.onPremisesDirectorySynchronizationFeature",
        "x@odata.etag": "1",
      },
    };
    await patchFeatures(client, echoed, { blockSoftMatchEnabled: true });
    const sent = await lastPatchBody();
    expect(Object.keys(sent).filter((k) => k.includes("@"))).toEqual([]);
    expect(sent[FUTURE]).toBe(true);
    expect((await emu.admin.syncObject()).features.blockSoftMatchEnabled).toBe(true);
  });
});

describe("features that must never be flipped by accident", () => {
  it("a declared softMatchOnUpnEnabled: false while it is on is refused before anything is sent", async () => {
    const before = await emu.admin.requests({ method: "PATCH" });
    const olds = { ...inputs(), tenantId: TENANT, managedFeatures: [], liveFeatures: {}, priorValues: {} };
    await expect(
      update(TENANT, olds as unknown as SettingsOutputs, inputs({ softMatchOnUpnEnabled: false })),
    ).rejects.toThrow(/softMatchOnUpnEnabled is on.*one-way/);
    expect(await emu.admin.requests({ method: "PATCH" })).toHaveLength(before.length);
    expect((await emu.admin.syncObject()).features.softMatchOnUpnEnabled).toBe(true);
  });

  it("passwordWritebackEnabled is never changed, and undeclared ones are sent as they were", async () => {
    expect(forbiddenFeatureChange({ passwordWritebackEnabled: false }, { passwordWritebackEnabled: true })).toMatch(
      /not supported/,
    );
    expect(
      forbiddenFeatureChange(
        { synchronizeUpnForManagedUsersEnabled: true },
        { synchronizeUpnForManagedUsersEnabled: false },
      ),
    ).toMatch(/one-way/);
    expect(forbiddenFeatureChange({ softMatchOnUpnEnabled: false }, { softMatchOnUpnEnabled: true })).toBeUndefined();
    const olds = {
      ...inputs({ bypassDirSyncOverridesEnabled: false }),
      tenantId: TENANT,
      managedFeatures: [],
      liveFeatures: {},
      priorValues: {},
    };
    await update(TENANT, olds as unknown as SettingsOutputs, inputs());
    const sent = await lastPatchBody();
    expect(sent.passwordWritebackEnabled).toBe(false);
    expect(sent.softMatchOnUpnEnabled).toBe(true);
    expect(sent.synchronizeUpnForManagedUsersEnabled).toBe(false);
  });

  it("delete with restore leaves a one-way feature it turned on as it is", async () => {
    const olds = {
      ...inputs({ softMatchOnUpnEnabled: true }),
      onDelete: "restore",
      tenantId: TENANT,
      managedFeatures: ["bypassDirSyncOverridesEnabled", "softMatchOnUpnEnabled"],
      liveFeatures: {},
      priorValues: { bypassDirSyncOverridesEnabled: false, softMatchOnUpnEnabled: false },
    };
    await emu.admin.setFeatures({ bypassDirSyncOverridesEnabled: true });
    await remove(TENANT, olds as unknown as SettingsOutputs);
    const live = (await emu.admin.syncObject()).features;
    expect(live.bypassDirSyncOverridesEnabled).toBe(false);
    expect(live.softMatchOnUpnEnabled).toBe(true);
    expect(live[FUTURE]).toBe(true);
  });
});
