/**
 * Markdown summary, for people and for the Azure DevOps build summary (`##vso[task.uploadsummary]<path>.md`):
 * verdict, counts per category, inputs, the OUs with the most users out of sync, the change since an earlier run (when
 * given), the first users out of sync, and where the full reports are.
 */
import { describeSwitchChange } from "../../graph/switchAudit";
import { nextStep } from "../advice";
import { impactFigures, impactOf } from "../impact";
import { printable } from "../printable";
import { CATEGORIES, CATEGORY_DESCRIPTIONS, type GapResult, type GapRow } from "../types";
import type { Verdict } from "../verdict";
import { count, num } from "../wording";
import { type RunComparison, signed } from "./comparison";
import { OU_CATEGORIES, ouBreakdown } from "./ouBreakdown";

/**
 * Escapes text for a Markdown table cell (pipes, backslashes, markup characters) after making it printable (control
 * characters, line breaks and logging-command prefixes become visible: ../printable.ts).
 */
export function mdCell(s: string | null | undefined): string {
  if (s === null || s === undefined || s === "") return "—";
  return printable(s).replace(/[\\`*_{}[\]<>|#!~]/g, (c) => `\\${c}`);
}

export interface MarkdownOptions {
  /** Rows listed (the rest are in the CSV/JSON/HTML reports). */
  maxRows?: number;
  /** Report file names to point at. */
  files?: string[];
  /** OUs listed in the per-OU breakdown (./ouBreakdown.ts). */
  ouLimit?: number;
  /** This run against an earlier one (./comparison.ts). */
  comparison?: RunComparison;
}

/** The per-OU breakdown as a Markdown section (nothing when no user is out of sync). */
export function ouMarkdown(result: GapResult, limit?: number): string[] {
  const b = ouBreakdown(result.rows, limit);
  if (!b.ous.length) return [];
  const out = [
    "",
    "## Users out of sync per OU",
    "",
    `| OU | Out of sync | ${OU_CATEGORIES.join(" | ")} |`,
    `| --- | ---: | ${OU_CATEGORIES.map(() => "---:").join(" | ")} |`,
  ];
  for (const l of b.ous) {
    out.push(`| ${mdCell(l.ou)} | ${num(l.outOfSync)} | ${OU_CATEGORIES.map((c) => num(l.counts[c])).join(" | ")} |`);
  }
  if (b.moreOus) out.push("", `${count(b.moreOus, "more OU")} with ${count(b.moreUsers, "user")} out of sync.`);
  return out;
}

/** The comparison with an earlier run as a Markdown section. */
export function comparisonMarkdown(c: RunComparison, max = 20): string[] {
  const o = c.outOfSync;
  const out = [
    "",
    "## Since the previous run",
    "",
    `Compared with ${mdCell(c.previousFile)} (${mdCell(c.previousGeneratedAt)}): ${num(o.before)} → ${num(o.after)} out of sync (${signed(o.delta)}).`,
    "",
    "| Category | Before | Now | Change |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const l of c.categories) out.push(`| ${l.category} | ${num(l.before)} | ${num(l.after)} | ${signed(l.delta)} |`);
  const list = (title: string, moves: RunComparison["fixed"]) => {
    if (!moves.length) return;
    out.push("", `${title}: ${num(moves.length)}${moves.length > max ? ` (first ${max})` : ""}`, "");
    out.push("| User | Before | Now |", "| --- | --- | --- |");
    for (const m of moves.slice(0, max)) {
      out.push(`| ${mdCell(m.userPrincipalName)} | ${m.before ?? "not listed"} | ${m.after ?? "not listed"} |`);
    }
  };
  list("Newly out of sync", c.newlyOutOfSync);
  list("No longer out of sync", c.fixed);
  list("Out of sync in another category", c.changed);
  if (c.newlyOutOfSync.length || c.fixed.length) {
    out.push(
      "",
      "“not listed”: in sync in that run, or not in its scope (a report lists InSync users only with includeInSync).",
    );
  }
  return out;
}

function rowLine(r: GapRow): string {
  return `| ${mdCell(r.userPrincipalName)} | ${r.category} | ${mdCell(r.adMobile)} | ${mdCell(r.entraMobile)} | ${r.matchedBy ?? "—"} |`;
}

/** The audit evidence in one line (check only): the switch's last change, or why it is not known. */
export function auditLine(verdict: Verdict): string | undefined {
  const a = verdict.audit;
  if (!a) return undefined;
  return a.lastChange ? describeSwitchChange(a.lastChange) : a.note;
}

/** The verdict line and the checks, as the top of a Markdown summary (shared by the gap and impact summaries). */
function verdictLines(verdict: Verdict): string[] {
  const out = [`**${verdict.label}** (exit ${verdict.exitCode}) — ${mdCell(verdict.reason)}`, ""];
  if (verdict.coverage) out.push(`Coverage: ${mdCell(verdict.coverage.summary)}.`, "");
  const audit = auditLine(verdict);
  if (audit) out.push(`Audit evidence: ${mdCell(audit)}.`, "");
  out.push("| Check | Result | Seen |", "| --- | --- | --- |");
  for (const c of verdict.checks) {
    const mark = c.status === "pass" ? "pass" : c.status === "fail" ? "**fail**" : "**not judged**";
    out.push(`| ${mdCell(c.name)} | ${mark} | ${mdCell(c.summary)} |`);
  }
  const fixes = verdict.checks.filter((c) => c.status !== "pass" && c.fix);
  if (fixes.length) {
    out.push("", "What to do:", "");
    for (const c of fixes) out.push(`- ${mdCell(c.fix)}${c.link ? ` (${c.link})` : ""}`);
  }
  out.push("");
  return out;
}

export function gapMarkdown(result: GapResult, verdict?: Verdict, opts: MarkdownOptions = {}): string {
  const max = opts.maxRows ?? 50;
  const out: string[] = [];
  out.push("# syncgap: mobile numbers, on-prem AD vs Entra ID", "");
  if (verdict) out.push(...verdictLines(verdict));
  const t = result.totals;
  const authority = verdict?.authority ?? "unknown";
  out.push(
    `${count(t.adUsers, "AD user")}, ${count(t.entraUsers, "synced Entra ID user")}, ${num(t.matched)} matched; ${num(t.outOfSync)} out of sync.`,
    "",
    "| Category | Users | Meaning | Next step |",
    "| --- | ---: | --- | --- |",
  );
  for (const c of CATEGORIES) {
    const step = result.counts[c] > 0 ? nextStep(c, authority) : undefined;
    out.push(
      `| ${c} | ${num(result.counts[c])} | ${mdCell(CATEGORY_DESCRIPTIONS[c])} | ${step ? `${mdCell(step.text)} ([Learn](${step.link}))` : "—"} |`,
    );
  }
  const impact = impactFigures(result);
  const figures =
    `${count(impact.cloudNumbersLost, "cloud-entered number")} (${num(impact.overwrites)} replaced, ${num(impact.clears)} cleared), ` +
    `${num(impact.formatRewrites)} rewritten in AD's format, ${num(impact.fills)} filled in from AD`;
  out.push(
    "",
    authority === "onPremises"
      ? `**AD is authoritative** (bypassDirSyncOverridesEnabled = true): the next Initial sync overwrites ${figures}.`
      : authority === "cloud"
        ? `**Cloud edits win** (bypassDirSyncOverridesEnabled = false). If AD became authoritative: ${figures}.`
        : `**If AD became authoritative** (bypassDirSyncOverridesEnabled = true): ${figures}.`,
    "",
    "## Inputs",
    "",
    `- AD: ${mdCell(result.inputs.ad.description)} — ${count(result.inputs.ad.users, "user")} (${result.inputs.ad.mode})`,
    `- Entra ID: ${mdCell(result.inputs.entra.description)} — ${count(result.inputs.entra.users, "user")} (${result.inputs.entra.mode}${
      result.inputs.entra.requests !== undefined ? `, ${count(result.inputs.entra.requests, "Graph request")}` : ""
    })`,
    `- Default region for numbers without a country code: ${result.defaultRegion}`,
    `- Note: ${mdCell(result.otherMobileNote)}`,
  );
  for (const n of result.notes) out.push(`- Note: ${mdCell(n)}`);
  if (opts.comparison) out.push(...comparisonMarkdown(opts.comparison));
  out.push(...ouMarkdown(result, opts.ouLimit));
  const gaps = result.rows.filter((r) => r.category !== "InSync");
  if (gaps.length) {
    out.push("", `## Users out of sync${gaps.length > max ? ` (first ${max} of ${num(gaps.length)})` : ""}`, "");
    out.push("| User | Category | AD mobile | Entra ID mobile | Matched by |", "| --- | --- | --- | --- | --- |");
    for (const r of gaps.slice(0, max)) out.push(rowLine(r));
  }
  const tm = result.timings;
  out.push(
    "",
    `Read in ${(tm.totalMs / 1000).toFixed(1)} s (AD ${(tm.adReadMs / 1000).toFixed(1)} s, Entra ID ${(tm.entraReadMs / 1000).toFixed(1)} s, ` +
      `join ${(tm.joinMs / 1000).toFixed(2)} s) by ${result.tool.name} ${result.tool.version} at ${result.generatedAt}.`,
  );
  if (opts.files?.length) out.push("", `Full reports: ${opts.files.map((f) => `\`${f}\``).join(", ")}.`);
  return `${out.join("\n")}\n`;
}

export function impactMarkdown(result: GapResult, verdict?: Verdict, opts: MarkdownOptions = {}): string {
  const max = opts.maxRows ?? 100;
  const impact = impactOf(result);
  const out = [
    "# syncgap impact: what AD authority would overwrite",
    "",
    ...(verdict ? verdictLines(verdict) : []),
    "Turning `bypassDirSyncOverridesEnabled` on makes sync write AD's `mobile` over Entra ID's `mobilePhone` for every " +
      "synced user (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides).",
    "",
    "| Change | Users |",
    "| --- | ---: |",
    `| Cloud number replaced by AD's (ValueMismatch) | ${num(impact.overwrites)} |`,
    `| Cloud number cleared, AD has none (CloudOnly) | ${num(impact.clears)} |`,
    `| **Cloud-entered numbers overwritten** | **${num(impact.cloudNumbersLost)}** |`,
    `| Same number rewritten in AD's format (FormatOnly) | ${num(impact.formatRewrites)} |`,
    `| Filled in from AD (MissingInEntra) | ${num(impact.fills)} |`,
    "",
  ];
  if (impact.rows.length) {
    out.push(`## Users affected${impact.rows.length > max ? ` (first ${max} of ${num(impact.rows.length)})` : ""}`, "");
    out.push("| User | Change | Entra ID now | Entra ID after |", "| --- | --- | --- | --- |");
    for (const r of impact.rows.slice(0, max)) {
      out.push(
        `| ${mdCell(r.userPrincipalName)} | ${r.change} | ${mdCell(r.entraMobile)} | ${r.change === "clear" ? "—" : mdCell(r.adMobile)} |`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
