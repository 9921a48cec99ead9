/**
 * Directory sync (what Entra Connect does): creating/updating synced users from an AdSource, the UPN rule, and the
 * DirSync-override rule for mobilePhone both ways (bypassDirSyncOverridesEnabled off and on), driven through Graph.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inlineAdSource, type RunningEmulator, type SeedUser } from "../../emulator";
import {
  baseSeed,
  graphClient,
  passwordCredential,
  secretCredential,
  startTestEmulator,
  syncedPair,
  TENANT_ID,
} from "../support/emulatorTenant";

let emu: RunningEmulator;
const p1 = syncedPair(1, "+1 425 555 0001");
const p2 = syncedPair(2, "+1 425 555 0002");
const p3 = syncedPair(3, "+1 425 555 0003");
const p4 = syncedPair(4, "+1 425 555 0004", { suffix: "corp.local" });
const p5 = syncedPair(5, "+1 425 555 0005");

function cloudUser(p: ReturnType<typeof syncedPair>, mobile: string | null, override = false): SeedUser {
  return {
    userPrincipalName: p.upn,
    displayName: p.ad.displayName,
    mobilePhone: mobile,
    onPremisesImmutableId: p.immutableId,
    onPremisesSamAccountName: p.ad.sAMAccountName,
    onPremisesDistinguishedName: p.ad.distinguishedName,
    onPremisesSecurityIdentifier: p.ad.objectSid,
    onPremisesSyncEnabled: true,
    ...(override ? { dirSyncOverride: true } : {}),
  };
}

beforeAll(async () => {
  const seed = baseSeed({
    organization: { onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: "2024-01-01T00:00:00Z" },
    syncSource: { kind: "inline", users: [p1.ad, p2.ad, p3.ad, p4.ad] },
  });
  seed.users?.push(cloudUser(p1, "+44 cloud 1", true), cloudUser(p2, "+1 stale 2"), cloudUser(p5, null));
  emu = await startTestEmulator({ seed });
});
beforeEach(async () => {
  await emu.admin.reset();
});
afterAll(async () => {
  await emu?.stop();
});

const mobileOf = async (upn: string) => (await emu.admin.user(upn)).user.mobilePhone;

describe("sync cycle", () => {
  it("creates, updates and matches by immutable id; rewrites unverified UPN suffixes; keeps users missing from AD", async () => {
    const r = await emu.admin.sync("Initial");
    expect(r).toMatchObject({
      policyType: "Initial",
      read: 4,
      created: 2,
      updated: 2,
      unchanged: 0,
      mobileKeptByOverride: 1,
      upnRewritten: 1,
      notInSource: 1,
      softDeleted: 0,
    });
    const u3 = await emu.admin.user(p3.upn);
    expect(u3.user).toMatchObject({
      onPremisesImmutableId: p3.immutableId,
      onPremisesSecurityIdentifier: p3.ad.objectSid,
      onPremisesSamAccountName: "user3",
      onPremisesDistinguishedName: p3.ad.distinguishedName,
      onPremisesUserPrincipalName: p3.upn,
      onPremisesDomainName: "corp.example.test",
      onPremisesSyncEnabled: true,
      accountEnabled: true,
      displayName: "User 3",
      mobilePhone: "+1 425 555 0003",
    });
    expect(Date.parse(String(u3.user.onPremisesLastSyncDateTime))).toBeGreaterThan(Date.now() - 60_000);
    const u4 = await emu.admin.user("user4@testtenant.onmicrosoft.com");
    expect(u4.user.onPremisesUserPrincipalName).toBe("user4@corp.local");
    expect(await mobileOf(p2.upn)).toBe("+1 425 555 0002"); // no override: AD wins
    expect(await mobileOf(p1.upn)).toBe("+44 cloud 1"); // override kept
    expect(await emu.admin.user(p5.upn)).toBeTruthy(); // not in AD: kept
    const org = await emu.admin.organization();
    expect(Date.parse(String(org.onPremisesLastSyncDateTime))).toBeGreaterThan(Date.now() - 60_000);

    // a second Delta cycle touches nothing
    const again = await emu.admin.sync("Delta");
    expect(again).toMatchObject({ created: 0, updated: 0, skippedUnchangedInAd: 4 });
  });

  it("soft-deletes synced users that left AD when syncDeletions=softDelete", async () => {
    await emu.admin.setOptions({ syncDeletions: "softDelete" });
    const r = await emu.admin.sync("Initial");
    expect(r.softDeleted).toBe(1);
    await expect(emu.admin.user(p5.upn)).rejects.toMatchObject({ status: 404 });
  });

  it("AD changes flow on Delta cycles; disabled accounts become accountEnabled false", async () => {
    await emu.admin.sync("Initial");
    await emu.admin.setInlineSyncSource([
      { ...p3.ad, displayName: "User Three", enabled: false, mobile: "+1 999" },
      p1.ad,
      p2.ad,
      p4.ad,
    ]);
    const r = await emu.admin.sync("Delta");
    expect(r).toMatchObject({ updated: 1, skippedUnchangedInAd: 3 });
    expect((await emu.admin.user(p3.upn)).user).toMatchObject({
      displayName: "User Three",
      accountEnabled: false,
      mobilePhone: "+1 999",
    });
  });

  it("programmatic AdSource (any object with pages())", async () => {
    emu.state.setAdSource(inlineAdSource([p3.ad], 1, "array of one"));
    const r = await emu.state.sync("Delta");
    expect(r.source).toBe("array of one");
    expect(r.created).toBe(1);
  });
});

describe("DirSync override rule, driven through Graph", () => {
  it("an admin's cloud edit of a synced user's mobile survives sync while bypassDirSyncOverridesEnabled is false", async () => {
    await emu.admin.sync("Initial");
    const client = graphClient(emu, secretCredential(emu));
    await client.api(`/users/${p2.upn}`).patch({ mobilePhone: "+33 cloud 2" });
    expect((await emu.admin.user(p2.upn)).dirSyncOverride).toBe(true);
    // AD changes the mobile too: the cloud value still wins
    await emu.admin.setInlineSyncSource([p1.ad, { ...p2.ad, mobile: "+1 425 555 0222" }, p3.ad, p4.ad]);
    const r = await emu.admin.sync("Delta");
    expect(r.mobileKeptByOverride).toBe(1);
    expect(await mobileOf(p2.upn)).toBe("+33 cloud 2");
  });

  it("with bypassDirSyncOverridesEnabled true, AD wins — on unchanged objects only after an Initial cycle — and overrides are cleared", async () => {
    await emu.admin.sync("Initial");
    const admin = graphClient(emu, passwordCredential(emu));
    const path = `/directory/onPremisesSynchronization/${TENANT_ID}`;
    const current = (await admin.api(path).get()).features;
    await admin.api(path).patch({ features: { ...current, bypassDirSyncOverridesEnabled: true } });

    const delta = await emu.admin.sync("Delta");
    expect(delta.overridesCleared).toBe(0); // p1 unchanged in AD: a delta cycle does not look at it
    expect(await mobileOf(p1.upn)).toBe("+44 cloud 1");

    const full = await emu.admin.sync("Initial");
    expect(full.overridesCleared).toBe(1);
    expect(await mobileOf(p1.upn)).toBe("+1 425 555 0001");
    expect((await emu.admin.user(p1.upn)).dirSyncOverride).toBe(false);

    // while the switch stays on, a new cloud edit is overwritten by the next cycle that processes the user
    await graphClient(emu, secretCredential(emu)).api(`/users/${p1.upn}`).patch({ mobilePhone: "+44 again" });
    await emu.admin.sync("Initial");
    expect(await mobileOf(p1.upn)).toBe("+1 425 555 0001");
  });

  it("periodic sync (syncIntervalSeconds) runs Delta cycles by itself", async () => {
    await emu.admin.setOptions({ syncIntervalSeconds: 1 });
    try {
      const deadline = Date.now() + 5000;
      let last = await emu.admin.lastSync();
      while (!last.result && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        last = await emu.admin.lastSync();
      }
      expect(last.result?.policyType).toBe("Delta");
      expect(last.result?.created).toBe(2);
    } finally {
      await emu.admin.setOptions({ syncIntervalSeconds: null });
    }
  });

  it("sync-source configs are validated; a source that fails (unreachable LDAP server) is reported as 502", async () => {
    await expect(
      emu.admin.setSyncSource({ kind: "ldap", url: "http://x", bindDN: "a", password: "b", baseDNs: ["c"] }),
    ).rejects.toMatchObject({ status: 400 });
    const set = await emu.admin.setSyncSource({
      kind: "ldap",
      url: "ldaps://127.0.0.1:1",
      bindDN: "CN=x",
      password: "secret",
      baseDNs: ["DC=corp"],
    });
    expect(set.source.password).toBe("***");
    const r = await emu.admin.sync("Delta").catch((e: { status: number; message: string }) => e);
    expect((r as { status: number }).status).toBe(502);
  });
});
