/**
 * Directory data is attacker-controlled: anyone who may edit a user's phone number or UPN chooses those bytes. This is
 * the one function every printer runs it through before it reaches a terminal, a log or an Azure DevOps agent.
 *
 * - An Azure Pipelines agent executes any `##vso[…]` it finds in a line of a step's output, and `##[…]` formatting
 *   commands (https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands). A mobile number
 *   `1\n##vso[task.prependpath]/tmp/evil` would otherwise become a command (Microsoft fixed the same pattern in its own
 *   tasks: microsoft/azure-pipelines-tasks#22386). The second `#` becomes a full-width `＃` (U+FF03): still readable,
 *   never a command.
 * - Control characters (C0, DEL, C1) would let data start new lines, move the cursor or rewrite what a terminal shows
 *   (ESC sequences, CR, BEL). They become visible: C0 and DEL as their Unicode control pictures (U+2400 block), C1 as
 *   `\xNN`.
 * - Line and paragraph separators (U+2028/9), which some log viewers break lines on, and the bidirectional overrides
 *   that can make a line read differently from what it holds ("Trojan Source", CVE-2021-42574), become `\uNNNN`.
 *
 * The result is meant for people: it is not reversible, and reports that keep the data (CSV, JSON) keep it as it is.
 */

// C0 controls, DEL, C1 controls, U+2028/U+2029, bidi embeddings/overrides/isolates, and the `##` of a logging command.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|##(?=vso\[|\[)/gi;

function visible(c: string): string {
  if (c.length === 2) return "#\uff03"; // the `##` of `##vso[` or `##[`
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  if (code <= 0x9f) return `\\x${code.toString(16).padStart(2, "0")}`;
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Text safe to print on one line of a terminal, a log or an Azure Pipelines step (see the file comment). */
export function printable(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * Several lines of our own, each made printable: line breaks between them stay, anything inside a line that could
 * start another one does not.
 */
export function printableLines(lines: readonly string[]): string {
  return lines.map(printable).join("\n");
}
