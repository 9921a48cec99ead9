/**
 * The policy pack end to end: the real Pulumi CLI (temporary file backend) previews the repository's own program
 * (staged into a temporary folder by stageRootProgram) with `--policy-pack policies`, against the local tenant
 * emulator, whose directory sync takes its users from a real Samba AD DC. No mocks.
 *
 * The gap the test expects is made by the test itself: after an Initial sync AD and Entra agree (0 numbers would be
 * overwritten); then five synced users get a cloud edit (a DirSync override), and the test knows what AD authority
 * would do to each: 3 replaced by AD's number, 1 cleared (AD has none), 1 same number in another spelling.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { createLdapAdSource } from "../../ad/ldapReader";
import type { AdUser } from "../../ad/types";
import { DEFAULT_SEED_PATH, loadSeedFile, type RunningEmulator, startEmulator } from "../../emulator";
import { DEMO_USERS, USERS_OU } from "../fixtures/ad/seedData";
import { type PulumiResult, PulumiSession } from "../support/pulumi";
import { type SambaDc, startSambaDc } from "../support/sambaDc";
import { stageRootProgram } from "../support/stack";

const repoRoot = path.resolve(__dirname, "..", "..");
const policyPack = path.join(repoRoot, "policies");

/**
 * A small Samba DC of the test's own (20 generated users + the demo users), on its own loopback address and in its
 * own folder, so other test files starting, reusing or stopping the suite's DC on 127.0.0.1 cannot pull it away
 * mid-test. The folder is named explicitly: an inherited SYNCGAP_SAMBA_DIR (test/globalSetup.ts exports the suite
 * DC's) would otherwise point the script at the suite DC's folder.
 */
const OWN_SAMBA_ADDRESS = "127.0.0.46";

/** The cloud edits the test makes, and what AD authority would do to each. */
function cloudEdits(): { upn: string; mobilePhone: string; change: "overwrite" | "clear" | "formatRewrite" }[] {
  const byName = (sam: string) => {
    const u = DEMO_USERS.find((d) => d.sAMAccountName === sam);
    if (!u?.userPrincipalName) throw new Error(`demo user ${sam} is missing from test/fixtures/ad/seedData.ts`);
    return u;
  };
  const alice = byName("alice.baker");
  const bob = byName("bob.chen");
  const dave = byName("dave.evans");
  const carol = byName("carol.diaz");
  const erin = byName("erin.fox");
  // Preconditions on the seed, so a change there fails here with a reason instead of a wrong count.
  for (const u of [alice, bob, dave, erin]) expect(u.mobile, `${u.sAMAccountName} needs an AD mobile`).toBeTruthy();
  expect(carol.mobile, "carol.diaz must have no AD mobile").toBeUndefined();
  expect(erin.mobile).toBe("+14255550104");
  return [
    { upn: alice.userPrincipalName as string, mobilePhone: "+14255550900", change: "overwrite" },
    { upn: bob.userPrincipalName as string, mobilePhone: "+14255550901", change: "overwrite" },
    { upn: dave.userPrincipalName as string, mobilePhone: "+14255550903", change: "overwrite" },
    { upn: carol.userPrincipalName as string, mobilePhone: "+14255550902", change: "clear" },
    { upn: erin.userPrincipalName as string, mobilePhone: "(425) 555-0104", change: "formatRewrite" },
  ];
}

/** Only the `Policies:` section and the diagnostics, for assertion messages. */
function policyPart(r: PulumiResult): string {
  const i = r.output.indexOf("Policies:");
  return `exit ${r.code}\n${i >= 0 ? r.output.slice(i) : r.output}`;
}

describe("policy pack end to end (real Pulumi CLI, local tenant, Samba AD)", () => {
  let dc: SambaDc;
  let emu: RunningEmulator;
  let session: PulumiSession;
  let programDir: string;
  let configDir: string;
  const secretsToHide: string[] = [];

  /** Writes a `--policy-pack-config` file for mobile-gap-impact against the test's DC. */
  function gapConfig(name: string, overrides: Record<string, unknown> = {}, ad: Record<string, unknown> = {}): string {
    const file = path.join(configDir, `${name}.json`);
    const config = {
      "mobile-gap-impact": {
        enforcementLevel: "mandatory",
        maxOverwrites: 0,
        timeoutSeconds: 60,
        ad: {
          kind: "ldap",
          url: dc.url,
          bindDN: dc.bindDN,
          baseDNs: [dc.usersDN],
          caCertPath: dc.caCertPath,
          passwordEnv: "SYNCGAP_AD_PASSWORD",
          ...ad,
        },
        ...overrides,
      },
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  /**
   * The dev stack's config (Pulumi.dev.yaml) with `overrides`, as a file for `--config-file`: the repository's
   * stack files are read, never written, and no Pulumi.<stack>.yaml lands in the staged folder either.
   */
  function devStackConfig(name: string, overrides: Record<string, string> = {}): string {
    const dev = parseYaml(readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const file = path.join(configDir, `${name}.yaml`);
    writeFileSync(file, stringifyYaml({ config: { ...dev.config, ...overrides } }));
    return file;
  }

  /** `pulumi preview --policy-pack policies` of the dev stack (or of `configFile`). */
  const preview = async (args: string[] = [], env: NodeJS.ProcessEnv = {}, configFile = devStackConfig("dev")) => {
    const r = await session.run(["preview", "--policy-pack", policyPack, "--config-file", configFile, ...args], {
      env,
    });
    for (const s of secretsToHide) expect(r.output.includes(s), "a secret reached the CLI output").toBe(false);
    return r;
  };

  beforeAll(async () => {
    expect(USERS_OU).toBe("OU=Corp Users,DC=corp,DC=example,DC=test");
    dc = await startSambaDc({
      users: 20,
      address: OWN_SAMBA_ADDRESS,
      dir: path.join(tmpdir(), `syncgap-samba-dc-${OWN_SAMBA_ADDRESS}`),
    });
    emu = await startEmulator();
    // Samba's users, read with syncgap's LDAP reader and handed to the emulator's sync (Entra Connect's part).
    // The emulator's own `ldap` sync source loads ad/ldapReader with a bare require(), which finds no TypeScript
    // loader inside vitest; reading here keeps the data path the same.
    const adUsers: AdUser[] = [];
    const source = createLdapAdSource({
      url: dc.url,
      bindDN: dc.bindDN,
      password: dc.password,
      baseDNs: [dc.usersDN],
      caPem: dc.caPem,
    });
    for await (const page of source.pages()) adUsers.push(...page);
    expect(adUsers.length).toBeGreaterThan(20);
    await emu.admin.setInlineSyncSource(adUsers);
    const sync = await emu.admin.sync("Initial");
    expect(sync.errors).toEqual([]);
    expect(sync.created).toBeGreaterThan(20);

    // The dev stack signs in as the seed's Global Administrator (Pulumi.dev.yaml); the password comes from the
    // environment, as scripts/demo.sh provides it.
    const seed = loadSeedFile(DEFAULT_SEED_PATH);
    const admin = seed.users?.find((u) => u.userPrincipalName === "admin@corp.example.test");
    if (!admin?.password) throw new Error("the emulator's default seed has no admin@corp.example.test with a password");
    secretsToHide.push(admin.password, dc.password);

    programDir = stageRootProgram();
    configDir = mkdtempSync(path.join(tmpdir(), "syncgap-policy-config-"));
    session = new PulumiSession(programDir, {
      SYNCGAP_GRAPH_ENDPOINT: emu.baseUrl,
      SYNCGAP_AUTHORITY_HOST: emu.authorityHost,
      SYNCGAP_CA_CERT: emu.caCertPath,
      NODE_EXTRA_CA_CERTS: emu.caCertPath,
      AZURE_PASSWORD: admin.password,
      SYNCGAP_AD_PASSWORD: dc.password,
    });
    await session.expect(["stack", "init", "policy-e2e"]);
  });

  afterAll(async () => {
    const transcript = session?.transcript() ?? "";
    session?.dispose();
    await emu?.stop();
    await dc?.stop();
    for (const d of [programDir, configDir]) if (d) rmSync(d, { recursive: true, force: true });
    for (const secret of secretsToHide)
      expect(transcript.includes(secret), "a secret reached the CLI output").toBe(false);
  });

  it("passes the compliant dev stack (Pulumi.dev.yaml) with the default policy config", async () => {
    const r = await preview();
    expect(r.code, policyPart(r)).toBe(0);
    expect(r.output).toContain("syncgap@v0.1.0");
    expect(r.output).not.toContain("[mandatory]");
    // Without an AD source the gap policy says it cannot read — advisory by default, and never a silent pass.
    expect(r.output).toMatch(/\[advisory\][^\n]*mobile-gap-impact/);
    expect(r.output).toContain("no AD source is configured");
  });

  it("fails a stack that declares the wrong value, with the policy's message", async () => {
    const override = devStackConfig("explicit-false", { "syncgap:bypassDirSyncOverridesEnabled": "false" });
    const r = await preview([], {}, override);
    expect(r.code, policyPart(r)).not.toBe(0);
    expect(r.output).toMatch(/\[mandatory\][^\n]*mobile-authority-flag/);
    expect(r.output).toContain("declares bypassDirSyncOverridesEnabled = false");
    expect(r.output).toContain("pulumi config rm syncgap:bypassDirSyncOverridesEnabled");
    expect(r.output).toContain(
      "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides",
    );

    const cloud = devStackConfig("authority-cloud", { "syncgap:mobilePhoneAuthority": "cloud" });
    const r2 = await preview([], {}, cloud);
    expect(r2.code, policyPart(r2)).not.toBe(0);
    expect(r2.output).toContain("pulumi config set syncgap:mobilePhoneAuthority onPremises");
  });

  it("warns, without failing, about a stack whose settings would be restored on delete", async () => {
    const restore = devStackConfig("on-delete-restore", { "syncgap:onDelete": "restore" });
    const r = await preview([], {}, restore);
    expect(r.code, policyPart(r)).toBe(0);
    expect(r.output).toMatch(/\[advisory\][^\n]*settings-retained-on-delete/);
    expect(r.output).toContain("pulumi config set syncgap:onDelete retain");
  });

  it("reports 0 overwrites while AD and Entra agree (mandatory, maxOverwrites 0: passes)", async () => {
    const r = await preview(["--policy-pack-config", gapConfig("gap-mandatory")]);
    expect(r.code, policyPart(r)).toBe(0);
    expect(r.output).toContain("would overwrite 0 cloud-entered mobile numbers");
  });

  it("reports the overwrites the cloud edits imply, and fails the preview when mandatory", async () => {
    const edits = cloudEdits();
    for (const e of edits) await emu.admin.patchUser(e.upn, { mobilePhone: e.mobilePhone, dirSyncOverride: true });
    const overwrites = edits.filter((e) => e.change === "overwrite").length;
    const clears = edits.filter((e) => e.change === "clear").length;
    const formats = edits.filter((e) => e.change === "formatRewrite").length;
    expect([overwrites, clears, formats]).toEqual([3, 1, 1]);

    const r = await preview(["--policy-pack-config", gapConfig("gap-mandatory")]);
    expect(r.code, policyPart(r)).not.toBe(0);
    expect(r.output).toMatch(/\[mandatory\][^\n]*mobile-gap-impact/);
    expect(r.output).toContain(
      `would overwrite ${overwrites + clears} cloud-entered mobile numbers at the next sync: ${overwrites} replaced by AD's number, ${clears} cleared because AD has none; ${formats} more number would only change format`,
    );
    for (const e of edits.filter((x) => x.change !== "formatRewrite")) expect(r.output).toContain(e.upn);
    for (const e of edits) expect(r.output).not.toContain(e.mobilePhone);
  });

  it("only warns about the same overwrites when the policy is advisory, or within maxOverwrites", async () => {
    const advisory = await preview([
      "--policy-pack-config",
      gapConfig("gap-advisory", { enforcementLevel: "advisory" }),
    ]);
    expect(advisory.code, policyPart(advisory)).toBe(0);
    expect(advisory.output).toMatch(/\[advisory\][^\n]*mobile-gap-impact/);
    expect(advisory.output).toContain("would overwrite 4 cloud-entered mobile numbers");

    const allowed = await preview(["--policy-pack-config", gapConfig("gap-allow-4", { maxOverwrites: 4 })]);
    expect(allowed.code, policyPart(allowed)).toBe(0);
    expect(allowed.output).not.toContain("[mandatory]");
    expect(allowed.output).toContain("would overwrite 4 cloud-entered mobile numbers");
  });

  it("fails, saying so, when the directories cannot be read and the policy is mandatory", async () => {
    const config = gapConfig("gap-unreachable", { timeoutSeconds: 60 }, { url: `ldaps://${dc.host}:1` });
    const r = await preview(["--policy-pack-config", config], {
      SYNCGAP_GRAPH_ENDPOINT: "https://127.0.0.1:1",
      SYNCGAP_AUTHORITY_HOST: "https://127.0.0.1:1",
    });
    expect(r.code, policyPart(r)).not.toBe(0);
    expect(r.output).toMatch(/\[mandatory\][^\n]*mobile-gap-impact/);
    expect(r.output).toContain("Cannot read the directories");
    expect(r.output).toContain("ECONNREFUSED");
    expect(r.output).toContain("The impact is unknown, so this is reported rather than passed");
  });
});
