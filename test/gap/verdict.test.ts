/**
 * The verdict (gap/verdict.ts) and coverage (gap/coverage.ts): which exit code a run earns, and why.
 */
import { describe, expect, it } from "vitest";
import { coverageOf, DEFAULT_COVERAGE, parseShare } from "../../gap/coverage";
import { runGapAnalysis } from "../../gap/index";
import type { GapResult } from "../../gap/types";
import { judge } from "../../gap/verdict";
import { adUser, craftedDirectory, entraTwin, memorySource } from "../support/gapUsers";

async function analyse(ad = craftedDirectory().ad, entra = craftedDirectory().entra): Promise<GapResult> {
  return runGapAnalysis({ ad: { kind: "source", source: memorySource(ad) }, entra: { kind: "users", users: entra } });
}

/** n AD users, each with its Entra twin (all InSync). */
function directory(n: number) {
  const ad = Array.from({ length: n }, () => adUser());
  return { ad, entra: ad.map((a) => entraTwin(a)) };
}

describe("coverage", () => {
  it("a run that matched nobody is not judged (exit 2), whatever the gate counts", async () => {
    const { ad } = directory(50);
    const other = directory(50).entra; // another tenant's users: nothing joins
    const v = judge({ result: await analyse(ad, other) });
    expect(v).toMatchObject({ status: "inconclusive", exitCode: 2, label: "NOT JUDGED" });
    expect(v.reason).toContain("no user matched between AD and Entra ID");
    expect(v.reason).toContain("base DNs");
    expect(v.gate?.passed).toBe(true); // the category gate alone would have passed: coverage is what stops it
  });

  it("an empty side is not judged", async () => {
    const { ad } = directory(3);
    const v = judge({ result: await analyse(ad, []) });
    expect(v.exitCode).toBe(2);
    expect(v.coverage?.problems).toContain("no synced Entra ID user was read");
  });

  it("a scope that covers part of the synced users is not judged, with the figures", async () => {
    const { ad, entra } = directory(100);
    const v = judge({ result: await analyse(ad.slice(0, 60), entra) }); // AD read of 60 of the 100 synced users
    expect(v.exitCode).toBe(2);
    expect(v.reason).toMatch(
      /40 synced Entra ID users \(40%\) have no AD user in the scope read; at most 20% expected/,
    );
    // the same run with the threshold raised for a scope that really differs
    const raised = judge({
      result: await analyse(ad.slice(0, 60), entra),
      coverage: { ...DEFAULT_COVERAGE, maxNotInAdShare: 0.5 },
    });
    expect(raised.exitCode).toBe(0);
  });

  it("the defaults pass a healthy directory with a few unmatched users on either side", async () => {
    const { ad, entra } = directory(100);
    const result = await analyse(ad.slice(0, 95), entra.slice(5)); // 5 not synced yet, 5 not in the AD read
    const c = coverageOf(result);
    expect(c).toMatchObject({ ok: true, matched: 90, adUsers: 95, entraUsers: 95 });
    expect(judge({ result }).exitCode).toBe(0);
  });

  it("parses shares as percent or fraction, and refuses nonsense", () => {
    expect(parseShare("--x", "80%")).toBe(0.8);
    expect(parseShare("--x", "80")).toBe(0.8);
    expect(parseShare("--x", "0.8")).toBe(0.8);
    expect(parseShare("--x", "0")).toBe(0);
    expect(() => parseShare("--x", "")).toThrow(/--x wants a share/);
    expect(() => parseShare("--x", "150%")).toThrow(/from 0% to 100%/);
    expect(() => parseShare("--x", "lots")).toThrow(/--x wants a share/);
  });
});

describe("verdict", () => {
  it("fails on gaps above the threshold with the category's next step", async () => {
    const v = judge({ result: await analyse() });
    expect(v).toMatchObject({ status: "fail", exitCode: 1, label: "FAIL", authority: "unknown" });
    const mie = v.checks.find((c) => c.id === "category:MissingInEntra");
    expect(mie).toMatchObject({ status: "fail", users: ["missing@corp.example.test"], usersTotal: 1 });
    expect(mie?.fix).toContain("turn AD authority on");
  });

  it("a wrong switch is exit 1 and says so first, even when coverage is short", async () => {
    const { ad } = directory(5);
    const v = judge({ result: await analyse(ad, []), switchState: { live: false, expected: true } });
    expect(v.exitCode).toBe(1);
    expect(v.reason).toMatch(
      /^bypassDirSyncOverridesEnabled is false in the tenant, declared true — run the deploy again/,
    );
    expect(v.checks[0]).toMatchObject({ id: "switch", status: "fail" });
  });

  it("no sync before the timeout is exit 3 with the reason, after coverage", async () => {
    const since = new Date("2026-12-01T10:00:00Z");
    const v = judge({
      result: await analyse(),
      switchState: { live: true, expected: true },
      sync: { synced: false, since, lastSync: null, timeoutSeconds: 2400 },
    });
    expect(v).toMatchObject({ status: "syncTimeout", exitCode: 3, label: "NO SYNC" });
    expect(v.reason).toMatch(/^no directory sync after 2026-12-01T10:00:00.000Z within 2,400 s/);
    expect(v.reason).toContain("Start-ADSyncSyncCycle -PolicyType Initial");
  });

  it("switch on, a sync seen, gaps left: names the Delta sync and the Initial sync to run", async () => {
    const v = judge({
      result: await analyse(),
      switchState: { live: true, expected: true },
      sync: { synced: true, since: new Date(0), lastSync: new Date(), timeoutSeconds: 60 },
    });
    expect(v.exitCode).toBe(1);
    const cloudOnly = v.checks.find((c) => c.id === "category:CloudOnly");
    expect(cloudOnly?.fix).toMatch(/scheduled sync is a Delta.*Start-ADSyncSyncCycle -PolicyType Initial/);
    expect(cloudOnly?.link).toBe(
      "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-scheduler",
    );
    expect(v.authority).toBe("onPremises");
  });

  it("passes only when every check passed", async () => {
    const { ad, entra } = directory(10);
    const v = judge({ result: await analyse(ad, entra), switchState: { live: true, expected: true } });
    expect(v).toMatchObject({ status: "pass", exitCode: 0, label: "PASS" });
    expect(v.checks.every((c) => c.status === "pass")).toBe(true);
  });
});
