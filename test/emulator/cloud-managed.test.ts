/**
 * Users moved to cloud management (source of authority): beta `users/{id}/onPremisesSyncBehavior` GET/PATCH
 * (validated against the beta subset written from the Graph docs), what v1.0 then shows (onPremisesSyncEnabled null,
 * anchors kept: https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure), and the
 * sync cycle sending such a user no AD updates at all until the move is rolled back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  ADMIN_UPN,
  APP_SECRET,
  adminToken,
  appToken,
  baseSeed,
  raw,
  startTestEmulator,
  syncedPair,
} from "../support/emulatorTenant";
import { loadOpenApiSubset } from "../support/openapi";

let emu: RunningEmulator;
const SOA_APP_ID = "abababab-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const beta = loadOpenApiSubset("graph-beta-onpremisessyncbehavior-subset.json");
const pair = syncedPair(1, "+1 425 555 0101");

beforeAll(async () => {
  const seed = baseSeed();
  seed.applications?.push({
    displayName: "soa app",
    appId: SOA_APP_ID,
    clientSecrets: [{ value: APP_SECRET }],
    appRoles: ["User.Read.All", "User-OnPremisesSyncBehavior.ReadWrite.All"],
  });
  emu = await startTestEmulator({ seed });
});
beforeEach(async () => {
  await emu.admin.reset();
  await emu.admin.setInlineSyncSource([pair.ad]);
  await emu.admin.sync("Initial");
});
afterAll(async () => {
  await emu?.stop();
});

async function userId(): Promise<string> {
  return (await emu.admin.user(pair.upn)).user.id as string;
}

describe("beta onPremisesSyncBehavior", () => {
  it("GET says false for a synced user; PATCH true moves it: v1.0 shows onPremisesSyncEnabled null, anchors kept", async () => {
    const id = await userId();
    const token = await appToken(emu, SOA_APP_ID);
    const got = await raw(emu, "GET", `/beta/users/${id}/onPremisesSyncBehavior?$select=isCloudManaged`, { token });
    expect(got.status, got.text).toBe(200);
    expect(beta.problems("microsoft.graph.onPremisesSyncBehavior", got.body)).toBeNull();
    expect(got.body).toMatchObject({ id, isCloudManaged: false });

    const patched = await raw(emu, "PATCH", `/beta/users/${id}/onPremisesSyncBehavior`, {
      token,
      body: { isCloudManaged: true },
    });
    expect(patched.status, patched.text).toBe(204);
    const after = await raw(emu, "GET", `/beta/users/${id}/onPremisesSyncBehavior`, { token });
    expect(after.body).toMatchObject({ id, isCloudManaged: true });
    expect(beta.problems("microsoft.graph.onPremisesSyncBehavior", after.body)).toBeNull();

    const v1 = await raw(
      emu,
      "GET",
      `/v1.0/users/${id}?$select=id,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesSecurityIdentifier`,
      { token },
    );
    expect(v1.body).toMatchObject({
      onPremisesSyncEnabled: null,
      onPremisesImmutableId: pair.immutableId,
      onPremisesSecurityIdentifier: pair.ad.objectSid,
    });
    const synced = await raw(emu, "GET", "/v1.0/users?$filter=onPremisesSyncEnabled%20eq%20true&$select=id", { token });
    expect((synced.body as { value: { id: string }[] }).value.map((u) => u.id)).not.toContain(id);
    const [rec] = (await emu.admin.audit()).filter((a) =>
      a.activityDisplayName.startsWith("Change Source of Authority"),
    );
    expect(rec.initiatedBy.app?.appId).toBe(SOA_APP_ID);
  });

  it("needs User-OnPremisesSyncBehavior.ReadWrite.All; delegated also Hybrid or Global Administrator", async () => {
    const id = await userId();
    const noPerm = await raw(emu, "GET", `/beta/users/${id}/onPremisesSyncBehavior`, { token: await appToken(emu) });
    expect(noPerm.status).toBe(403);
    const delegated = await raw(emu, "GET", `/beta/users/${id}/onPremisesSyncBehavior`, {
      token: await adminToken(emu),
    });
    expect(delegated.status).toBe(403); // the admin's consented scopes lack the permission
    const other = await raw(emu, "GET", "/beta/users", { token: await appToken(emu, SOA_APP_ID) });
    expect(other.status).toBe(400);
    expect((other.body as { error: { message: string } }).error.message).toMatch(/Invalid version: beta/);
    const bad = await raw(emu, "PATCH", `/beta/users/${id}/onPremisesSyncBehavior`, {
      token: await appToken(emu, SOA_APP_ID),
      body: { isCloudManaged: "yes" },
    });
    expect(bad.status).toBe(400);
  });

  it("a cloud-only user cannot be converted (it has no AD source of authority)", async () => {
    await expect(emu.admin.setCloudManaged(ADMIN_UPN, true)).rejects.toThrow(/already the cloud/);
  });
});

describe("sync and cloud-managed users", () => {
  it("sends a cloud-managed user no AD updates at all; after a rollback the next cycle takes it over", async () => {
    await emu.admin.setCloudManaged(pair.upn, true, { userPrincipalName: ADMIN_UPN });
    const view = await emu.admin.user(pair.upn);
    expect(view.cloudManaged).toBe(true);
    // AD changes the mobile and the display name
    await emu.admin.setInlineSyncSource([{ ...pair.ad, mobile: "+1 425 555 0999", displayName: "Renamed in AD" }]);
    const r = await emu.admin.sync("Initial");
    expect(r.skippedCloudManaged).toBe(1);
    expect(r.updated).toBe(0);
    expect(r.created).toBe(0);
    const still = (await emu.admin.user(pair.upn)).user;
    expect(still.mobilePhone).toBe("+1 425 555 0101");
    expect(still.displayName).toBe("User 1");
    expect(still.onPremisesSyncEnabled).toBeNull();

    await emu.admin.setFeatures({ blockCloudObjectTakeoverThroughHardMatchEnabled: true });
    await emu.admin.setCloudManaged(pair.upn, false);
    expect((await emu.admin.user(pair.upn)).user.onPremisesSyncEnabled).toBeNull(); // until the next cycle
    const back = await emu.admin.sync("Delta");
    expect(back.errors).toEqual([]);
    const taken = (await emu.admin.user(pair.upn)).user;
    expect(taken).toMatchObject({
      onPremisesSyncEnabled: true,
      mobilePhone: "+1 425 555 0999",
      displayName: "Renamed in AD",
    });
  });
});
