/**
 * A plan's writes for admins who must apply through their own tooling:
 *   - `backfill-changes.ldif`: the same guarded modifies apply sends (changes.ts), for
 *     `ldapmodify -c -H ldaps://dc -D … -W -f backfill-changes.ldif` or `ldifde -i -f backfill-changes.ldif`
 *     (https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/cc731033(v=ws.11));
 *   - `backfill-changes.ps1`: one line per user, `Set-ADUser -Identity <objectGUID> -Replace @{mobile='…'}`
 *     (https://learn.microsoft.com/powershell/module/activedirectory/set-aduser), run only when the user's mobile is
 *     still the one the plan saw (checked right before, by Get-ADUser: PowerShell has no guarded modify, so a change in
 *     the moment between the two is not caught — the LDIF is the atomic form);
 *   - `backfill-changes-undo.ldif` / `.ps1`: the way back (`-Clear mobile` where AD had none), guarded by the value
 *     written.
 *
 * Values are attacker-controlled. Each one is checked by values.ts (no control or formatting character, at most AD's
 * 64 characters) and then written in PowerShell as a single-quoted literal — where nothing is expanded (no `$(…)`,
 * no backtick escapes) and the only special characters are the single quotes, which are doubled. PowerShell takes
 * U+2018, U+2019, U+201A and U+201B as single quotes too (about_Quoting_Rules,
 * https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_quoting_rules), so those are
 * doubled as well. Identities are objectGUIDs (hex and dashes only), never names.
 */
import { join } from "node:path";
import { isGuidString } from "../ad/ids";
import { writeFileDurably } from "../gap/privateFiles";
import { planChanges } from "./apply";
import { type GuardedChange, inverse } from "./changes";
import { BackfillError } from "./errors";
import { changeFile } from "./ldif";
import type { BackfillPlan } from "./types";
import { mobileProblem } from "./values";

/** The characters PowerShell ends a single-quoted string on. */
export const PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b";
const PS_QUOTE_RE = /['\u2018\u2019\u201a\u201b]/g;

/** A PowerShell single-quoted literal of `value`, or an error when the value may not be written at all. */
export function psLiteral(value: string): string {
  const problem = mobileProblem(value);
  if (problem) throw new BackfillError("BACKFILL_BAD_PLAN", `refusing to write ${JSON.stringify(value)}: ${problem}`);
  return `'${value.replace(PS_QUOTE_RE, (q) => q + q)}'`;
}

function psGuid(guid: string): string {
  if (!isGuidString(guid)) throw new BackfillError("BACKFILL_BAD_PLAN", `not an objectGUID: ${JSON.stringify(guid)}`);
  return `'${guid.trim().toLowerCase()}'`;
}

/** The fixed part of every script: settings, and the check each line runs before it writes. */
export const PS_PREAMBLE = [
  "#Requires -Modules ActiveDirectory",
  "Set-StrictMode -Version 3.0",
  "$ErrorActionPreference = 'Stop'",
  "$script:skipped = 0",
  "function Test-SyncgapMobile {",
  "  param([Parameter(Mandatory = $true)][string]$Identity, [AllowEmptyString()][AllowNull()][string]$Expected)",
  "  $now = (Get-ADUser -Identity $Identity -Properties mobile).mobile",
  "  if ([string]::IsNullOrEmpty($Expected)) { $ok = [string]::IsNullOrEmpty($now) } else { $ok = $now -ceq $Expected }",
  "  if (-not $ok) { Write-Warning ('skipped {0}: its mobile is not the value this script expects' -f $Identity); $script:skipped++ }",
  "  return $ok",
  "}",
] as const;

export const PS_EPILOGUE = [
  "if ($script:skipped -gt 0) { Write-Warning ('{0} user(s) skipped: nothing was overwritten' -f $script:skipped); exit 1 }",
] as const;

/** One line per change: the check, then Set-ADUser -Replace (or -Clear when the change leaves no value). */
export function psLine(c: GuardedChange): string {
  const id = psGuid(c.objectGuid);
  const expected = c.from === null ? "$null" : psLiteral(c.from);
  const write = c.to === null ? "-Clear mobile" : `-Replace @{mobile=${psLiteral(c.to)}}`;
  return `if (Test-SyncgapMobile -Identity ${id} -Expected ${expected}) { Set-ADUser -Identity ${id} ${write} }`;
}

export function psScript(header: readonly string[], changes: readonly GuardedChange[]): string {
  const comments = header.map((h) => `# ${h.replace(/[^\x20-\x7e]/g, "?")}`);
  return `${[...comments, ...PS_PREAMBLE, ...changes.map(psLine), ...PS_EPILOGUE].join("\r\n")}\r\n`;
}

function checkValues(changes: readonly GuardedChange[]): void {
  for (const c of changes) {
    for (const v of [c.from, c.to]) {
      const p = v === null ? undefined : mobileProblem(v);
      if (p) throw new BackfillError("BACKFILL_BAD_PLAN", `user ${c.objectGuid}: refusing to emit a value: ${p}`);
    }
    if (!isGuidString(c.objectGuid)) throw new BackfillError("BACKFILL_BAD_PLAN", `not an objectGUID: ${c.objectGuid}`);
  }
}

export interface EmittedFiles {
  ldif: string;
  ps1: string;
  undoLdif: string;
  undoPs1: string;
}

/** The four files' contents for a plan (see the file comment). */
export function emitTexts(plan: BackfillPlan, planSha256: string): Record<keyof EmittedFiles, string> {
  const { changes } = planChanges(plan);
  checkValues(changes);
  const back = changes.map(inverse);
  const head = (what: string) => [
    `syncgap backfill: ${what} (${changes.length} user(s); plan sha256 ${planSha256})`,
    "Each change applies only while the user's mobile is the value the plan saw; otherwise it is skipped.",
  ];
  return {
    ldif: changeFile(head("the plan's writes of AD mobile"), changes),
    ps1: psScript(head("the plan's writes of AD mobile"), changes),
    undoLdif: changeFile(head("puts back the values the plan saw"), back),
    undoPs1: psScript(head("puts back the values the plan saw"), back),
  };
}

export async function emitFiles(plan: BackfillPlan, planSha256: string, dir: string): Promise<EmittedFiles> {
  const t = emitTexts(plan, planSha256);
  const files: EmittedFiles = {
    ldif: join(dir, "backfill-changes.ldif"),
    ps1: join(dir, "backfill-changes.ps1"),
    undoLdif: join(dir, "backfill-changes-undo.ldif"),
    undoPs1: join(dir, "backfill-changes-undo.ps1"),
  };
  for (const k of Object.keys(files) as (keyof EmittedFiles)[]) await writeFileDurably(files[k], t[k]);
  return files;
}
