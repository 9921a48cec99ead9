/**
 * Every report agrees with the exit code (the real command on export files): for exit 0, 1 and 2 — a wrong scope, an
 * empty side, a partial export, an over-long line or value — the JSON, Markdown, HTML and JUnit reports carry the
 * same verdict and reason. Exit 3 (no sync) is `check`'s, in test/gap/check.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { runCli } from "../support/cli";
import { adUser, craftedDirectory, entraTwin } from "../support/gapUsers";

const dir = mkdtempSync(join(tmpdir(), "syncgap-verdicts-"));
const path = (name: string) => join(dir, name);

interface Reports {
  json: { summary: { verdict: { status: string; exitCode: number; label: string; reason: string } } };
  md: string;
  html: string;
  xml: string;
}

function reports(out: string): Reports {
  const read = (f: string) => readFileSync(join(out, f), "utf8");
  return {
    json: JSON.parse(read("gap-report.json")),
    md: read("gap-report.md"),
    html: read("gap-report.html"),
    xml: read("gap-report.xml"),
  };
}

beforeAll(async () => {
  const { ad, entra } = craftedDirectory();
  await writeAdLdif(path("ad.ldif"), ad);
  writeFileSync(path("entra.json"), JSON.stringify(entra));
  // in sync: each AD user with its twin
  const same = Array.from({ length: 10 }, () => adUser());
  await writeAdLdif(path("same.ldif"), same);
  writeFileSync(path("same.json"), JSON.stringify(same.map((a) => entraTwin(a))));
  // another tenant's users: nothing joins (the wrong tenant, the wrong export)
  writeFileSync(path("other.json"), JSON.stringify(Array.from({ length: 10 }, () => entraTwin(adUser()))));
  // a Graph export that stops at a page link
  writeFileSync(
    path("partial.json"),
    JSON.stringify([
      { value: entra.slice(0, 3), "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=x" },
    ]),
  );
  // an LDIF line beyond the reader's 1 MiB cap, and a mobile beyond AD's 64 characters
  writeFileSync(
    path("long-line.ldif"),
    `version: 1\n\ndn: CN=x,DC=corp\ndescription: ${"x".repeat(2 * 1024 * 1024)}\n`,
  );
  await writeAdLdif(path("long-value.ldif"), [adUser({ mobile: `+1 ${"5".repeat(80)}` })]);
});

describe("the reports carry the exit code's verdict", () => {
  it.each([
    { name: "pass", ad: "same.ldif", entra: "same.json", code: 0, status: "pass", label: "PASS", reason: /0 gaps/ },
    { name: "gaps", ad: "ad.ldif", entra: "entra.json", code: 1, status: "fail", label: "FAIL", reason: /^3 gaps/ },
    {
      name: "wrong tenant",
      ad: "same.ldif",
      entra: "other.json",
      code: 2,
      status: "inconclusive",
      label: "NOT JUDGED",
      reason: /^compared too little to judge: no user matched between AD and Entra ID/,
    },
    {
      name: "partial export",
      ad: "ad.ldif",
      entra: "partial.json",
      code: 2,
      status: "inconclusive",
      label: "NOT JUDGED",
      reason: /^could not read the data: .*partial\.json.*nextLink/,
    },
    {
      name: "over-long line",
      ad: "long-line.ldif",
      entra: "entra.json",
      code: 2,
      status: "inconclusive",
      label: "NOT JUDGED",
      reason: /^could not read the data: .*long-line\.ldif.*line 4 is longer than 1,048,576 characters/,
    },
    {
      name: "over-long value",
      ad: "long-value.ldif",
      entra: "entra.json",
      code: 2,
      status: "inconclusive",
      label: "NOT JUDGED",
      reason: /^could not read the data: .*mobile of CN=User \d+,.* is 83 characters; AD holds at most 64/,
    },
  ])("$name → exit $code, $label in JSON, Markdown, HTML and JUnit", async (c) => {
    const out = path(`out-${c.name.replace(/\s/g, "-")}`);
    const r = await runCli(["gap", "--ad-ldif", path(c.ad), "--entra-json", path(c.entra), "--out", out]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(c.code);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one line, never a stack trace
    const rep = reports(out);
    const v = rep.json.summary.verdict;
    expect(v).toMatchObject({ status: c.status, exitCode: c.code, label: c.label });
    expect(v.reason).toMatch(c.reason);
    expect(rep.md).toContain(`**${c.label}** (exit ${c.code})`);
    expect(rep.html).toContain(`data-exit-code="${c.code}">${c.label}</span>`);
    const failures = Number(/<testsuites [^>]*failures="(\d+)"/.exec(rep.xml)?.[1]);
    if (c.code === 0) expect(failures).toBe(0);
    else expect(failures).toBeGreaterThan(0);
    if (c.code === 2) expect(rep.xml).toContain('<failure type="NotJudged"');
  });
});
