import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowDigest, runBackfillPlan, writePlanFiles } from "../../backfill";
import { recount } from "../../backfill/planFiles";
import type { GapRunSpec, ImpactRow, ImpactSummary } from "../../gap/types";
import { configSchema } from "../../policies/lib/gapImpactConfig";
import { type AnalyzeFn, analyzeWith, type GapImpact } from "../../policies/lib/gapLibraries";
import { createMobileGapImpactPolicy, mobileGapImpact } from "../../policies/rules/mobile-gap-impact";
import {
  createPolicyResource,
  createStackValidationArgs,
  runStackPolicy,
  settingsProps,
  TENANT_ID,
  UNKNOWN_BOOLEAN,
} from "../support/policyArgs";

const LDAP_AD = {
  kind: "ldap",
  url: "ldaps://127.0.0.1:1636",
  bindDN: "CN=syncgap-reader,CN=Users,DC=corp,DC=example",
  baseDNs: ["OU=Staff,DC=corp,DC=example"],
  caCertPath: "certs/samba-ca.pem",
};

function row(userPrincipalName: string, change: ImpactRow["change"]): ImpactRow {
  return {
    userPrincipalName,
    change,
    category: change === "overwrite" ? "ValueMismatch" : change === "clear" ? "CloudOnly" : "FormatOnly",
    entraMobile: "+1 425 555 0100",
    adMobile: change === "clear" ? null : "+1 425 555 0199",
    entraId: null,
  };
}

/** The happy-path analysis result: 3 numbers replaced, 1 cleared, 2 reformatted. */
function impact(overwrites = 3, clears = 1, formatRewrites = 2): GapImpact {
  const rows = [
    ...Array.from({ length: overwrites }, (_, i) => row(`over${i}@corp.example`, "overwrite")),
    ...Array.from({ length: clears }, (_, i) => row(`clear${i}@corp.example`, "clear")),
    ...Array.from({ length: formatRewrites }, (_, i) => row(`format${i}@corp.example`, "formatRewrite")),
  ];
  const summary: ImpactSummary = {
    overwrites,
    clears,
    formatRewrites,
    cloudNumbersLost: overwrites + clears,
    fills: 0,
    rows,
  };
  return { impact: summary, totals: { adUsers: 10, entraUsers: 10, matched: 9 } };
}

function harness(analyze: AnalyzeFn = async () => impact(), env: NodeJS.ProcessEnv = {}) {
  const specs: GapRunSpec[] = [];
  const lines: string[] = [];
  const policy = createMobileGapImpactPolicy({
    analyze: async (spec, e) => {
      specs.push(spec);
      return analyze(spec, e);
    },
    env,
    log: (l) => lines.push(l),
    baseDir: "/etc/syncgap",
  });
  const run = (props = settingsProps(), config: Record<string, unknown> = { ad: LDAP_AD }) =>
    runStackPolicy(policy, createStackValidationArgs([createPolicyResource(props)], config));
  return { specs, lines, run };
}

describe("mobile-gap-impact", () => {
  it("is an advisory stack policy by default (mandatory only through config)", () => {
    expect(mobileGapImpact.enforcementLevel).toBe("advisory");
    expect(mobileGapImpact.configSchema?.properties.maxOverwrites.default).toBe(0);
  });

  it("reports the count of cloud-entered numbers that would be overwritten, above maxOverwrites", async () => {
    const h = harness();
    const { violations } = await h.run();
    expect(violations).toHaveLength(1);
    const m = violations[0].message;
    expect(m).toContain(
      "would overwrite 4 cloud-entered mobile numbers at the next sync: 3 replaced by AD's number, 1 cleared",
    );
    expect(m).toContain("2 more numbers would only change format");
    expect(m).toContain("This stack allows 0 (policy config maxOverwrites)");
    expect(m).toContain("Users: over0@corp.example, over1@corp.example, over2@corp.example, clear0@corp.example.");
    expect(m).not.toContain("425 555"); // never a phone number
    expect(h.lines.join("\n")).toContain("would overwrite 4 cloud-entered mobile numbers");
    expect(h.lines.join("\n")).toContain("Read 10 AD users and 10 synced Entra ID users (9 matched)");
  });

  it("passes at or below maxOverwrites and still logs the count", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps(), { ad: LDAP_AD, maxOverwrites: 4 });
    expect(violations).toEqual([]);
    expect(h.lines.join("\n")).toContain("would overwrite 4 cloud-entered mobile numbers");
  });

  it("is a violation, not a pass of 0 overwrites, when the analysis compared too little", async () => {
    const h = harness(async () => ({
      ...impact(0, 0, 0),
      coverage: {
        ok: false,
        summary: "0 users matched of 10 AD users and 10 synced Entra ID users (0% of the smaller side)",
        problems: ["no user matched between AD and Entra ID"],
        fix: "check that the AD base DNs are the ones Entra Connect syncs",
      },
    }));
    const { violations } = await h.run();
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toMatch(/^Compared too little to count the cloud-entered mobile numbers/);
    expect(violations[0].message).toContain("no user matched between AD and Entra ID");
    expect(violations[0].message).toContain("reported rather than passed");
  });

  it("neutralises directory data in its messages and log lines", async () => {
    const evil = "x\n##vso[task.setvariable variable=PWNED]1@corp.example";
    const h = harness(async () => {
      const i = impact(1, 0, 0);
      i.impact.rows[0] = { ...row(evil, "overwrite") };
      i.notes = [`note about ${evil}`];
      return i;
    });
    const { violations } = await h.run();
    for (const text of [violations[0].message, ...h.lines]) {
      expect(text).not.toContain("##vso[");
      expect(text).not.toContain("\n");
    }
    expect(violations[0].message).toContain("x␊#＃vso[task.setvariable variable=PWNED]1@corp.example");
  });

  it("lists at most listUsers users", async () => {
    const h = harness(async () => impact(7, 0, 0));
    const { violations } = await h.run(settingsProps(), { ad: LDAP_AD, listUsers: 2 });
    expect(violations[0].message).toContain("Users: over0@corp.example, over1@corp.example (+5 more).");
  });

  it("with the flag false, reports 0 overwrites with a note and reads nothing", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps({ bypassDirSyncOverridesEnabled: false }));
    expect(violations).toEqual([]);
    expect(h.specs).toEqual([]);
    expect(h.lines.join("\n")).toMatch(/bypassDirSyncOverridesEnabled = false: .*overwrites 0 of them/);
  });

  it("is a violation, not a pass, when no AD source is configured", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps(), {});
    expect(violations[0].message).toContain("Cannot read the directories");
    expect(violations[0].message).toContain("no AD source is configured");
    expect(h.specs).toEqual([]);
  });

  it("is a violation, not a pass, when the analysis cannot reach a directory", async () => {
    const h = harness(async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:1636");
    });
    const { violations } = await h.run();
    expect(violations[0].message).toContain("Cannot read the directories");
    expect(violations[0].message).toContain("connect ECONNREFUSED 127.0.0.1:1636");
    expect(violations[0].message).toContain("The impact is unknown, so this is reported rather than passed");
  });

  it("is a violation when the analysis outlasts timeoutSeconds", async () => {
    const h = harness(() => new Promise<never>(() => {}));
    const { violations } = await h.run(settingsProps(), { ad: LDAP_AD, timeoutSeconds: 1 });
    expect(violations[0].message).toContain("the analysis took longer than 1 s");
  });

  it("is a violation when the gap library fails to load (the pack itself still loads)", async () => {
    const policy = createMobileGapImpactPolicy({
      analyze: analyzeWith(() => {
        throw new Error("the gap library (gap/index.ts) failed to load: SyntaxError");
      }),
      log: () => {},
    });
    const args = createStackValidationArgs([createPolicyResource(settingsProps())], { ad: LDAP_AD });
    const { violations } = await runStackPolicy(policy, args);
    expect(violations[0].message).toContain("the gap library (gap/index.ts) failed to load");
  });

  it("reports an unknown flag instead of guessing", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps({ bypassDirSyncOverridesEnabled: UNKNOWN_BOOLEAN }));
    expect(violations[0].message).toContain("is not known during this preview");
  });

  it("builds the AD spec from config, resolving relative paths against the pack directory", async () => {
    const h = harness();
    await h.run(settingsProps(), { ad: { ...LDAP_AD, passwordEnv: "SAMBA_READER_PASSWORD" } });
    expect(h.specs[0].ad).toEqual({
      kind: "ldap",
      url: LDAP_AD.url,
      bindDN: LDAP_AD.bindDN,
      baseDNs: LDAP_AD.baseDNs,
      passwordEnv: "SAMBA_READER_PASSWORD",
      caCertPath: path.resolve("/etc/syncgap", "certs/samba-ca.pem"),
    });
    expect(h.specs[0].defaultRegion).toBe("US");
  });

  it("defaults the Entra connection to the resource's own, with the environment's endpoint overrides", async () => {
    const h = harness(undefined, { SYNCGAP_GRAPH_ENDPOINT: "https://127.0.0.1:9443" });
    await h.run();
    expect(h.specs[0].entra).toMatchObject({
      kind: "graph",
      connection: { tenantId: TENANT_ID, authMethod: "clientSecret", graphEndpoint: "https://127.0.0.1:9443" },
    });
  });

  it("uses the Entra connection from config when given", async () => {
    const h = harness();
    const connection = { tenantId: "contoso.onmicrosoft.com", authMethod: "azureCli" };
    await h.run(settingsProps(), { ad: LDAP_AD, entra: { kind: "graph", connection } });
    expect(h.specs[0].entra).toEqual({ kind: "graph", connection: { cloud: "global", ...connection } });
  });

  it("reads an Entra export file when configured", async () => {
    const h = harness();
    await h.run(settingsProps(), {
      ad: { kind: "ldif", path: "/data/ad.ldif" },
      entra: { kind: "json", path: "entra.json" },
    });
    expect(h.specs[0]).toMatchObject({
      ad: { kind: "ldif", path: "/data/ad.ldif" },
      entra: { kind: "json", path: path.resolve("/etc/syncgap", "entra.json") },
    });
  });

  it("takes every AD option the CLI has (one parser, gap/sources.ts): StartTLS, read mode, timeout", async () => {
    const h = harness();
    const ad = { ...LDAP_AD, url: "ldap://dc1.corp.example", startTls: true, readMode: "paged", timeoutSeconds: 5 };
    await h.run(settingsProps(), { ad });
    expect(h.specs[0].ad).toMatchObject({ kind: "ldap", startTls: true, readMode: "paged", timeoutMs: 5000 });
    const schema = configSchema.properties.ad as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["startTls", "readMode", "timeoutSeconds", "filter", "passwordEnv"]),
    );
  });

  it("refuses a bad read mode with the config key in the message", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps(), { ad: { ...LDAP_AD, readMode: "fast" } });
    expect(violations[0].message).toMatch(/ad\.readMode|readMode/);
  });

  it("says which setting is missing when the ldap source is incomplete", async () => {
    const h = harness();
    const { violations } = await h.run(settingsProps(), { ad: { kind: "ldap", url: LDAP_AD.url } });
    expect(violations[0].message).toContain("ad.url needs ad.bindDN and ad.baseDNs");
  });
});

describe("mobile-gap-impact with the real gap library (export files)", () => {
  const fixtures = path.resolve(__dirname, "..", "fixtures", "policies");
  it("counts 2 overwrites + 1 clear from the fixture files, loading gap/index.ts lazily", async () => {
    const lines: string[] = [];
    const policy = createMobileGapImpactPolicy({ log: (l) => lines.push(l), baseDir: fixtures });
    const config = { ad: { kind: "ldif", path: "ad-users.ldif" }, entra: { kind: "json", path: "entra-users.json" } };
    const { violations } = await runStackPolicy(
      policy,
      createStackValidationArgs([createPolicyResource(settingsProps())], config),
    );
    expect(lines.join("\n")).not.toContain("cannot read");
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain(
      "would overwrite 3 cloud-entered mobile numbers at the next sync: 2 replaced by AD's number, 1 cleared because AD has none; 1 more number would only change format",
    );
    expect(violations[0].message).toContain(
      "Users: ben.ng@corp.example.test, cat.ode@corp.example.test, dan.fox@corp.example.test.",
    );
    expect(lines.join("\n")).toContain("Read 6 AD users and 6 synced Entra ID users (6 matched)");
  });
});

describe("mobile-gap-impact in no-loss mode (noLoss: a reviewed back-fill plan)", () => {
  const fixtures = path.resolve(__dirname, "..", "fixtures", "policies");
  const sources = {
    ad: { kind: "ldif", path: path.join(fixtures, "ad-users.ldif") },
    entra: { kind: "json", path: path.join(fixtures, "entra-users.json") },
  } as const;
  let dir: string;
  let planPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "syncgap-noloss-"));
    // the plan `syncgap backfill plan` makes from the same exports: ben and cat to review, dan written, eve FormatOnly
    const { plan } = await runBackfillPlan({ ad: sources.ad, entra: sources.entra });
    planPath = (await writePlanFiles(dir, plan)).json;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = async (noLoss: Record<string, unknown>) => {
    const lines: string[] = [];
    const policy = createMobileGapImpactPolicy({ log: (l) => lines.push(l), baseDir: dir });
    const { violations } = await runStackPolicy(
      policy,
      createStackValidationArgs([createPolicyResource(settingsProps())], { ...sources, noLoss }),
    );
    return { violations: violations.map((v) => v.message), lines };
  };

  /** The CSV as an admin hands it back from Excel, with some decisions changed. */
  const decide = (decisions: Record<string, string>, name: string) => {
    const csv = readFileSync(path.join(dir, "backfill-plan.csv"), "utf8")
      .split("\r\n")
      .map((line) => {
        const upn = Object.keys(decisions).find((u) => line.includes(`,${u},`));
        return upn ? line.replace(/^[a-z]+,/, `${decisions[upn]},`) : line;
      })
      .join("\r\n");
    const file = path.join(dir, name);
    writeFileSync(file, csv);
    return file;
  };

  it("fails while numbers the switch would lose are still to review, naming them and what to do", async () => {
    const { violations, lines } = await check({ plan: planPath });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain("would lose 3 cloud-entered mobile numbers");
    expect(violations[0]).toContain("writes 1 into AD first and gives up 0 by decision (ad)");
    expect(violations[0]).toContain(
      "2 still to review (ben.ng@corp.example.test, cat.ode@corp.example.test): decide cloud or ad in the plan's Decision column",
    );
    expect(lines.join("\n")).toContain("2 unsettled");
  });

  it("passes once each lost number is decided: written into AD by the plan, or knowingly given up", async () => {
    const decisions = decide({ "ben.ng@corp.example.test": "ad", "cat.ode@corp.example.test": "cloud" }, "decided.csv");
    const { violations, lines } = await check({ plan: planPath, decisions });
    expect(violations).toEqual([]);
    expect(lines.join("\n")).toContain("writes 2 into AD first and gives up 1 by decision (ad); 0 unsettled");
  });

  it("takes the reviewed backfill-plan.csv next to the plan by default", async () => {
    const { violations } = await check({ plan: planPath });
    expect(violations[0]).toContain("with backfill-plan.csv");
  });

  it("counts users the plan does not hold, or whose numbers changed since it, as unsettled", async () => {
    const other = mkdtempSync(path.join(tmpdir(), "syncgap-noloss-stale-"));
    try {
      const { plan } = await runBackfillPlan({ ad: sources.ad, entra: sources.entra }, { prefer: "cloud" });
      const stale = {
        ...plan,
        rows: plan.rows
          .filter((r) => r.userPrincipalName !== "dan.fox@corp.example.test")
          .map((r) => {
            if (r.userPrincipalName !== "ben.ng@corp.example.test") return r;
            const changed = { ...r, entraMobile: "+14255550000" };
            return { ...changed, rowDigest: rowDigest(changed) };
          }),
      };
      const file = (await writePlanFiles(other, recount(stale))).json;
      const { violations } = await check({ plan: file });
      expect(violations).toHaveLength(1);
      expect(violations[0]).toContain("1 changed since the plan (ben.ng@corp.example.test): make a new plan");
      expect(violations[0]).toContain("1 not in the plan (dan.fox@corp.example.test)");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("is a violation, never a pass, when the plan is missing or its CSV was edited beyond Decision", async () => {
    const missing = await check({ plan: path.join(dir, "nope.json") });
    expect(missing.violations[0]).toMatch(
      /: no back-fill plan at .*nope\.json .*Make one with `syncgap backfill plan`/,
    );
    const csv = readFileSync(path.join(dir, "backfill-plan.csv"), "utf8").replace("+442079460000", "+442079469999");
    writeFileSync(path.join(dir, "tampered.csv"), csv);
    const tampered = await check({ plan: planPath, decisions: path.join(dir, "tampered.csv") });
    expect(tampered.violations[0]).toMatch(/EntraIDMobile was changed .* only Decision may be edited/);
  });
});
