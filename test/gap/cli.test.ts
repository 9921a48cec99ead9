/**
 * The real command (`bin/syncgap`, spawned): exit codes, reports, messages, Azure DevOps logging commands, and
 * that secrets never show.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { runCli } from "../support/cli";
import { cloudEdit, gapEnv, gapSeed, startGapEmulator, syncFrom } from "../support/gapTenant";
import { craftedDirectory, MALFORMED_ENTRA_JSON } from "../support/gapUsers";

const dir = mkdtempSync(join(tmpdir(), "syncgap-cli-"));
const ldif = join(dir, "ad.ldif");
const entraJson = join(dir, "entra.json");
const entraPages = join(dir, "entra-pages.json");
const malformed = join(dir, "entra-malformed.json");
const fixtures = join(__dirname, "../fixtures/gap");
const SECRET = "Do-Not-Print-Me-7f3a";

beforeAll(async () => {
  const { ad, entra } = craftedDirectory();
  await writeAdLdif(ldif, ad);
  writeFileSync(entraJson, JSON.stringify(entra, null, 2));
  writeFileSync(malformed, MALFORMED_ENTRA_JSON);
  writeFileSync(
    entraPages,
    JSON.stringify([{ value: entra.slice(0, 3) }, { value: entra.slice(3), "@odata.nextLink": null }]),
  );
});

const out = (name: string) => join(dir, name);
const files = (o: string) => ["csv", "json", "xml", "md", "html"].map((e) => join(o, `gap-report.${e}`));

describe("syncgap gap (export files)", () => {
  it("exits 1 when gaps exceed the threshold and writes all reports", async () => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out("a")]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/MissingInEntra\s+1/);
    expect(r.stdout).toMatch(/FAIL: 3 gaps in MissingInEntra, ValueMismatch, CloudOnly/);
    for (const f of files(out("a"))) expect(existsSync(f), f).toBe(true);
    const doc = JSON.parse(readFileSync(join(out("a"), "gap-report.json"), "utf8"));
    expect(doc.summary.gate).toMatchObject({ passed: false, gaps: 3 });
  });

  it("exits 0 within --max-gaps, and honours --fail-on", async () => {
    expect(
      (await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out("b"), "--max-gaps", "3"])).code,
    ).toBe(0);
    const r = await runCli([
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-json",
      entraJson,
      "--out",
      out("c"),
      "--fail-on",
      "NotInAD",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 1 gap in NotInAD/);
  });

  it("reads an array of Graph pages the same as an array of users", async () => {
    const r = await runCli([
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-json",
      entraPages,
      "--out",
      out("d"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(join(out("d"), "gap-report.json"), "utf8")).summary.counts).toMatchObject({
      MissingInEntra: 1,
      NotInAD: 1,
    });
  });

  it("--compare-with: says what got better since an earlier run's JSON report, and refuses one it cannot read", async () => {
    const first = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out("cmp-1")]);
    expect(first.code, first.stderr).toBe(1);
    // the mismatched number fixed in the cloud: one user fewer out of sync
    const entra = JSON.parse(readFileSync(entraJson, "utf8")) as { userPrincipalName: string; mobilePhone?: string }[];
    const adMobile = readFileSync(ldif, "utf8").match(/sAMAccountName: mismatch\n(?:.*\n)*?mobile: (.*)\n/)?.[1];
    expect(adMobile).toBeTruthy();
    const fixed = entra.map((u) =>
      u.userPrincipalName === "mismatch@corp.example.test" ? { ...u, mobilePhone: adMobile } : u,
    );
    const fixedJson = join(dir, "entra-fixed.json");
    writeFileSync(fixedJson, JSON.stringify(fixed));
    const previous = join(out("cmp-1"), "gap-report.json");
    const second = await runCli([
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-json",
      fixedJson,
      "--out",
      out("cmp-2"),
      "--compare-with",
      previous,
    ]);
    expect(second.code, second.stderr).toBe(1);
    const before = JSON.parse(readFileSync(previous, "utf8")).summary.totals.outOfSync as number;
    expect(second.stdout).toContain(`${before} → ${before - 1} out of sync (−1, better)`);
    expect(second.stdout).toContain("0 users newly out of sync, 1 no longer, 0 in another category");
    const md = readFileSync(join(out("cmp-2"), "gap-report.md"), "utf8");
    expect(md).toContain("## Since the previous run");
    expect(md).toContain("mismatch@corp.example.test");

    const bad = join(dir, "not-a-report.json");
    writeFileSync(bad, '{"hello": "world"}');
    const r = await runCli([
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-json",
      entraJson,
      "--out",
      out("cmp-3"),
      "--compare-with",
      bad,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run: --compare-with: .*not-a-report\.json/);
    const unread = JSON.parse(readFileSync(join(out("cmp-3"), "gap-report.json"), "utf8"));
    expect(unread.summary.verdict.exitCode).toBe(2);
  });

  it("exits 2 on a malformed export, names file and position, and writes reports that say so", async () => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", malformed, "--out", out("e")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /could not run: Entra ID export .*entra-malformed\.json: not valid JSON: .*line 3 column \d+/,
    );
    const doc = JSON.parse(readFileSync(join(out("e"), "gap-report.json"), "utf8"));
    expect(doc.summary.verdict).toMatchObject({ status: "inconclusive", exitCode: 2, label: "NOT JUDGED" });
    expect(doc.summary.verdict.reason).toMatch(/^could not read the data: Entra ID export .*entra-malformed\.json/);
    expect(doc.summary.totals.matched).toBe(0);
    expect(readFileSync(join(out("e"), "gap-report.md"), "utf8")).toMatch(/\*\*NOT JUDGED\*\* \(exit 2\)/);
    expect(readFileSync(join(out("e"), "gap-report.xml"), "utf8")).toMatch(/<failure type="NotJudged"/);
    const bad = await runCli([
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-json",
      join(fixtures, "entra-bad-user.json"),
      "--out",
      out("e"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\/1\/value\/0\/mobilePhone/);
  });

  it("exits 2 on an unreadable AD export", async () => {
    const broken = join(dir, "broken.ldif");
    writeFileSync(broken, "dn: CN=x,DC=corp\nobjectClass: user\nobjectGUID:: not base64!!\n\n");
    const r = await runCli(["gap", "--ad-ldif", broken, "--entra-json", entraJson, "--out", out("f")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run: AD LDIF export .*broken\.ldif/);
    const missing = await runCli([
      "gap",
      "--ad-ldif",
      join(dir, "nope.ldif"),
      "--entra-json",
      entraJson,
      "--out",
      out("f"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file/);
  });

  it("exits 2 on usage errors", async () => {
    expect((await runCli(["gap", "--entra-json", entraJson])).stderr).toMatch(/no AD source/);
    expect((await runCli(["gap", "--ad-ldif", ldif, "--ad-csv", ldif, "--entra-json", entraJson])).code).toBe(2);
    expect((await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--fail-on", "Nope"])).stderr).toMatch(
      /unknown category "Nope"/,
    );
    expect((await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--format", "pdf"])).code).toBe(2);
    expect((await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--default-region", "XX"])).code).toBe(
      2,
    );
    expect((await runCli(["gap", "--no-such-flag"])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(["--help"])).code).toBe(0);
  });

  it("writes Azure DevOps logging commands under TF_BUILD", async () => {
    const r = await runCli(
      ["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out("g"), "--format", "json"],
      { TF_BUILD: "True" },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`##vso[task.uploadsummary]${join(out("g"), "gap-report.md")}`);
    expect(r.stdout).toMatch(
      /^##vso\[task\.logissue type=error;\]syncgap gap: 1 user MissingInEntra — A DirSync override keeps/m,
    );
    expect(r.stdout).toMatch(/^##vso\[task\.complete result=Failed;\]/m);
    const e = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", malformed], {
      TF_BUILD: "True",
    });
    expect(e.code).toBe(2);
    expect(e.stdout).toMatch(/^##vso\[task\.logissue type=error;\]syncgap could not run: .*entra-malformed\.json/m);
    expect(e.stdout).not.toMatch(/\n[^#\n]*\n##vso/); // every command stays on one line
  });

  it("impact mode lists what AD authority would overwrite and exits 0", async () => {
    const r = await runCli(["impact", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out("h")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 cloud-entered numbers overwritten/);
    expect(r.stdout).toMatch(/overwrite\s+mismatch@corp\.example\.test: \+14255559999 → \+14255550102/);
    expect(r.stdout).toMatch(/clear\s+cloudonly@corp\.example\.test: \+14255550104 → \(cleared\)/);
    const csv = readFileSync(join(out("h"), "impact-report.csv"), "utf8");
    expect(csv.split("\r\n").filter(Boolean)).toHaveLength(4);
  });
});

describe("syncgap with live sources", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startGapEmulator(gapSeed());
    await syncFrom(emu, craftedDirectory().ad);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  /** A gap run whose AD is a closed port on loopback (Entra from the JSON export). */
  const unreachableAd = () => [
    "gap",
    "--ad-url",
    "ldaps://127.0.0.1:1",
    "--ad-bind-dn",
    "CN=svc,DC=corp",
    "--ad-base-dn",
    "DC=corp",
    "--entra-json",
    entraJson,
  ];

  it("exits 2 naming the DC when AD cannot be reached, and never prints the password", async () => {
    const r = await runCli([...unreachableAd(), "--out", out("i")], { SYNCGAP_AD_PASSWORD: SECRET });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run: AD ldaps:\/\/127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/ECONNREFUSED|refused|unreachable|cannot connect/i);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  });

  it("exits 2 when the AD password is not in the environment", async () => {
    const r = await runCli(unreachableAd());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bind password is not set.*SYNCGAP_AD_PASSWORD/);
  });

  it("reads Entra ID from Graph with the provider's settings and never prints the client secret", async () => {
    const env = gapEnv(emu);
    const clean = await runCli(["gap", "--ad-ldif", ldif, "--entra-graph", "--out", out("j")], env);
    expect(clean.code, clean.stderr).toBe(0); // just synced: everything in line
    expect(clean.stdout).toMatch(/7 AD users, 7 synced Entra ID users, 7 matched, 0 out of sync/);
    await cloudEdit(emu, "insync@corp.example.test", "+1 206 555 0100");
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-graph", "--out", out("j")], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/ValueMismatch\s+1/);
    const all = `${r.stdout}${r.stderr}${readFileSync(join(out("j"), "gap-report.json"), "utf8")}${readFileSync(join(out("j"), "gap-report.html"), "utf8")}`;
    expect(all).not.toContain(env.AZURE_CLIENT_SECRET as string);
  });

  it("--delta-state: a re-run with nothing changed reuses the result", async () => {
    const env = gapEnv(emu);
    const state = join(dir, "delta-state.json");
    const args = (dir: string) => [
      "gap",
      "--ad-ldif",
      ldif,
      "--entra-graph",
      "--delta-state",
      state,
      "--out",
      out(dir),
    ];
    writeFileSync(`${state}.reports`, "syncgap-report-bodies 1\n{}\n"); // an older syncgap's row-part cache
    const first = await runCli(args("delta-1"), env);
    expect([0, 1], first.stderr).toContain(first.code);
    for (const f of ["", ".result.json", ".snapshot.ndjson"]) expect(existsSync(`${state}${f}`)).toBe(true);
    expect(existsSync(`${state}.reports`)).toBe(false);
    const again = await runCli(args("delta-2"), env);
    expect(again.code, again.stderr).toBe(first.code);
    const json = (dir: string) => JSON.parse(readFileSync(join(out(dir), "gap-report.json"), "utf8"));
    expect(json("delta-2").summary.notes.join(" ")).toMatch(/was reused/);
    expect(json("delta-2").rows).toEqual(json("delta-1").rows);
    expect(readFileSync(join(out("delta-2"), "gap-report.csv"))).toEqual(
      readFileSync(join(out("delta-1"), "gap-report.csv")),
    );
  });

  it("exits 2 naming Graph when it cannot be reached", async () => {
    const r = await runCli(
      [
        "gap",
        "--ad-ldif",
        ldif,
        "--entra-graph",
        "--graph-endpoint",
        "https://127.0.0.1:9",
        "--max-retry-seconds",
        "1",
        "--out",
        out("k"),
      ],
      gapEnv(emu),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run: Entra ID \(Graph https:\/\/127\.0\.0\.1:9\/v1\.0/);
    const doc = JSON.parse(readFileSync(join(out("k"), "gap-report.json"), "utf8"));
    expect(doc.summary.verdict).toMatchObject({ exitCode: 2 });
  });

  it("exits 2 when the credential is refused", async () => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-graph", "--out", out("l")], {
      ...gapEnv(emu),
      AZURE_CLIENT_SECRET: "wrong",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not get a token for tenant/);
    expect(r.stderr).not.toContain("wrong");
  });
});
