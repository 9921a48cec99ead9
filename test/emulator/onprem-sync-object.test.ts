/**
 * /directory/onPremisesSynchronization: permission decisions for app-only vs delegated tokens, PATCH semantics
 * (a partial features object merges by default, as Entra does; replace is an option), validation, and counting
 * PATCHes in the request log.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FEATURE_NAMES, type RunningEmulator } from "../../emulator";
import {
  APP_ID,
  APP_SECRET,
  baseSeed,
  graphClient,
  passwordCredential,
  READER_PASSWORD,
  READER_UPN,
  READONLY_APP_ID,
  raw,
  secretCredential,
  startTestEmulator,
  TENANT_ID,
} from "../support/emulatorTenant";

let emu: RunningEmulator;
const path = `/directory/onPremisesSynchronization/${TENANT_ID}`;

beforeAll(async () => {
  emu = await startTestEmulator();
});
beforeEach(async () => {
  await emu.admin.reset();
});
afterAll(async () => {
  await emu?.stop();
});

describe("permissions", () => {
  it("delegated Global Administrator with OnPremDirectorySynchronization.ReadWrite.All can GET and PATCH", async () => {
    const client = graphClient(emu, passwordCredential(emu));
    const list = await client.api("/directory/onPremisesSynchronization").get();
    expect(list.value).toHaveLength(1);
    expect(list.value[0].id).toBe(TENANT_ID);
    expect(Object.keys(list.value[0].features).sort()).toEqual([...FEATURE_NAMES].sort());
    // the emulator's own list (not the provider's) against Microsoft's OpenAPI description
    const openapi = JSON.parse(
      readFileSync(`${__dirname}/../fixtures/graph-openapi/graph-v1.0-subset.json`, "utf8"),
    ) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    const declared = Object.keys(
      openapi.components.schemas["microsoft.graph.onPremisesDirectorySynchronizationFeature"]!.properties,
    );
    expect([...FEATURE_NAMES].sort()).toEqual(declared.sort());
    expect(FEATURE_NAMES).toHaveLength(20);
    const one = await client.api(path).get();
    expect(one.features.passwordSyncEnabled).toBe(true);
    await client.api(path).patch({ features: { ...one.features, bypassDirSyncOverridesEnabled: true } });
    expect((await emu.admin.syncObject()).features.bypassDirSyncOverridesEnabled).toBe(true);
  });

  it("delegated roles follow the Entra role reference: Global Reader reads, Hybrid Identity Administrator reads and writes, no role → 403", async () => {
    const scopes = ["OnPremDirectorySynchronization.ReadWrite.All"];
    await emu.admin.addUsers([
      {
        userPrincipalName: "hybrid@corp.example.test",
        password: "hybrid-pw",
        scopes,
        directoryRoles: ["Hybrid Identity Administrator"],
      },
      { userPrincipalName: "norole@corp.example.test", password: "norole-pw", scopes },
    ]);
    const denied = {
      statusCode: 403,
      code: "Authorization_RequestDenied",
      message: "Insufficient privileges to complete the operation.",
    };
    const reader = graphClient(emu, passwordCredential(emu, READER_UPN, READER_PASSWORD));
    expect((await reader.api(path).get()).id).toBe(TENANT_ID);
    await expect(reader.api(path).patch({ features: { blockSoftMatchEnabled: true } })).rejects.toMatchObject(denied);
    const hybrid = graphClient(emu, passwordCredential(emu, "hybrid@corp.example.test", "hybrid-pw"));
    expect((await hybrid.api(path).get()).id).toBe(TENANT_ID);
    await hybrid
      .api(path)
      .patch({ features: { ...(await hybrid.api(path).get()).features, blockSoftMatchEnabled: true } });
    expect((await emu.admin.syncObject()).features.blockSoftMatchEnabled).toBe(true);
    const noRole = graphClient(emu, passwordCredential(emu, "norole@corp.example.test", "norole-pw"));
    await expect(noRole.api(path).get()).rejects.toMatchObject(denied);
  });

  it("app-only with OnPremDirectorySynchronization.ReadWrite.All reads and writes by default; allowAppOnlyOnPremSync: false refuses it", async () => {
    const client = graphClient(emu, secretCredential(emu));
    expect((await client.api(path).get()).id).toBe(TENANT_ID);
    expect((await client.api("/directory/onPremisesSynchronization").get()).value[0].id).toBe(TENANT_ID);
    await client.api(path).patch({ features: { bypassDirSyncOverridesEnabled: true } });
    expect((await emu.admin.syncObject()).features.bypassDirSyncOverridesEnabled).toBe(true);
    await emu.admin.setOptions({ allowAppOnlyOnPremSync: false });
    await expect(client.api(path).get()).rejects.toMatchObject({
      statusCode: 403,
      code: "Authorization_RequestDenied",
    });
    await expect(client.api(path).patch({ features: { bypassDirSyncOverridesEnabled: false } })).rejects.toMatchObject({
      statusCode: 403,
    });
    expect((await emu.admin.syncObject()).features.bypassDirSyncOverridesEnabled).toBe(true);
  });

  it("app-only with only .Read.All reads but cannot PATCH; without the role → 403", async () => {
    await emu.admin.seed(
      baseSeed({
        applications: [
          {
            displayName: "reads sync",
            appId: APP_ID,
            clientSecrets: [{ value: APP_SECRET }],
            appRoles: ["OnPremDirectorySynchronization.Read.All"],
          },
          {
            displayName: "read-only app",
            appId: READONLY_APP_ID,
            clientSecrets: [{ value: APP_SECRET }],
            appRoles: ["User.Read.All"],
          },
        ],
      }),
    );
    try {
      const readsSync = graphClient(emu, secretCredential(emu));
      expect((await readsSync.api(path).get()).id).toBe(TENANT_ID);
      await expect(readsSync.api(path).patch({ features: { blockSoftMatchEnabled: true } })).rejects.toMatchObject({
        statusCode: 403,
      });
      const ro = graphClient(emu, secretCredential(emu, READONLY_APP_ID));
      await expect(ro.api(path).get()).rejects.toMatchObject({ statusCode: 403 });
    } finally {
      await emu.admin.seed(baseSeed());
    }
  });
});

describe("PATCH semantics", () => {
  it("with featuresPatchSemantics=replace a partial features object replaces features whole: unsent booleans become false", async () => {
    await emu.admin.setOptions({ featuresPatchSemantics: "replace" });
    const client = graphClient(emu, passwordCredential(emu));
    expect((await emu.admin.syncObject()).features.passwordSyncEnabled).toBe(true);
    await client.api(path).patch({ features: { bypassDirSyncOverridesEnabled: true } });
    const f = (await emu.admin.syncObject()).features;
    expect(f.bypassDirSyncOverridesEnabled).toBe(true);
    expect(f.passwordSyncEnabled).toBe(false);
    expect(f.softMatchOnUpnEnabled).toBe(false);
  });

  it("by default (merge, shared/docs/facts.md) unsent booleans are kept", async () => {
    expect((await emu.admin.getOptions()).featuresPatchSemantics).toBe("merge");
    const client = graphClient(emu, passwordCredential(emu));
    await client.api(path).patch({ features: { bypassDirSyncOverridesEnabled: true } });
    const f = (await emu.admin.syncObject()).features;
    expect(f.bypassDirSyncOverridesEnabled).toBe(true);
    expect(f.passwordSyncEnabled).toBe(true);
  });

  it("PATCH answers 204 No Content and the request log counts PATCHes with their bodies", async () => {
    const client = graphClient(emu, passwordCredential(emu));
    const before = (await emu.admin.requests({ method: "PATCH" })).length;
    expect(before).toBe(0);
    const full = (await client.api(path).get()).features;
    const r = await raw(emu, "PATCH", `/v1.0${path}`, {
      token: (await passwordCredential(emu).getToken("https://graph.microsoft.com/.default")).token,
      body: { features: { ...full, bypassDirSyncOverridesEnabled: true } },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    await client.api(path).patch({ features: { ...full, bypassDirSyncOverridesEnabled: false } });
    const patches = await emu.admin.requests({
      method: "PATCH",
      pathPrefix: "/v1.0/directory/onPremisesSynchronization",
    });
    expect(patches).toHaveLength(2);
    expect(patches.every((e) => e.isPatch && e.status === 204)).toBe(true);
    expect((patches[0].body as { features: Record<string, boolean> }).features.bypassDirSyncOverridesEnabled).toBe(
      true,
    );
    expect(Object.keys((patches[1].body as { features: object }).features)).toHaveLength(20);
    await emu.admin.clearRequests();
    expect(await emu.admin.requests()).toEqual([]);
  });

  it("configuration merges by default, is replaced whole with featuresPatchSemantics=replace, and is validated", async () => {
    const client = graphClient(emu, passwordCredential(emu));
    await client.api(path).patch({ configuration: { accidentalDeletionPrevention: { alertThreshold: 20 } } });
    expect((await emu.admin.syncObject()).configuration).toEqual({
      accidentalDeletionPrevention: { alertThreshold: 20, synchronizationPreventionType: "enabledForCount" },
    });
    await emu.admin.setOptions({ featuresPatchSemantics: "replace" });
    await client.api(path).patch({ configuration: { accidentalDeletionPrevention: { alertThreshold: 10 } } });
    expect((await emu.admin.syncObject()).configuration).toEqual({
      accidentalDeletionPrevention: { alertThreshold: 10, synchronizationPreventionType: "disabled" },
    });
    await expect(
      client
        .api(path)
        .patch({ configuration: { accidentalDeletionPrevention: { synchronizationPreventionType: "sometimes" } } }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it("unknown properties → 400; wrong types → 400; wrong id → 404; nothing changes", async () => {
    const token = (await passwordCredential(emu).getToken("https://graph.microsoft.com/.default")).token;
    const before = await emu.admin.syncObject();
    const cases: [string, unknown, number, RegExp][] = [
      [
        path,
        { feature: { bypassDirSyncOverridesEnabled: true } },
        400,
        /property 'feature' does not exist on type 'microsoft.graph.onPremisesDirectorySynchronization'/,
      ],
      [
        path,
        { features: { bypassDirSyncOverrideEnabled: true } },
        400,
        /property 'bypassDirSyncOverrideEnabled' does not exist/,
      ],
      [path, { features: { bypassDirSyncOverridesEnabled: "true" } }, 400, /Edm.Boolean/],
      [path, { features: [] }, 400, /onPremisesDirectorySynchronizationFeature/],
      [
        "/directory/onPremisesSynchronization/00000000-0000-4000-8000-000000000000",
        { features: {} },
        404,
        /does not exist/,
      ],
    ];
    for (const [p, body, status, msg] of cases) {
      const r = await raw(emu, "PATCH", `/v1.0${p}`, { token, body: body as object });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect((r.body as { error: { message: string } }).error.message).toMatch(msg);
    }
    const getWrong = await raw(
      emu,
      "GET",
      "/v1.0/directory/onPremisesSynchronization/00000000-0000-4000-8000-000000000000",
      { token },
    );
    expect(getWrong.status).toBe(404);
    expect((getWrong.body as { error: { code: string } }).error.code).toBe("Request_ResourceNotFound");
    expect(await emu.admin.syncObject()).toEqual(before);
  });
});
