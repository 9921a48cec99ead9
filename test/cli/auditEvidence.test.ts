/**
 * Who changed the switch, and when (issue: audit evidence): `syncgap audit` and `syncgap check` read the local tenant's
 * directory audit log ("Set DirSync feature") as they would Entra's. With AuditLog.Read.All they name the user and the
 * time; without it they say once which permission would let them, and the verdict does not change.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { runCli } from "../support/cli";
import { APP_ID, APP_SECRET, gapEnv, gapSeed, startGapEmulator } from "../support/gapTenant";
import { craftedDirectory } from "../support/gapUsers";

const AUDIT_APP_ID = "5f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f";
const dir = mkdtempSync(join(tmpdir(), "syncgap-audit-"));
const ldif = join(dir, "ad.ldif");
let emu: RunningEmulator;

beforeAll(async () => {
  const { ad, entra } = craftedDirectory();
  await writeAdLdif(ldif, ad);
  const seed = gapSeed({
    users: [
      ...entra.map((u) => ({ ...u, id: undefined })),
      {
        userPrincipalName: "eve.admin@corp.example.test",
        displayName: "Eve Admin",
        directoryRoles: ["Global Administrator"],
      },
    ] as never,
  });
  seed.applications = [
    ...(seed.applications ?? []),
    {
      displayName: "syncgap with audit read",
      appId: AUDIT_APP_ID,
      clientSecrets: [{ value: APP_SECRET }],
      appRoles: [
        "User.Read.All",
        "Organization.Read.All",
        "OnPremDirectorySynchronization.ReadWrite.All",
        "AuditLog.Read.All",
        "Directory.Read.All",
      ],
    },
  ];
  emu = await startGapEmulator(seed);
  // the out-of-band change a person makes in the portal or with Graph PowerShell
  await emu.admin.setFeatures(
    { bypassDirSyncOverridesEnabled: true },
    { userPrincipalName: "eve.admin@corp.example.test" },
  );
});
afterAll(async () => {
  await emu?.stop();
});

describe("audit evidence of the switch", () => {
  it("syncgap audit names who changed it and when", async () => {
    const r = await runCli(["audit"], gapEnv(emu, AUDIT_APP_ID));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^bypassDirSyncOverridesEnabled false → true changed at 20\d\d-\d\d-\d\dT[\d:.]+Z by user eve\.admin@corp\.example\.test \(directory audit record /,
    );
  });

  it("without AuditLog.Read.All: one note naming the permission, exit 0", async () => {
    const r = await runCli(["audit"], gapEnv(emu, APP_ID));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toMatch(
      /^note: could not read the directory audit log .*AuditLog\.Read\.All and Directory\.Read\.All/,
    );
  });

  it("check attaches the switch's last change to JSON, Markdown and HTML, and the verdict is the same without it", async () => {
    const args = (out: string) => [
      "check",
      "--ad-ldif",
      ldif,
      "--entra-graph",
      "--expect-bypass",
      "true",
      "--no-wait",
      "--out",
      join(dir, out),
    ];
    const withAudit = await runCli(args("with"), gapEnv(emu, AUDIT_APP_ID));
    const without = await runCli(args("without"), gapEnv(emu, APP_ID));
    expect(withAudit.code).toBe(without.code);
    const doc = JSON.parse(readFileSync(join(dir, "with", "gap-report.json"), "utf8"));
    expect(doc.summary.verdict.audit.lastChange).toMatchObject({
      by: "user eve.admin@corp.example.test",
      from: false,
      to: true,
    });
    expect(readFileSync(join(dir, "with", "gap-report.md"), "utf8")).toMatch(
      /Audit evidence: bypassDirSyncOverridesEnabled false → true changed at .* by user eve\.admin/,
    );
    expect(readFileSync(join(dir, "with", "gap-report.html"), "utf8")).toMatch(
      /<p id="audit">Audit evidence: .*eve\.admin@corp\.example\.test/,
    );
    expect(withAudit.stdout).toMatch(/ {2}audit: bypassDirSyncOverridesEnabled false → true .* by user eve\.admin/);
    const docWithout = JSON.parse(readFileSync(join(dir, "without", "gap-report.json"), "utf8"));
    expect(docWithout.summary.verdict.audit.note).toMatch(/AuditLog\.Read\.All/);
    expect(docWithout.summary.verdict.status).toBe(doc.summary.verdict.status);
  });
});
