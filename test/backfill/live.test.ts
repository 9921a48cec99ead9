/**
 * The back-fill against the real Samba AD DC: a plan from a real run (the DC + an Entra ID JSON export of the same
 * users), apply with the suite's plain bind account after granting it the real "Write mobile" right on the test's OU,
 * the DC's own refusal of a value that changed, re-runs, undo checked byte for byte with ldbsearch on the DC's
 * database, the emitted LDIF through OpenLDAP's ldapmodify, and an account without the right.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { immutableIdFromGuidString } from "../../ad/ids";
import { applyPlan } from "../../backfill/apply";
import { emitTexts } from "../../backfill/emit";
import { AdWriter, type AdWriteTarget } from "../../backfill/ldap";
import { parseChangeFile } from "../../backfill/ldif";
import { runBackfillPlan } from "../../backfill/plan";
import { readDecisionsCsv, readPlanJson, writePlanFiles } from "../../backfill/planFiles";
import { type BackfillPlan, targetValue } from "../../backfill/types";
import { undoFromFile } from "../../backfill/undo";
import { buildProgram } from "../../cli/syncgap";
import type { GapRunSpec } from "../../gap/types";
import { type BackfillAdmin, backfillAdmin, ldbMobiles } from "../support/backfillDc";
import { acquireDc } from "../support/dc";
import type { SambaDc } from "../support/sambaDc";

const run = promisify(execFile);
const PW_ENV = "SYNCGAP_TEST_BACKFILL_PASSWORD";

let dc: SambaDc;
let admin: BackfillAdmin;
const roots: string[] = [];

beforeAll(async () => {
  dc = await acquireDc();
  admin = await backfillAdmin(dc);
});
afterAll(async () => {
  for (const r of roots) await admin?.remove(r);
  await admin?.close();
});

interface TestUser {
  key: string;
  ou: string;
  ad: string | null;
  entra: string | null;
  dn?: string;
  guid?: string;
}

/** Users in AD with the given mobiles, and an Entra ID export of the same users with theirs. */
async function directory(users: TestUser[]): Promise<{ dir: string; entraJson: string; byKey: Map<string, TestUser> }> {
  const dir = mkdtempSync(join(tmpdir(), "syncgap-backfill-live-"));
  const entra = [];
  for (const u of users) {
    const upn = `${u.key}.${Math.floor(Math.random() * 1e6)}@${dc.domain}`;
    const { dn, guid } = await admin.addUser(`Backfill ${u.key}`, u.ou, u.ad, upn);
    Object.assign(u, { dn, guid });
    entra.push({
      id: crypto.randomUUID(),
      userPrincipalName: upn,
      displayName: `Backfill ${u.key}`,
      mobilePhone: u.entra,
      onPremisesImmutableId: immutableIdFromGuidString(guid),
      onPremisesSyncEnabled: true,
      accountEnabled: true,
    });
  }
  const entraJson = join(dir, "entra-users.json");
  writeFileSync(entraJson, JSON.stringify(entra));
  return { dir, entraJson, byKey: new Map(users.map((u) => [u.key, u])) };
}

const spec = (base: string, entraJson: string): GapRunSpec => ({
  ad: {
    kind: "ldap",
    url: dc.url,
    bindDN: dc.bindUPN,
    passwordEnv: PW_ENV,
    baseDNs: [base],
    caCertPath: dc.caCertPath,
  },
  entra: { kind: "json", path: entraJson },
});
const target = (): AdWriteTarget => ({
  url: dc.url,
  bindDN: dc.bindUPN,
  passwordEnv: PW_ENV,
  caCertPath: dc.caCertPath,
});
const env = () => ({ [PW_ENV]: dc.password });

describe("plan, apply, undo on the real DC", () => {
  let granted: string;
  let dir: string;
  let byKey: Map<string, TestUser>;
  let planPath: string;
  let plan: BackfillPlan;
  let before: string;
  const HOSTILE = "+1 555 0124 '; $(Stop-Computer) `x ; #";

  beforeAll(async () => {
    const root = await admin.addOu(`syncgap-backfill-${Date.now()}`);
    roots.push(root);
    granted = await admin.addOu("Granted", root);
    await admin.grantWriteMobile(granted, dc.bindDN);
    const d = await directory([
      { key: "a-cloudonly", ou: granted, ad: null, entra: "+1 425 555 0120" },
      { key: "b-mismatch", ou: granted, ad: "+1 425 555 0121", entra: "+14255550199" },
      { key: "c-format", ou: granted, ad: "+1 425 555 0122", entra: "(425) 555-0122" },
      { key: "d-race", ou: granted, ad: null, entra: "+1 425 555 0123" },
      { key: "e-hostile", ou: granted, ad: null, entra: HOSTILE },
      { key: "f-insync", ou: granted, ad: "+14255550125", entra: "+14255550125" },
    ]);
    ({ dir, byKey } = d);
    const made = await runBackfillPlan(spec(granted, d.entraJson), { env: env() });
    plan = made.plan;
    planPath = (await writePlanFiles(dir, plan)).json;
  });

  const mobileOf = (key: string) => admin.mobile(byKey.get(key)!.dn!);

  it("plans from a real run: every cloud number the switch would lose, with the objectGUID and the value seen", () => {
    const rows = new Map(plan.rows.map((r) => [r.distinguishedName, r]));
    const row = (key: string) => rows.get(byKey.get(key)!.dn!);
    expect(plan.rows).toHaveLength(5);
    expect(row("f-insync")).toBeUndefined();
    expect(row("a-cloudonly")).toMatchObject({ decision: "cloud", adMobile: null, entraMobile: "+1 425 555 0120" });
    expect(row("a-cloudonly")!.objectGuid).toBe(byKey.get("a-cloudonly")!.guid);
    expect(row("b-mismatch")).toMatchObject({ decision: "review", adMobile: "+1 425 555 0121" });
    expect(row("c-format")).toMatchObject({ decision: "ad", e164: "+14255550122" });
    expect(row("e-hostile")).toMatchObject({ decision: "cloud", entraMobile: HOSTILE });
    expect(Date.parse(row("a-cloudonly")!.readAt)).toBeGreaterThanOrEqual(Date.parse(plan.readAt));
  });

  it("apply writes every decided cloud number and skips, without overwriting, the user whose mobile changed since", async () => {
    // the admin decides in the CSV: b → cloud
    const csvPath = join(dir, "backfill-plan.csv");
    const csv = readFileSync(csvPath, "utf8");
    const bDn = byKey.get("b-mismatch")!.dn!;
    const lines = csv
      .split("\r\n")
      .map((l) => (l.includes(byKey.get("b-mismatch")!.guid!) ? l.replace(/^review,/, "cloud,") : l));
    expect(lines.join("\r\n")).not.toBe(csv);
    writeFileSync(csvPath, lines.join("\r\n"));
    const { plan: json, sha256 } = readPlanJson(planPath);
    const decided = readDecisionsCsv(csvPath, json).plan;
    expect(decided.rows.find((r) => r.distinguishedName === bDn)!.decision).toBe("cloud");

    // someone edits d in AD after the plan was made
    await admin.setMobile(byKey.get("d-race")!.dn!, "+1 999 000 0000");
    before = await ldbMobiles(dc, granted);

    const dry = await applyPlan(decided, { path: planPath, sha256 }, target(), { dryRun: true, env: env() });
    expect(dry.report.exitCode).toBe(1);
    expect(dry.dryRunLdif).toContain("add: mobile");
    expect(await ldbMobiles(dc, granted)).toBe(before);
    expect(existsSync(join(dir, "backfill-undo.ldif"))).toBe(false);

    const cloudBefore = decided.rows
      .filter((r) => targetValue(r) !== undefined)
      .map((r) => [r.distinguishedName, targetValue(r)]);
    const r = await applyPlan(decided, { path: planPath, sha256 }, target(), { env: env() });
    expect(r.report.error).toBeUndefined();
    expect(r.report.exitCode).toBe(1);
    const status = new Map(r.report.users.map((u) => [u.distinguishedName, u]));
    expect(status.get(byKey.get("d-race")!.dn!)).toMatchObject({ status: "skipped", found: "+1 999 000 0000" });
    expect(r.report.counts).toMatchObject({ applied: 3, skipped: 1, failed: 0, notAttempted: 0, keepAd: 1 });

    // every cloud number that existed before is AD's mobile now, except the one changed underneath
    const now = new Set<string>();
    for (const [dn] of cloudBefore) now.add(`${dn}=${await admin.mobile(dn!)}`);
    const expected = new Set(
      cloudBefore.filter(([dn]) => dn !== byKey.get("d-race")!.dn).map(([dn, v]) => `${dn}=${v}`),
    );
    for (const e of expected) expect(now).toContain(e);
    expect(await mobileOf("d-race")).toBe("+1 999 000 0000");
    expect(await mobileOf("c-format")).toBe("+1 425 555 0122");
    expect(await mobileOf("f-insync")).toBe("+14255550125");

    expect(r.backFile).toBe(join(dir, "backfill-undo.ldif"));
    expect(parseChangeFile(readFileSync(r.backFile!, "utf8"), "undo")).toHaveLength(3); // only the users about to be written: d was skipped before
    const report = JSON.parse(readFileSync(r.reportPath!, "utf8"));
    expect(report.users.filter((u: { status: string }) => u.status === "applied")).toHaveLength(3);
  });

  it("re-running the same plan writes nothing: applied users are recognised", async () => {
    const snapshot = await ldbMobiles(dc, granted);
    const { plan: json, sha256 } = readPlanJson(planPath);
    const decided = readDecisionsCsv(join(dir, "backfill-plan.csv"), json).plan;
    const r = await applyPlan(decided, { path: planPath, sha256 }, target(), { env: env() });
    expect(r.report.counts).toMatchObject({ applied: 0, alreadyApplied: 3, skipped: 1 });
    expect(r.backFile).toBeUndefined();
    expect(existsSync(join(dir, "backfill-undo-2.ldif"))).toBe(false);
    expect(await ldbMobiles(dc, granted)).toBe(snapshot);
  });

  it("undo puts back exactly what was there (ldbsearch on the DC's database)", async () => {
    const r = await undoFromFile(join(dir, "backfill-undo.ldif"), target(), { env: env() });
    expect(r.report.counts).toMatchObject({ applied: 3 });
    expect(r.report.exitCode).toBe(0);
    expect(r.report.users.map((u) => u.distinguishedName)).not.toContain(byKey.get("d-race")!.dn);
    expect(await ldbMobiles(dc, granted)).toBe(before);
    expect(existsSync(join(dir, "backfill-redo.ldif"))).toBe(true);
  });

  it("undo skips a user whose value changed since apply, and never replaces an earlier undo file", async () => {
    const { plan: json, sha256 } = readPlanJson(planPath);
    const decided = readDecisionsCsv(join(dir, "backfill-plan.csv"), json).plan;
    const r = await applyPlan(decided, { path: planPath, sha256 }, target(), { env: env() });
    expect(r.report.counts.applied).toBe(3);
    expect(r.backFile).toBe(join(dir, "backfill-undo-2.ldif"));
    await admin.setMobile(byKey.get("a-cloudonly")!.dn!, "+1 888 000 0000");
    const u = await undoFromFile(r.backFile!, target(), { env: env() });
    expect(u.report.exitCode).toBe(1);
    expect(u.report.users.find((x) => x.distinguishedName === byKey.get("a-cloudonly")!.dn)).toMatchObject({
      status: "skipped",
      found: "+1 888 000 0000",
    });
    expect(await mobileOf("a-cloudonly")).toBe("+1 888 000 0000");
    expect(await mobileOf("e-hostile")).toBeNull();
    expect(await mobileOf("b-mismatch")).toBe("+1 425 555 0121");
    await admin.setMobile(byKey.get("a-cloudonly")!.dn!, null);
  });

  it("the DC itself refuses a guarded write over a value that changed between the read and the write", async () => {
    const a = byKey.get("a-cloudonly")!;
    const b = byKey.get("b-mismatch")!;
    const writer = await AdWriter.open(target(), env());
    try {
      // nothing seen, but a value is there now: add on a single-valued attribute → attributeOrValueExists
      await admin.setMobile(a.dn!, "+1 777 000 0000");
      const c1 = { dn: a.dn!, objectGuid: a.guid!, userPrincipalName: "", from: null, to: "+1 425 555 0120" };
      expect(await writer.modify(c1)).toMatchObject({ ok: false, kind: "changed", ldapCode: 20 });
      // a value seen that is no longer there → noSuchAttribute
      const c2 = { dn: b.dn!, objectGuid: b.guid!, userPrincipalName: "", from: "+1 425 555 0000", to: "+14255550199" };
      expect(await writer.modify(c2)).toMatchObject({ ok: false, kind: "changed", ldapCode: 16 });
      expect(await mobileOf("a-cloudonly")).toBe("+1 777 000 0000");
      expect(await mobileOf("b-mismatch")).toBe("+1 425 555 0121");

      // and apply lists such a user as skipped: the value changes after apply's read, before its write
      await admin.setMobile(a.dn!, null);
      const real = writer.readByGuid.bind(writer);
      writer.readByGuid = async (guid) => {
        const seen = await real(guid);
        if (guid === a.guid) await admin.setMobile(a.dn!, "+1 666 000 0000");
        return seen;
      };
      const { plan: json, sha256 } = readPlanJson(planPath);
      const r = await applyPlan(json, { path: planPath, sha256 }, target(), {
        env: env(),
        writer,
        backPath: join(dir, "race-undo.ldif"),
        reportPath: join(dir, "race-report.json"),
      });
      expect(r.report.exitCode).toBe(1);
      expect(r.report.users.find((u) => u.objectGuid === a.guid)).toMatchObject({
        status: "skipped",
        reason: expect.stringMatching(/DC refused it \(LDAP 20\)/),
      });
      expect(await mobileOf("a-cloudonly")).toBe("+1 666 000 0000");
      await undoFromFile(r.backFile!, target(), { env: env(), reportPath: join(dir, "race-undo-report.json") });
      await admin.setMobile(a.dn!, null);
    } finally {
      await writer.close();
    }
  });

  it("the emitted LDIF, applied with OpenLDAP's ldapmodify, gives the same result, and its undo restores", async () => {
    const made = await runBackfillPlan(spec(granted, join(dir, "entra-users.json")), { env: env(), prefer: "cloud" });
    const expected = made.plan.rows.map((r) => [r.distinguishedName, targetValue(r) ?? r.adMobile] as const);
    expect(expected.some(([, v]) => v === HOSTILE)).toBe(true);
    const start = await ldbMobiles(dc, granted);
    const texts = emitTexts(made.plan, "0".repeat(64));
    const pwFile = join(dir, "pw");
    writeFileSync(pwFile, dc.password, { mode: 0o600 }); // -y takes the whole file: no line break
    const ldapmodify = async (text: string) => {
      const file = join(dir, `ldapmodify-${Date.now()}.ldif`);
      writeFileSync(file, text);
      return run("ldapmodify", ["-c", "-H", dc.url, "-x", "-D", dc.bindUPN, "-y", pwFile, "-f", file], {
        env: { ...process.env, LDAPTLS_CACERT: dc.caCertPath },
        timeout: 60_000,
      });
    };
    await ldapmodify(texts.ldif);
    for (const [dn, v] of expected) expect(await admin.mobile(dn)).toBe(v);
    await ldapmodify(texts.undoLdif);
    expect(await ldbMobiles(dc, granted)).toBe(start);
  });
});

describe("a bind account without the right to write mobile", () => {
  it("gets exit 2 naming the right to delegate, and the report says who was written before", async () => {
    const root = await admin.addOu(`syncgap-backfill-noright-${Date.now()}`);
    roots.push(root);
    const granted = await admin.addOu("Granted", root);
    const plain = await admin.addOu("Plain", root);
    await admin.grantWriteMobile(granted, dc.bindDN);
    const d = await directory([
      { key: "aa", ou: granted, ad: null, entra: "+1 425 555 0130" },
      { key: "ab", ou: granted, ad: null, entra: "+1 425 555 0131" },
      { key: "zz", ou: plain, ad: null, entra: "+1 425 555 0139" },
    ]);
    const { plan } = await runBackfillPlan(spec(root, d.entraJson), { env: env() });
    const { json } = await writePlanFiles(d.dir, plan);

    const stderr: string[] = [];
    const stdout: string[] = [];
    const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr.push(String(s));
      return true;
    });
    const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      stdout.push(String(s));
      return true;
    });
    let code = -1;
    const saved = process.env.SYNCGAP_AD_PASSWORD;
    process.env.SYNCGAP_AD_PASSWORD = dc.password;
    try {
      // the command line as bin/syncgap builds it, in process (so the spies see its output)
      const program = buildProgram((c) => {
        code = c;
      });
      await program.parseAsync(
        [
          "backfill",
          "apply",
          "--plan",
          json,
          "--ad-url",
          dc.url,
          "--ad-bind-dn",
          dc.bindUPN,
          "--ad-ca-cert",
          dc.caCertPath,
        ],
        { from: "user" },
      );
    } finally {
      err.mockRestore();
      out.mockRestore();
      if (saved === undefined) delete process.env.SYNCGAP_AD_PASSWORD;
      else process.env.SYNCGAP_AD_PASSWORD = saved;
    }
    expect(code).toBe(2);
    expect(stderr.join("")).toMatch(
      /may not write mobile .*LDAP 50.*Write mobile.*setting-rights-to-specific-properties/s,
    );
    const report = JSON.parse(readFileSync(join(d.dir, "backfill-apply-report.json"), "utf8"));
    const by = new Map(
      report.users.map((u: { distinguishedName: string; status: string }) => [u.distinguishedName, u.status]),
    );
    expect(by.get(d.byKey.get("aa")!.dn)).toBe("applied");
    expect(by.get(d.byKey.get("ab")!.dn)).toBe("applied");
    expect(by.get(d.byKey.get("zz")!.dn)).toBe("failed");
    expect(report.exitCode).toBe(2);
    expect(report.error).toMatch(/Write mobile/);
    expect(await admin.mobile(d.byKey.get("zz")!.dn!)).toBeNull();
    expect(await admin.mobile(d.byKey.get("aa")!.dn!)).toBe("+1 425 555 0130");
    expect(stdout.join("")).toMatch(/failed: .*zz/);
  });
});
