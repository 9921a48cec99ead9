/**
 * Markdown summary, for people and for the Azure DevOps build summary (`##vso[task.uploadsummary]<path>.md`):
 * verdict, counts per category, inputs, the first users out of sync, and where the full reports are.
 */
import type { GateOutcome } from "../gate";
import { impactOf } from "../impact";
import { CATEGORIES, CATEGORY_DESCRIPTIONS, type GapResult, type GapRow } from "../types";

/** Escapes text for a Markdown table cell (pipes, backslashes, markup characters, line breaks). */
export function mdCell(s: string | null | undefined): string {
  if (s === null || s === undefined || s === "") return "—";
  return s.replace(/[\\`*_{}[\]<>|#!~]/g, (c) => `\\${c}`).replace(/\r?\n|\r/g, " ");
}

export interface MarkdownOptions {
  /** Rows listed (the rest are in the CSV/JSON/HTML reports). */
  maxRows?: number;
  /** Report file names to point at. */
  files?: string[];
}

function rowLine(r: GapRow): string {
  return `| ${mdCell(r.userPrincipalName)} | ${r.category} | ${mdCell(r.adMobile)} | ${mdCell(r.entraMobile)} | ${r.matchedBy ?? "—"} |`;
}

export function gapMarkdown(result: GapResult, gate?: GateOutcome, opts: MarkdownOptions = {}): string {
  const max = opts.maxRows ?? 50;
  const out: string[] = [];
  out.push("# syncgap: mobile numbers, on-prem AD vs Entra ID", "");
  if (gate) {
    out.push(gate.passed ? `**PASS** — ${mdCell(gate.summary)}` : `**FAIL** — ${mdCell(gate.summary)}`, "");
  }
  const t = result.totals;
  out.push(
    `${t.adUsers} AD users, ${t.entraUsers} synced Entra ID users, ${t.matched} matched; ${t.outOfSync} out of sync.`,
    "",
    "| Category | Users | Meaning |",
    "| --- | ---: | --- |",
  );
  for (const c of CATEGORIES) out.push(`| ${c} | ${result.counts[c]} | ${mdCell(CATEGORY_DESCRIPTIONS[c])} |`);
  const impact = impactOf(result);
  out.push(
    "",
    `**If AD became authoritative** (bypassDirSyncOverridesEnabled = true): ${impact.cloudNumbersLost} cloud-entered ` +
      `numbers would be overwritten (${impact.overwrites} replaced, ${impact.clears} cleared), ${impact.formatRewrites} ` +
      `rewritten in AD's format, ${impact.fills} filled in from AD.`,
    "",
    "## Inputs",
    "",
    `- AD: ${mdCell(result.inputs.ad.description)} — ${result.inputs.ad.users} users (${result.inputs.ad.mode})`,
    `- Entra ID: ${mdCell(result.inputs.entra.description)} — ${result.inputs.entra.users} users (${result.inputs.entra.mode}${
      result.inputs.entra.requests !== undefined ? `, ${result.inputs.entra.requests} Graph requests` : ""
    })`,
    `- Default region for numbers without a country code: ${result.defaultRegion}`,
    `- Note: ${mdCell(result.otherMobileNote)}`,
  );
  for (const n of result.notes) out.push(`- Note: ${mdCell(n)}`);
  const gaps = result.rows.filter((r) => r.category !== "InSync");
  if (gaps.length) {
    out.push("", `## Users out of sync${gaps.length > max ? ` (first ${max} of ${gaps.length})` : ""}`, "");
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

export function impactMarkdown(result: GapResult, opts: MarkdownOptions = {}): string {
  const max = opts.maxRows ?? 100;
  const impact = impactOf(result);
  const out = [
    "# syncgap impact: what AD authority would overwrite",
    "",
    "Turning `bypassDirSyncOverridesEnabled` on makes sync write AD's `mobile` over Entra ID's `mobilePhone` for every " +
      "synced user (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides).",
    "",
    "| Change | Users |",
    "| --- | ---: |",
    `| Cloud number replaced by AD's (ValueMismatch) | ${impact.overwrites} |`,
    `| Cloud number cleared, AD has none (CloudOnly) | ${impact.clears} |`,
    `| **Cloud-entered numbers overwritten** | **${impact.cloudNumbersLost}** |`,
    `| Same number rewritten in AD's format (FormatOnly) | ${impact.formatRewrites} |`,
    `| Filled in from AD (MissingInEntra) | ${impact.fills} |`,
    "",
  ];
  if (impact.rows.length) {
    out.push(`## Users affected${impact.rows.length > max ? ` (first ${max} of ${impact.rows.length})` : ""}`, "");
    out.push("| User | Change | Entra ID now | Entra ID after |", "| --- | --- | --- | --- |");
    for (const r of impact.rows.slice(0, max)) {
      out.push(
        `| ${mdCell(r.userPrincipalName)} | ${r.change} | ${mdCell(r.entraMobile)} | ${r.change === "clear" ? "—" : mdCell(r.adMobile)} |`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
