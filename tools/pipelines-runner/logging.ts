/**
 * Azure DevOps logging commands in a step's output: `##vso[area.action key=value;key=value]message`.
 * https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands
 *
 * Unescaping follows the agent's task library (azure-pipelines-task-lib, taskcommand.ts): in the message
 * `%AZP25` → `%`, `%0D` → CR, `%0A` → LF; in property values also `%5D` → `]` and `%3B` → `;`.
 * gap/azdo.ts writes them the same way.
 */

export interface LoggingCommand {
  /** e.g. `task.logissue`. */
  command: string;
  properties: Record<string, string>;
  message: string;
}

const PREFIX = "##vso[";

function unescapeData(s: string): string {
  return s
    .replace(/%0D/gi, "\r")
    .replace(/%0A/gi, "\n")
    .replace(/%AZP25/gi, "%");
}

function unescapeProperty(s: string): string {
  return unescapeData(s.replace(/%5D/gi, "]").replace(/%3B/gi, ";"));
}

/** Parses one output line; undefined when it carries no logging command. */
export function parseLoggingCommand(line: string): LoggingCommand | undefined {
  const at = line.indexOf(PREFIX);
  if (at < 0) return undefined;
  const rest = line.slice(at + PREFIX.length);
  const close = rest.indexOf("]");
  if (close < 0) return undefined;
  const head = rest.slice(0, close);
  const message = unescapeData(rest.slice(close + 1).replace(/\r?\n$/, ""));
  const space = head.indexOf(" ");
  const command = (space < 0 ? head : head.slice(0, space)).trim().toLowerCase();
  if (!/^[a-z]+\.[a-z]+$/.test(command)) return undefined;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const part of head.slice(space + 1).split(";")) {
      const eq = part.indexOf("=");
      if (eq <= 0) continue;
      properties[part.slice(0, eq).trim().toLowerCase()] = unescapeProperty(part.slice(eq + 1).trim());
    }
  }
  return { command, properties, message };
}

/** Replaces every secret value in text with `***`, as the agent does in logs. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].filter((x) => x.trim() !== "").sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("***");
  }
  return out;
}
