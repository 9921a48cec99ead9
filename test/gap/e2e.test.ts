/**
 * End to end with real parts on both sides: a Samba AD DC holding the demo users (test/support/sambaDc), and the local
 * tenant in its own process syncing from that DC over LDAPS the way Entra Connect does. Cloud edits make one user
 * per category; `syncgap gap` (the real command) must find each; then the post-deploy loop: `syncgap check` fails
 * on the wrong switch, the switch is flipped through Graph, a sync runs, `syncgap check` passes.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ldapSyncSource } from "../../emulator";
import type { GapRow } from "../../gap/types";
import { createGraphConnection } from "../../graph/client";
import { getDirectorySync, patchFeatures } from "../../graph/onPremisesSynchronization";
import { runCli } from "../support/cli";
import { type EmulatorProcess, spawnEmulator } from "../support/emulatorProcess";
import { APP_ID, cloudEdit, emulatorConnection, gapEnv, gapSeed } from "../support/gapTenant";
import { ONE_GAP_PER_CATEGORY } from "../support/gapUsers";
import { type SambaDc, startSambaDc } from "../support/sambaDc";

let dc: SambaDc;
let emu: EmulatorProcess;
const out = mkdtempSync(join(tmpdir(), "syncgap-e2e-"));
const DEMO_OU = "OU=Demo,OU=Corp Users,DC=corp,DC=example,DC=test";
const E2E_SAMBA_ADDRESS = "127.0.0.4";

beforeAll(async () => {
  // A DC of our own on another loopback address (Samba's ports are fixed, so one DC per address): the suite's shared
  // DC on 127.0.0.1 may be restarted by other test runs on the same machine. Same seed, so the cached template
  // makes this a copy, not a provision.
  // `dir` explicitly: the suite's globalSetup exports SYNCGAP_SAMBA_DIR for its own DC, which the script would
  // otherwise use for this one too.
  dc = await startSambaDc({ address: E2E_SAMBA_ADDRESS, dir: `/tmp/syncgap-samba-dc-${E2E_SAMBA_ADDRESS}` });
  emu = await spawnEmulator(
    gapSeed({
      syncSource: ldapSyncSource(dc, [DEMO_OU]),
    }),
  );
  const first = await emu.admin.sync("Initial");
  expect(first.errors).toEqual([]);
  expect(first.created).toBeGreaterThan(15);
  // Numbers edited in the cloud while AD was not authoritative (DirSync overrides):
  await cloudEdit(emu, "alice.baker@corp.example.test", "+1 206 555 0100"); // ValueMismatch
  await cloudEdit(emu, "bob.chen@corp.example.test", "+14255550101"); // FormatOnly: AD has +1 425 555 0101
  await cloudEdit(emu, "carol.diaz@corp.example.test", "+14255550102"); // CloudOnly: AD has none
  await cloudEdit(emu, "dave.evans@corp.example.test", null); // MissingInEntra
  // A synced user whose AD account is gone (NotInAD), and an AD user whose cloud object was deleted (NotInEntra).
  await emu.admin.addUsers([
    {
      userPrincipalName: "ghost@corp.example.test",
      displayName: "Ghost",
      mobilePhone: "+14255550199",
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: "Z2hvc3QtZ2hvc3QtZ2hvcw==",
      onPremisesSamAccountName: "ghost",
    },
  ]);
  await emu.admin.deleteUser("ken.jones@corp.example.test");
}, 300_000);

afterAll(async () => {
  await emu?.stop();
  await dc?.stop();
});

const adArgs = () => [
  "--ad-url",
  dc.url,
  "--ad-bind-dn",
  dc.bindDN,
  "--ad-base-dn",
  DEMO_OU,
  "--ad-ca-cert",
  dc.caCertPath,
];
const env = () => ({ ...gapEnv(emu), SYNCGAP_AD_PASSWORD: dc.password });

describe("a run that compares too little never passes (Samba AD + local tenant)", () => {
  it("the parent OU instead of the synced one: exit 2, compared too little, with the figures", async () => {
    const r = await runCli(
      [
        "gap",
        ...adArgs().map((a) => (a === DEMO_OU ? "OU=Corp Users,DC=corp,DC=example,DC=test" : a)),
        "--entra-graph",
        "--out",
        join(out, "parent-ou"),
      ],
      env(),
    );
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toMatch(
      /NOT JUDGED: compared too little to judge: [\d,]+ AD users \(\d+%\) have no synced Entra ID user/,
    );
    const doc = JSON.parse(readFileSync(join(out, "parent-ou", "gap-report.json"), "utf8"));
    expect(doc.summary.verdict).toMatchObject({ exitCode: 2, status: "inconclusive" });
    expect(doc.summary.verdict.coverage.ok).toBe(false);
  });

  it("a misspelt OU: exit 2 naming the base DN, never 0 users read and a pass", async () => {
    const r = await runCli(
      [
        "gap",
        ...adArgs().map((a) => (a === DEMO_OU ? DEMO_OU.replace("OU=Demo", "OU=Demos") : a)),
        "--entra-graph",
        "--out",
        join(out, "typo"),
      ],
      env(),
    );
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/OU=Demos,OU=Corp Users/);
    expect(JSON.parse(readFileSync(join(out, "typo", "gap-report.json"), "utf8")).summary.verdict.exitCode).toBe(2);
  });

  it("the wrong tenant (users synced from another AD): exit 2, no user matched", async () => {
    const other = await spawnEmulator(
      gapSeed({
        users: Array.from({ length: 20 }, (_, i) => ({
          userPrincipalName: `other${i}@corp.example.test`,
          displayName: `Other ${i}`,
          mobilePhone: "+14255550100",
          onPremisesSyncEnabled: true,
          onPremisesImmutableId: Buffer.from(`other-tenant-${String(i).padStart(3, "0")}`).toString("base64"),
          onPremisesSamAccountName: `other${i}`,
          onPremisesSecurityIdentifier: `S-1-5-21-1-2-3-${1000 + i}`,
        })),
      }),
    );
    try {
      const r = await runCli(["gap", ...adArgs(), "--entra-graph", "--out", join(out, "other-tenant")], {
        ...gapEnv(other),
        SYNCGAP_AD_PASSWORD: dc.password,
      });
      expect(r.code, r.stdout).toBe(2);
      expect(r.stdout).toMatch(/NOT JUDGED: compared too little to judge: no user matched between AD and Entra ID/);
    } finally {
      await other.stop();
    }
  });
});

describe("Samba AD + local tenant, end to end", () => {
  it("syncgap gap finds every category in a real directory", async () => {
    const r = await runCli(
      ["gap", ...adArgs(), "--entra-graph", "--out", join(out, "gap"), "--include-in-sync"],
      env(),
    );
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(readFileSync(join(out, "gap", "gap-report.json"), "utf8"));
    const by = (upn: string) => doc.rows.find((x: GapRow) => x.userPrincipalName.toLowerCase() === upn) as GapRow;
    expect(by("alice.baker@corp.example.test")).toMatchObject({
      category: "ValueMismatch",
      adMobile: "+14255550100",
      entraMobile: "+1 206 555 0100",
    });
    expect(by("bob.chen@corp.example.test")).toMatchObject({ category: "FormatOnly", adMobileE164: "+14255550101" });
    expect(by("carol.diaz@corp.example.test").category).toBe("CloudOnly");
    expect(by("dave.evans@corp.example.test")).toMatchObject({
      category: "MissingInEntra",
      adOtherMobile: ["+14255550203", "+1 425 555 0303"],
    });
    expect(by("ghost@corp.example.test")).toMatchObject({ category: "NotInAD", matchedBy: null });
    expect(by("ken.jones@corp.example.test")).toMatchObject({ category: "NotInEntra", matchedBy: null });
    // The unverified UPN suffix is …onmicrosoft.com in Entra; the anchor still joins them.
    expect(by("grace.hall@gaptest.onmicrosoft.com")).toMatchObject({
      category: "InSync",
      matchedBy: "immutableId",
      adSamAccountName: "grace.hall",
    });
    // mS-DS-ConsistencyGuid as source anchor.
    expect(by("erin.fox@corp.example.test")).toMatchObject({ category: "InSync", matchedBy: "immutableId" });
    expect(doc.summary.counts).toMatchObject(ONE_GAP_PER_CATEGORY);
    expect(doc.summary.inputs.ad).toMatchObject({ kind: "ldap", mode: "live" });
    expect(JSON.stringify(doc)).not.toContain(dc.password);
  });

  it("the post-deploy loop: check fails on the switch, passes after pulumi-up's PATCH and the next sync", async () => {
    const before = await runCli(
      ["check", ...adArgs(), "--entra-graph", "--expect-bypass", "true", "--out", join(out, "check1")],
      env(),
    );
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toMatch(/FAIL: bypassDirSyncOverridesEnabled is false in the tenant, declared true/);

    // What `pulumi up` does: read the features, PATCH them whole with bypassDirSyncOverridesEnabled on.
    const conn = createGraphConnection(emulatorConnection(emu, APP_ID), { env: gapEnv(emu) });
    await patchFeatures(conn.client, await getDirectorySync(conn.client), { bypassDirSyncOverridesEnabled: true });

    const gate = runCli(
      [
        "check",
        ...adArgs(),
        "--entra-graph",
        "--expect-bypass",
        "true",
        "--poll-interval",
        "1",
        "--sync-timeout",
        "120",
        "--out",
        join(out, "check2"),
      ],
      env(),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const cycle = await emu.admin.sync("Initial"); // Entra Connect's next (full) cycle, from the DC over LDAPS
    expect(cycle.errors).toEqual([]);
    const after = await gate;
    expect(after.code, `${after.stdout}\n${after.stderr}`).toBe(0);
    expect(after.stdout).toMatch(/PASS: 0 gaps/);
    const doc = JSON.parse(readFileSync(join(out, "check2", "gap-report.json"), "utf8"));
    // AD authority restored every number; the ghost (no AD account) is still reported, outside the default gate.
    expect(doc.summary.counts).toMatchObject({
      ValueMismatch: 0,
      FormatOnly: 0,
      CloudOnly: 0,
      MissingInEntra: 0,
      NotInEntra: 0,
      NotInAD: 1,
    });
  });
});
