/**
 * What the command writes to stdout and stderr. Every line passes through `printable` (gap/printable.ts): the lines
 * carry directory data (UPNs, numbers, DNs, error messages that quote them), and on an Azure Pipelines agent a line
 * holding `##vso[` is a command. Azure DevOps logging commands of syncgap's own are built by gap/azdo.ts, which makes
 * their contents printable in turn, and are written as they are.
 */
import { printable } from "../gap/printable";

/** Lines for people on stdout (the summary, the impact list). */
export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.map(printable).join("\n")}\n`);
}

/** A message on stderr (progress notes, warnings, the could-not-run line). */
export function printError(line: string): void {
  process.stderr.write(`${printable(line)}\n`);
}

/** syncgap's own Azure DevOps logging commands (from gap/azdo.ts), one per line. */
export function printCommands(commands: readonly string[]): void {
  if (commands.length) process.stdout.write(`${commands.join("\n")}\n`);
}
