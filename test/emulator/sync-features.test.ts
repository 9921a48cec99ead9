/**
 * The sync features as Entra handles them today: a PATCH body echoed back from a GET (annotations and all) is
 * accepted, unknown names are refused unless the tenant knows them (a newer Graph: options.additionalFeatureNames),
 * and every change writes the "Set DirSync feature" directory audit record, served at /auditLogs/directoryAudits with
 * $filter, $top, $orderby and skiptoken paging, and validated against Microsoft's auditLogs OpenAPI subset.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import type { DirectoryAudit } from "../../emulator/audit";
import {
  ADMIN_UPN,
  APP_ID,
  APP_SECRET,
  adminToken,
  appToken,
  baseSeed,
  graphClient,
  passwordCredential,
  READER_UPN,
  raw,
  secretCredential,
  startTestEmulator,
  TENANT_ID,
} from "../support/emulatorTenant";
import { loadOpenApiSubset } from "../support/openapi";

let emu: RunningEmulator;
const path = `/directory/onPremisesSynchronization/${TENANT_ID}`;
const AUDIT_APP_ID = "eeeeeeee-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const AUDIT_ONLY_APP_ID = "ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee";

// Microsoft's own list example returns "initiatedBy": {"app": null} (shared/graph-openapi README): allow null there.
const audits = loadOpenApiSubset("graph-v1.0-auditlogs-subset.json", (defs) => {
  const init = defs["microsoft.graph.auditActivityInitiator"] as { properties: Record<string, unknown> };
  for (const k of ["app", "user"]) init.properties[k] = { anyOf: [init.properties[k], { type: "null" }] };
});

function seed() {
  const s = baseSeed({ options: { allowAppOnlyOnPremSync: true } });
  s.applications?.push(
    {
      displayName: "audit reader",
      appId: AUDIT_APP_ID,
      clientSecrets: [{ value: APP_SECRET }],
      appRoles: ["AuditLog.Read.All", "Directory.Read.All"],
    },
    {
      displayName: "audit only",
      appId: AUDIT_ONLY_APP_ID,
      clientSecrets: [{ value: APP_SECRET }],
      appRoles: ["AuditLog.Read.All"],
    },
  );
  const admin = s.users?.find((u) => u.userPrincipalName === ADMIN_UPN);
  admin?.scopes?.push("AuditLog.Read.All", "Directory.Read.All");
  return s;
}

beforeAll(async () => {
  emu = await startTestEmulator({ seed: seed() });
});
beforeEach(async () => {
  await emu.admin.reset();
});
afterAll(async () => {
  await emu?.stop();
});

async function auditsAsApp(query = ""): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await raw(emu, "GET", `/v1.0/auditLogs/directoryAudits${query}`, {
    token: await appToken(emu, AUDIT_APP_ID),
  });
  return { status: r.status, body: r.body as Record<string, unknown> };
}

describe("PATCH bodies", () => {
  it("accepts a body echoed back from a GET: @odata.context, @odata.type, @odata.etag and *@odata.* keys are ignored", async () => {
    const client = graphClient(emu, passwordCredential(emu));
    const read = await client.api(path).get();
    expect(read["@odata.context"]).toMatch(/\$metadata#directory\/onPremisesSynchronization\/\$entity$/);
    const body = {
      ...read,
      "@odata.etag": 'W/"1"',
      "@odata.type": "#microsoft.graph.onPremisesDirectorySynchronization",
      "features@odata.type": "#microsoft.graph.onPremisesDirectorySynchronizationFeature",
      features: {
        ...read.features,
        "@odata.type": "#microsoft.graph.onPremisesDirectorySynchronizationFeature",
        bypassDirSyncOverridesEnabled: true,
      },
    };
    const r = await raw(emu, "PATCH", `/v1.0${path}`, { token: await adminToken(emu), body });
    expect(r.status, r.text).toBe(204);
    const after = await emu.admin.syncObject();
    expect(after.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(Object.keys(after.features).some((k) => k.includes("@"))).toBe(false);
  });

  it("refuses a feature name Graph does not know with 400, and stores and returns one the tenant knows", async () => {
    const token = await adminToken(emu);
    const unknown = await raw(emu, "PATCH", `/v1.0${path}`, {
      token,
      body: { features: { someFutureFeatureEnabled: true } },
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/someFutureFeatureEnabled/);

    await emu.admin.setOptions({ additionalFeatureNames: ["someFutureFeatureEnabled"] });
    const listed = (await graphClient(emu, passwordCredential(emu)).api(path).get()).features;
    expect(listed.someFutureFeatureEnabled).toBe(false);
    expect(Object.keys(listed)).toHaveLength(21);
    const ok = await raw(emu, "PATCH", `/v1.0${path}`, {
      token,
      body: { features: { someFutureFeatureEnabled: true } },
    });
    expect(ok.status).toBe(204);
    expect((await emu.admin.syncObject()).features.someFutureFeatureEnabled).toBe(true);
    // the 20th flag (July 2026) is one Graph knows without any option
    expect(listed.allowOnPremUpdateOfOnPremisesObjectIdentifierEnabled).toBe(false);
  });

  it("a seed may set a listed extra feature; an unlisted one is refused", async () => {
    const s = seed();
    s.options = { ...s.options, additionalFeatureNames: ["someFutureFeatureEnabled"] };
    s.onPremisesSynchronization = { features: { someFutureFeatureEnabled: true } };
    const other = await startTestEmulator({ seed: s });
    try {
      expect((await other.admin.syncObject()).features.someFutureFeatureEnabled).toBe(true);
    } finally {
      await other.stop();
    }
    const bad = seed();
    bad.onPremisesSynchronization = { features: { someFutureFeatureEnabled: true } };
    await expect(emu.admin.seed(bad)).rejects.toThrow(/someFutureFeatureEnabled.*additionalFeatureNames/);
  });
});

describe("directory audit records", () => {
  it("a delegated PATCH writes 'Set DirSync feature' naming the user, with old and new features", async () => {
    const before = (await emu.admin.syncObject()).features;
    const client = graphClient(emu, passwordCredential(emu));
    await client.api(path).patch({ features: { bypassDirSyncOverridesEnabled: true } });
    const r = await auditsAsApp();
    expect(r.status).toBe(200);
    expect(audits.problems("microsoft.graph.directoryAuditCollectionResponse", r.body)).toBeNull();
    const value = r.body.value as DirectoryAudit[];
    expect(value).toHaveLength(1);
    const rec = value[0];
    expect(audits.problems("microsoft.graph.directoryAudit", rec)).toBeNull();
    const admin = await emu.admin.user(ADMIN_UPN);
    expect(rec).toMatchObject({
      activityDisplayName: "Set DirSync feature",
      category: "DirectoryManagement",
      result: "success",
      loggedByService: "Core Directory",
      initiatedBy: { user: { id: admin.user.id, userPrincipalName: ADMIN_UPN }, app: null },
    });
    const prop = rec.targetResources[0].modifiedProperties[0];
    if (!prop.oldValue || !prop.newValue) throw new Error("no old/new value");
    expect(prop.displayName).toBe("DirSyncFeatures");
    expect(JSON.parse(prop.oldValue)).toMatchObject({ bypassDirSyncOverridesEnabled: false });
    expect(JSON.parse(prop.oldValue).passwordSyncEnabled).toBe(before.passwordSyncEnabled);
    expect(JSON.parse(prop.newValue)).toMatchObject({ bypassDirSyncOverridesEnabled: true, passwordSyncEnabled: true });
    expect(Date.parse(rec.activityDateTime)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("an app-only PATCH names the app (appId, displayName, servicePrincipalId); a PATCH that changes nothing writes none", async () => {
    const app = graphClient(emu, secretCredential(emu));
    const features = (await app.api(path).get()).features;
    await app.api(path).patch({ features }); // the same values
    expect(await emu.admin.audit()).toHaveLength(0);
    await app.api(path).patch({ features: { ...features, blockSoftMatchEnabled: true } });
    const [rec] = await emu.admin.audit();
    const appView = (await emu.admin.apps()).find((a) => a.appId === APP_ID);
    expect(rec.initiatedBy).toEqual({
      user: null,
      app: {
        appId: APP_ID,
        displayName: "syncgap test",
        servicePrincipalId: appView?.servicePrincipalId,
        servicePrincipalName: null,
      },
    });
  });

  it("the admin API flips a feature out of band as a named user, and the record names that user", async () => {
    await emu.admin.setFeatures({ bypassDirSyncOverridesEnabled: true }, { userPrincipalName: READER_UPN });
    expect((await emu.admin.syncObject()).features.bypassDirSyncOverridesEnabled).toBe(true);
    const r = await auditsAsApp(`?$filter=${encodeURIComponent("activityDisplayName eq 'Set DirSync feature'")}`);
    const [rec] = r.body.value as DirectoryAudit[];
    expect(rec.initiatedBy.user?.userPrincipalName).toBe(READER_UPN);
    await expect(emu.admin.setFeatures({ noSuchFeatureEnabled: true })).rejects.toThrow(/unknown feature/);
  });

  it("$filter on activityDisplayName and activityDateTime (with and), $orderby, $top and skiptoken paging", async () => {
    for (let i = 0; i < 5; i++) {
      await emu.admin.setFeatures({ blockSoftMatchEnabled: i % 2 === 0 }, { userPrincipalName: ADMIN_UPN });
      await emu.admin.advanceClock(3600);
    }
    const all = await emu.admin.audit();
    expect(all).toHaveLength(5);
    const third = all[2].activityDateTime;
    const f = encodeURIComponent(`activityDisplayName eq 'Set DirSync feature' and activityDateTime ge ${third}`);
    const r = await auditsAsApp(`?$filter=${f}&$top=2`);
    expect(r.status).toBe(200);
    const page1 = r.body.value as { id: string; activityDateTime: string }[];
    // newest first by default
    expect(page1.map((x) => x.id)).toEqual([all[4].id, all[3].id]);
    const next = r.body["@odata.nextLink"] as string;
    expect(next).toMatch(/\$skiptoken=/);
    const r2 = await raw(emu, "GET", new URL(next).pathname + new URL(next).search, {
      token: await appToken(emu, AUDIT_APP_ID),
    });
    const page2 = (r2.body as { value: { id: string }[] }).value;
    expect(page2.map((x) => x.id)).toEqual([all[2].id]);
    expect((r2.body as Record<string, unknown>)["@odata.nextLink"]).toBeUndefined();

    const asc = await auditsAsApp("?$orderby=activityDateTime%20asc&$top=1");
    expect((asc.body.value as { id: string }[])[0].id).toBe(all[0].id);
    const none = await auditsAsApp(`?$filter=${encodeURIComponent("activityDisplayName eq 'Add user'")}`);
    expect(none.body.value).toEqual([]);
    const bad = await auditsAsApp(`?$filter=${encodeURIComponent("nosuch eq 'x'")}`);
    expect(bad.status).toBe(400);
    const badTop = await auditsAsApp("?$top=0");
    expect(badTop.status).toBe(400);
  });

  it("needs AuditLog.Read.All and Directory.Read.All (app-only), plus a reader role when delegated", async () => {
    await emu.admin.setFeatures({ blockSoftMatchEnabled: true });
    const onlyAudit = await raw(emu, "GET", "/v1.0/auditLogs/directoryAudits", {
      token: await appToken(emu, AUDIT_ONLY_APP_ID),
    });
    expect(onlyAudit.status).toBe(403);
    expect((onlyAudit.body as { error: { code: string } }).error.code).toBe("Authorization_RequestDenied");
    const noRole = await raw(emu, "GET", "/v1.0/auditLogs/directoryAudits", { token: await appToken(emu) });
    expect(noRole.status).toBe(403);
    const delegated = await raw(emu, "GET", "/v1.0/auditLogs/directoryAudits", { token: await adminToken(emu) });
    expect(delegated.status).toBe(200);
    expect((delegated.body as { value: unknown[] }).value).toHaveLength(1);
    const one = (delegated.body as { value: { id: string }[] }).value[0];
    const byId = await raw(emu, "GET", `/v1.0/auditLogs/directoryAudits/${one.id}`, { token: await adminToken(emu) });
    expect(byId.status).toBe(200);
    expect(audits.problems("microsoft.graph.directoryAudit", byId.body)).toBeNull();
  });
});
