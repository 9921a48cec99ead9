/**
 * Reads a step's output as an Azure Pipelines agent would, to find every logging command in it: the agent acts on
 * `##vso[area.action …]` wherever it stands in a line, and shows `##[group]`, `##[error]` and the like as formatting
 * commands (https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands). This parser is stricter than
 * the agent: case-insensitive, every occurrence in a line, and lines broken at CR, LF, U+2028 and U+2029.
 */

export interface FoundCommand {
  /** `vso` for `##vso[…]`, `format` for `##[…]`. */
  kind: "vso" | "format";
  /** e.g. `task.logissue`, or `group` for a formatting command. */
  command: string;
  /** The whole line the command stands in. */
  line: string;
}

const COMMAND = /##(vso)?\[([^\]\s;]*)/gi;

export function findLoggingCommands(output: string): FoundCommand[] {
  const found: FoundCommand[] = [];
  for (const line of output.split(/\r\n|[\r\n\u2028\u2029]/)) {
    for (const m of line.matchAll(COMMAND)) {
      found.push({ kind: m[1] ? "vso" : "format", command: (m[2] ?? "").toLowerCase(), line });
    }
  }
  return found;
}

/** Characters a terminal or log viewer would act on (C0 but LF, DEL, C1, bidi controls, line separators). */
export const CONTROL_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
