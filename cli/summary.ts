/** What `gap`, `impact` and `check` print when they are done: the summary, the impact list, the Azure DevOps commands. */
import { complete, logIssue, uploadSummary } from "../gap/azdo";
import { impactFigures, impactOf } from "../gap/impact";
import { comparisonLine, type RunComparison } from "../gap/reports";
import { auditLine } from "../gap/reports/markdown";
import { CATEGORIES, type GapResult } from "../gap/types";
import { EXIT, type Verdict } from "../gap/verdict";
import { TOOL } from "../gap/version";
import { count, num } from "../gap/wording";
import { printCommands, printLines } from "./output";

/** stdout lines: what a person (or a pipeline log) reads. */
export function printSummary(
  result: GapResult,
  verdict: Verdict,
  files: Record<string, string>,
  gated: boolean,
  comparison?: RunComparison,
): void {
  const t = result.totals;
  const out: string[] = [];
  out.push(
    `syncgap ${TOOL.version}: ${count(t.adUsers, "AD user")}, ${count(t.entraUsers, "synced Entra ID user")}, ${num(t.matched)} matched, ${num(t.outOfSync)} out of sync`,
  );
  for (const c of CATEGORIES) out.push(`  ${c.padEnd(15)} ${num(result.counts[c]).padStart(9)}`);
  const imp = impactFigures(result);
  const figures = `${count(imp.cloudNumbersLost, "cloud-entered number")} (${num(imp.overwrites)} replaced, ${num(imp.clears)} cleared; ${num(imp.formatRewrites)} format rewrites)`;
  out.push(
    verdict.authority === "onPremises"
      ? `  AD is authoritative: the next Initial sync overwrites ${figures}`
      : `  AD authority would overwrite ${figures}`,
  );
  out.push(`  note: ${result.otherMobileNote}`);
  for (const n of result.notes) out.push(`  note: ${n}`);
  if (verdict.coverage) out.push(`  coverage: ${verdict.coverage.summary}`);
  const audit = auditLine(verdict);
  if (audit) out.push(`  audit: ${audit}`);
  if (comparison) out.push(`  ${comparisonLine(comparison)}`);
  if (gated || verdict.status !== "pass") out.push(`${verdict.label}: ${verdict.reason}`);
  for (const c of verdict.checks) {
    if (c.status !== "pass" && c.fix && !verdict.reason.includes(c.fix))
      out.push(`  ${c.name}: ${c.summary} — ${c.fix}`);
  }
  const paths = Object.values(files);
  if (paths.length) out.push(`reports: ${paths.join(", ")}`);
  printLines(out);
}

/** Impact mode on stdout: the users whose cloud-entered number AD authority would overwrite (first 20). */
export function printImpact(result: GapResult, max = 20): void {
  const imp = impactOf(result);
  const lines = [
    `impact of bypassDirSyncOverridesEnabled = true: ${count(imp.cloudNumbersLost, "cloud-entered number")} overwritten`,
  ];
  for (const r of imp.rows.slice(0, max)) {
    const after = r.change === "clear" ? "(cleared)" : (r.adMobile ?? "");
    lines.push(`  ${r.change.padEnd(13)} ${r.userPrincipalName}: ${r.entraMobile ?? ""} → ${after}`);
  }
  if (imp.rows.length > max) lines.push(`  … ${num(imp.rows.length - max)} more in impact-report.csv`);
  printLines(lines);
}

/** On an Azure DevOps agent: the Markdown summary, one issue per check that did not pass, and the step's result. */
export function printAzdo(verdict: Verdict, files: Record<string, string>, what: string): void {
  const commands: string[] = [];
  if (files.md) commands.push(uploadSummary(files.md));
  if (verdict.exitCode !== EXIT.pass) {
    for (const c of verdict.checks) {
      if (c.status === "pass") continue;
      commands.push(logIssue("error", `${what}: ${c.summary}${c.fix ? ` — ${c.fix}` : ""}`));
    }
    commands.push(complete("Failed", `${verdict.label}: ${verdict.reason}`));
  }
  printCommands(commands);
}
