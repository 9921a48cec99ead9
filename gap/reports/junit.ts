/**
 * JUnit XML for Azure DevOps `PublishTestResults@2` (testResultsFormat: JUnit): one test case per gated check of the
 * verdict (the switch, the sync, coverage, each category the gate counts), so the Tests tab shows what the gate
 * decided and why — the failure text names the first users, the full CSV and the fix in one line. Per-user cases come
 * only with `junitUsers` (capped at JUNIT_USERS_MAX), so the file stays small at a million users.
 * https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/publish-test-results-v2#result-formats-mapping
 */
import { hostname } from "node:os";
import { CATEGORY_DESCRIPTIONS, type GapResult, type GapRow } from "../types";
import type { Verdict, VerdictCheck } from "../verdict";
import { count } from "../wording";

// XML 1.0 allows tab, LF, CR and U+0020 and above (minus surrogates handled by the encoder, U+FFFE/U+FFFF).
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

// Anything xmlEscape would change (a lone or paired surrogate takes the slow path, which keeps pairs).
const XML_SPECIAL = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function xmlEscape(s: string): string {
  if (!XML_SPECIAL.test(s)) return s;
  return s
    .replace(INVALID_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** The most per-user cases a JUnit report holds, whatever `junitUsers` asks. */
export const JUNIT_USERS_MAX = 1000;

export interface JunitOptions {
  /** Per-user failing cases for the first N users in the gated categories (0: none). */
  junitUsers?: number;
  /** The CSV report's path, named in the failure text. */
  csvPath?: string;
}

const show = (v: string | null) => (v === null ? "(none)" : v);

function userDetails(r: GapRow): string {
  return [
    `category: ${r.category} — ${CATEGORY_DESCRIPTIONS[r.category]}`,
    `matched by: ${r.matchedBy ?? "(no match)"}`,
    `AD mobile: ${show(r.adMobile)} (E.164 ${show(r.adMobileE164)})`,
    `Entra ID mobilePhone: ${show(r.entraMobile)} (E.164 ${show(r.entraMobileE164)})`,
    `Entra object id: ${show(r.entraId)}`,
    `AD DN: ${show(r.adDistinguishedName)}`,
  ].join("\n");
}

function checkCase(c: VerdictCheck, time: string, csvPath?: string): string {
  const head = `    <testcase classname="syncgap.checks" name="${xmlEscape(c.name)}" time="${time}"`;
  if (c.status === "pass") return `${head}/>`;
  const message = `${c.summary}${c.fix ? ` — ${c.fix}` : ""}`;
  const body = [
    c.summary,
    ...(c.users?.length
      ? [
          `first users: ${c.users.join(", ")}${(c.usersTotal ?? 0) > c.users.length ? ` (of ${count(c.usersTotal ?? 0, "user")})` : ""}`,
        ]
      : []),
    ...(c.users?.length && csvPath ? [`every user: ${csvPath} (in the same report folder)`] : []),
    ...(c.fix ? [`fix: ${c.fix}`] : []),
    ...(c.link ? [`see: ${c.link}`] : []),
  ].join("\n");
  const type = c.status === "inconclusive" ? "NotJudged" : "Failed";
  return `${head}>\n      <failure type="${type}" message="${xmlEscape(message)}">${xmlEscape(body)}</failure>\n    </testcase>`;
}

/** The JUnit document: one case per check of the verdict, then the per-user cases asked for. */
export function gapJunit(result: GapResult, verdict?: Verdict, opts: JunitOptions = {}): string {
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const time = secs(result.timings.totalMs);
  const cases: string[] = [];
  let failures = 0;
  for (const c of verdict?.checks ?? []) {
    if (c.status !== "pass") failures++;
    cases.push(checkCase(c, time, opts.csvPath));
  }
  const wanted = Math.min(Math.max(0, Math.floor(opts.junitUsers ?? 0)), JUNIT_USERS_MAX);
  const gated = new Set<string>(verdict?.gate?.thresholds.failOn ?? []);
  let users = 0;
  for (const r of result.rows) {
    if (users >= wanted) break;
    if (!gated.has(r.category)) continue;
    users++;
    failures++;
    cases.push(
      `    <testcase classname="syncgap.users.${r.category}" name="${xmlEscape(r.userPrincipalName)}" time="0">\n` +
        `      <failure type="${r.category}" message="${xmlEscape(`${r.category}: AD ${show(r.adMobile)}, Entra ID ${show(r.entraMobile)}`)}">${xmlEscape(userDetails(r))}</failure>\n` +
        "    </testcase>",
    );
  }
  const tests = cases.length;
  const props = [
    ["verdict", verdict ? `${verdict.label} (exit ${verdict.exitCode}): ${verdict.reason}` : "(no gate)"],
    ["ad", result.inputs.ad.description],
    ["entra", result.inputs.entra.description],
    ["defaultRegion", result.defaultRegion],
    ["otherMobileNote", result.otherMobileNote],
    ...(verdict?.gate
      ? [
          ["failOn", verdict.gate.thresholds.failOn.join(",")] as const,
          ["maxGaps", String(verdict.gate.thresholds.maxGaps)] as const,
        ]
      : []),
  ]
    .map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v)}"/>`)
    .join("\n");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="syncgap" tests="${tests}" failures="${failures}" errors="0" time="${time}">`,
    `  <testsuite name="syncgap mobile-number gap analysis" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${time}" timestamp="${result.generatedAt.replace(/\.\d+Z$/, "")}" hostname="${xmlEscape(hostname())}">`,
    "    <properties>",
    props,
    "    </properties>",
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
