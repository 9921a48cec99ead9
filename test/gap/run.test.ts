import { describe, expect, it } from "vitest";
import { GapInputError } from "../../gap/errors";
import { impactOf } from "../../gap/impact";
import { runGapAnalysis } from "../../gap/index";
import { evaluateGate, parseCategories } from "../../gap/thresholds";
import {
  adUser,
  craftedDirectory,
  entraTwin,
  failingSource,
  memorySource,
  ONE_GAP_PER_CATEGORY,
} from "../support/gapUsers";

describe("runGapAnalysis (in-memory sources)", () => {
  it("reads both sides, classifies and describes its inputs", async () => {
    const { ad, entra } = craftedDirectory();
    const progress: string[] = [];
    const r = await runGapAnalysis(
      { ad: { kind: "source", source: memorySource(ad) }, entra: { kind: "users", users: entra } },
      { onProgress: (p) => progress.push(`${p.side}:${p.users}:${p.done}`) },
    );
    expect(r.counts).toMatchObject({ ...ONE_GAP_PER_CATEGORY, InSync: 2 });
    expect(r.totals).toMatchObject({ adUsers: 7, entraUsers: 7, matched: 6, outOfSync: 6, rows: 6 });
    expect(r.inputs.ad).toMatchObject({
      kind: "source",
      description: "in-memory test AD",
      users: 7,
      mode: "memory",
      pages: 4,
    });
    expect(r.inputs.entra).toMatchObject({ kind: "users", users: 7, mode: "memory" });
    expect(r.otherMobileNote).toMatch(/no alternate-mobile property/);
    expect(r.defaultRegion).toBe("US");
    expect(r.tool.name).toBe("syncgap");
    expect(progress).toContain("ad:7:true");
    expect(progress).toContain("entra:7:true");
  });

  it("adds in-sync users to rows with includeInSync", async () => {
    const { ad, entra } = craftedDirectory();
    const r = await runGapAnalysis({
      ad: { kind: "source", source: memorySource(ad) },
      entra: { kind: "users", users: entra },
      includeInSync: true,
    });
    expect(r.rows).toHaveLength(8);
  });

  it("leaves Entra users that are not synced out", async () => {
    const a = adUser();
    const r = await runGapAnalysis({
      ad: { kind: "source", source: memorySource([a]) },
      entra: {
        kind: "users",
        users: [entraTwin(a), { ...entraTwin(adUser()), id: "cloud", onPremisesSyncEnabled: null }],
      },
    });
    expect(r.totals.entraUsers).toBe(1);
  });

  it("fails with the source named when an AD page cannot be read: no partial report", async () => {
    const users = [adUser(), adUser(), adUser()];
    const err = await runGapAnalysis({
      ad: { kind: "source", source: failingSource(users, 2) },
      entra: { kind: "users", users: users.map((u) => entraTwin(u)) },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(
      /^AD flaky test AD: reading failed after 2 users \(2 pages\): connection reset by peer/,
    );
    expect(err.message).toMatch(/no verdict is drawn from partial data/);
  });

  it("names the side that failed first, not the one it stopped", async () => {
    const users = [adUser(), adUser()];
    let adStopped = false;
    const slowAd = {
      description: "slow test AD",
      async *pages() {
        await new Promise((r) => setTimeout(r, 300)); // still reading when Graph fails
        adStopped = true;
        yield users;
      },
    };
    const err = await runGapAnalysis(
      {
        ad: { kind: "source", source: slowAd },
        entra: {
          kind: "graph",
          connection: {
            cloud: "global",
            tenantId: "00000000-0000-0000-0000-000000000001",
            clientId: "00000000-0000-0000-0000-000000000002",
            authMethod: "clientSecret",
            graphEndpoint: "https://127.0.0.1:9",
          },
        },
      },
      {
        env: {},
        graph: {
          retry: { maxRetries: 0, budgetMs: 0 },
          credential: { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) },
        },
      },
    ).catch((e) => e);
    expect(adStopped).toBe(true); // the AD side ended through the abort, with Graph's error
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/^Entra ID \(Graph https:\/\/127\.0\.0\.1:9\/v1\.0/);
    expect(err.message).not.toMatch(/slow test AD/);
  });

  it("refuses an unknown default region", async () => {
    await expect(
      runGapAnalysis({
        ad: { kind: "source", source: memorySource([]) },
        entra: { kind: "users", users: [] },
        defaultRegion: "ZZ",
      }),
    ).rejects.toThrow(/--default-region: default region "ZZ"/);
  });

  it("names a missing LDAP password variable without revealing anything", async () => {
    const err = await runGapAnalysis(
      {
        ad: {
          kind: "ldap",
          url: "ldaps://127.0.0.1:1",
          bindDN: "CN=svc,DC=corp",
          baseDNs: ["DC=corp"],
          passwordEnv: "NOPE_PW",
        },
        entra: { kind: "users", users: [] },
      },
      { env: {} },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/bind password is not set.*NOPE_PW/);
  });
});

describe("impactOf", () => {
  it("counts what AD authority would overwrite, clear and rewrite", async () => {
    const { ad, entra } = craftedDirectory();
    const r = await runGapAnalysis({
      ad: { kind: "source", source: memorySource(ad) },
      entra: { kind: "users", users: entra },
    });
    const i = impactOf(r);
    expect(i).toMatchObject({ overwrites: 1, clears: 1, formatRewrites: 1, cloudNumbersLost: 2, fills: 1 });
    expect(i.rows.map((x) => [x.userPrincipalName, x.change])).toEqual([
      ["mismatch@corp.example.test", "overwrite"],
      ["cloudonly@corp.example.test", "clear"],
      ["format@corp.example.test", "formatRewrite"],
    ]);
    expect(i.rows[0]).toMatchObject({ entraMobile: "+14255559999", adMobile: "+14255550102" });
  });
});

describe("gate", () => {
  it("fails on the default categories above --max-gaps", async () => {
    const { ad, entra } = craftedDirectory();
    const r = await runGapAnalysis({
      ad: { kind: "source", source: memorySource(ad) },
      entra: { kind: "users", users: entra },
    });
    const g = evaluateGate(r);
    expect(g).toMatchObject({
      passed: false,
      gaps: 3,
      byCategory: { MissingInEntra: 1, ValueMismatch: 1, CloudOnly: 1 },
    });
    expect(
      evaluateGate(r, { failOn: parseCategories("MissingInEntra,ValueMismatch,CloudOnly"), maxGaps: 3 }).passed,
    ).toBe(true);
    expect(evaluateGate(r, { failOn: parseCategories("formatonly"), maxGaps: 0 }).gaps).toBe(1);
    expect(evaluateGate(r, { failOn: [], maxGaps: 0 }).passed).toBe(true);
  });

  it("rejects unknown category names", () => {
    expect(() => parseCategories("MissingInEntra,Typo")).toThrow(/unknown category "Typo"/);
  });
});
