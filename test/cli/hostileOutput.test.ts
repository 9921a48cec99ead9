/**
 * Directory data is attacker-controlled: a user who may edit a phone number or a UPN must not be able to steer the
 * pipeline. The real command (bin/syncgap) runs under TF_BUILD=True on directories whose every printed field is
 * hostile, and its stdout and stderr are read as an Azure Pipelines agent reads them (test/support/azdoLog.ts): the
 * only logging commands are syncgap's own, each at the start of its line, and no control character gets through.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { AdUser } from "../../ad/types";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { CONTROL_CHARACTERS, findLoggingCommands } from "../support/azdoLog";
import { runCli } from "../support/cli";
import { adUser, craftedDirectory, entraTwin } from "../support/gapUsers";

const dir = mkdtempSync(join(tmpdir(), "syncgap-hostile-"));
const ldif = join(dir, "ad.ldif");
const entraJson = join(dir, "entra.json");
const badEntra = join(dir, "entra-bad.json");

const INJECT = {
  upn: "eve##vso[task.setvariable variable=SYNCGAP_PWNED]1@corp.example.test",
  displayName: "Eve\u001b[31m\r##vso[task.prependpath]/tmp/evil-name",
  adMobile: "1\n##vso[task.prependpath]/tmp/evil",
  entraMobile: "+1 425 555 0199\u0007##[error]fake error",
  dn: "CN=Eve\n##vso[task.complete result=Succeeded;]done,OU=Corp Users,DC=corp,DC=example,DC=test",
};

/** What the agent would act on besides syncgap's own commands, and any control character. */
function assertNoInjection(output: string): void {
  const own = new Set(["task.logissue", "task.complete", "task.uploadsummary"]);
  for (const c of findLoggingCommands(output)) {
    expect(c.kind, c.line).toBe("vso");
    expect(own.has(c.command), c.line).toBe(true);
    expect(c.line.startsWith(`##vso[${c.command}`), c.line).toBe(true);
    expect(c.line).not.toContain("SYNCGAP_PWNED");
    expect(c.line).not.toContain("prependpath");
  }
  expect(output).not.toMatch(CONTROL_CHARACTERS);
}

beforeAll(async () => {
  const { ad, entra } = craftedDirectory();
  const eve: AdUser = adUser({
    userPrincipalName: INJECT.upn,
    displayName: INJECT.displayName,
    mobile: INJECT.adMobile,
    distinguishedName: INJECT.dn,
  });
  ad.push(eve);
  entra.push(entraTwin(eve, { mobilePhone: INJECT.entraMobile }));
  await writeAdLdif(ldif, ad);
  writeFileSync(entraJson, JSON.stringify(entra, null, 2));
  // an Entra export whose bad user carries the payload in the fields an error message may quote
  writeFileSync(
    badEntra,
    JSON.stringify([{ id: "x\n##vso[task.setvariable variable=SYNCGAP_PWNED]1", userPrincipalName: INJECT.upn }]),
  );
});

describe("hostile directory data under Azure Pipelines (TF_BUILD=True)", () => {
  it("gap --impact: prints the users, but only syncgap's own commands reach the agent", async () => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--impact", "--out", join(dir, "a")], {
      TF_BUILD: "True",
    });
    expect([0, 1, 2]).toContain(r.code);
    const output = `${r.stdout}\n${r.stderr}`;
    assertNoInjection(output);
    // the data was printed, made visible rather than dropped
    expect(r.stdout).toContain("eve#＃vso[task.setvariable variable=SYNCGAP_PWNED]1@corp.example.test");
    expect(r.stdout).toContain("1␊#＃vso[task.prependpath]/tmp/evil");
    expect(r.stdout).toMatch(/^##vso\[task\.complete result=Failed;\]/m);
  });

  it("impact: the same, and the Markdown summary holds no command either", async () => {
    const r = await runCli(["impact", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", join(dir, "b")], {
      TF_BUILD: "True",
    });
    assertNoInjection(`${r.stdout}\n${r.stderr}`);
    for (const md of ["gap-report.md", "impact-report.md"]) {
      const text = readFileSync(join(dir, "b", md), "utf8");
      expect(findLoggingCommands(text), md).toEqual([]);
      expect(text, md).not.toMatch(CONTROL_CHARACTERS);
    }
  });

  it("a run that could not judge (exit 2) neutralises what it quotes too", async () => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", badEntra, "--out", join(dir, "c")], {
      TF_BUILD: "True",
    });
    expect(r.code).toBe(2);
    assertNoInjection(`${r.stdout}\n${r.stderr}`);
    expect(r.stdout).toMatch(/^##vso\[task\.complete result=Failed;\]NOT JUDGED: /m);
  });

  it("writes reports readable by their owner only, replacing looser old files", async () => {
    const out = join(dir, "d");
    const first = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out]);
    expect(first.code).not.toBeNull();
    for (const f of ["gap-report.csv", "gap-report.json", "gap-report.xml", "gap-report.md", "gap-report.html"]) {
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(statSync(out).mode & 0o077).toBe(0);
    // an earlier run's impact report that this run does not write is removed
    writeFileSync(join(out, "impact-report.csv"), "old", { mode: 0o644 });
    await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--out", out, "--format", "json"]);
    expect(() => statSync(join(out, "impact-report.csv"))).toThrow();
    expect(() => statSync(join(out, "gap-report.csv"))).toThrow();
    expect(statSync(join(out, "gap-report.json")).mode & 0o777).toBe(0o600);
  });
});

describe("the gate cannot be switched off by accident", () => {
  it.each([[""], [","], [" , "]])("--fail-on %j is a usage error (exit 2)", async (failOn) => {
    const r = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--fail-on", failOn]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on .* names no category: give at least one of MissingInEntra/);
  });

  it("--fail-on with an unknown name, or a nonsense coverage share, is a usage error", async () => {
    const unknown = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--fail-on", "Everything"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown category "Everything"/);
    const share = await runCli(["gap", "--ad-ldif", ldif, "--entra-json", entraJson, "--min-matched", "lots"]);
    expect(share.code).toBe(2);
    expect(share.stderr).toMatch(/--min-matched wants a share such as 80% or 0\.8/);
  });
});
