/**
 * JUnit XML for Azure DevOps `PublishTestResults@2` (testResultsFormat: JUnit): one `<testsuite>`, one failing
 * `<testcase>` per user out of sync (classname `syncgap.<Category>`, so results group by category), passing cases for
 * in-sync users when the run included them, and one case for the gate itself (pass or fail by the thresholds, the
 * same verdict as the exit code).
 * https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/publish-test-results-v2#result-formats-mapping
 */
import { hostname } from "node:os";
import type { GateOutcome } from "../gate";
import { CATEGORY_DESCRIPTIONS, type GapResult, type GapRow } from "../types";

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

const show = (v: string | null) => (v === null ? "(none)" : v);

function failureMessage(r: GapRow): string {
  switch (r.category) {
    case "MissingInEntra":
      return `Missing in Entra: AD mobile ${show(r.adMobile)}, Entra ID has none`;
    case "ValueMismatch":
      return `Value Mismatch: AD ${show(r.adMobile)}, Entra ID ${show(r.entraMobile)}`;
    case "FormatOnly":
      return `Format Only: AD ${show(r.adMobile)}, Entra ID ${show(r.entraMobile)} (same number ${show(r.adMobileE164)})`;
    case "CloudOnly":
      return `Cloud Only: Entra ID ${show(r.entraMobile)}, AD has none`;
    case "NotInAD":
      return "No AD account matches this synced Entra ID user";
    case "NotInEntra":
      return "No synced Entra ID user matches this AD user";
    case "InSync":
      return "In sync";
  }
}

function details(r: GapRow): string {
  return [
    `category: ${r.category} — ${CATEGORY_DESCRIPTIONS[r.category]}`,
    `matched by: ${r.matchedBy ?? "(no match)"}`,
    `AD mobile: ${show(r.adMobile)} (E.164 ${show(r.adMobileE164)})`,
    `AD otherMobile: ${r.adOtherMobile.length ? r.adOtherMobile.join("; ") : "(none)"}`,
    `Entra ID mobilePhone: ${show(r.entraMobile)} (E.164 ${show(r.entraMobileE164)})`,
    `immutableId: ${show(r.immutableId)}`,
    `Entra object id: ${show(r.entraId)}`,
    `AD DN: ${show(r.adDistinguishedName)}`,
  ].join("\n");
}

/** The rows' test cases, one line block per row (empty for no rows). */
export function junitRowCases(rows: readonly GapRow[]): string {
  const cases: string[] = [];
  for (const r of rows) {
    const name = xmlEscape(r.userPrincipalName);
    const cls = `syncgap.${r.category}`;
    if (r.category === "InSync") {
      cases.push(`    <testcase classname="${cls}" name="${name}" time="0"/>`);
      continue;
    }
    cases.push(
      `    <testcase classname="${cls}" name="${name}" time="0">\n` +
        `      <failure type="${r.category}" message="${xmlEscape(failureMessage(r))}">${xmlEscape(details(r))}</failure>\n` +
        "    </testcase>",
    );
  }
  return cases.join("\n");
}

/** The JUnit document. `rowCases` (junitRowCases of the same rows) takes the place of rendering them again. */
export function gapJunit(result: GapResult, gate?: GateOutcome, rowCases?: string): string {
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const cases: string[] = [];
  let failures = 0;
  for (const r of result.rows) if (r.category !== "InSync") failures++;
  const body = rowCases ?? junitRowCases(result.rows);
  if (result.rows.length) cases.push(body);
  if (gate) {
    const g = `    <testcase classname="syncgap.gate" name="gaps within thresholds" time="${secs(result.timings.totalMs)}"`;
    if (gate.passed) cases.push(`${g}/>`);
    else {
      failures++;
      cases.push(
        `${g}>\n      <failure type="Gate" message="${xmlEscape(gate.summary)}">${xmlEscape(gate.summary)}</failure>\n    </testcase>`,
      );
    }
  }
  const tests = result.rows.length + (gate ? 1 : 0);
  const props = [
    ["ad", result.inputs.ad.description],
    ["entra", result.inputs.entra.description],
    ["defaultRegion", result.defaultRegion],
    ["otherMobileNote", result.otherMobileNote],
    ...(gate
      ? [["failOn", gate.thresholds.failOn.join(",")] as const, ["maxGaps", String(gate.thresholds.maxGaps)] as const]
      : []),
  ]
    .map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v)}"/>`)
    .join("\n");
  const time = secs(result.timings.totalMs);
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
