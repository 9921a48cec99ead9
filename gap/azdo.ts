/**
 * Azure DevOps logging commands (`##vso[area.action property=value;…]message`), written to stdout when syncgap runs
 * on an agent (`TF_BUILD=True`). https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands
 *
 * Escaping follows the agent's own task library (azure-pipelines-task-lib, node/taskcommand.ts): in the message,
 * `%` → `%AZP25`, CR → `%0D`, LF → `%0A`; in property values also `]` → `%5D` and `;` → `%3B`. Without it a
 * message with a line break would end the command early and a `]` or `;` could inject properties. Messages and
 * property values are made printable first (./printable.ts): they often carry directory data.
 */
import { printable } from "./printable";

export function isAzureDevOps(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.TF_BUILD ?? "").toLowerCase() === "true";
}

export function escapeData(s: string): string {
  return s.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/]/g, "%5D").replace(/;/g, "%3B");
}

function command(area: string, props: Record<string, string | undefined>, message: string): string {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${escapeProperty(printable(v as string))};`)
    .join("");
  return `##vso[${area} ${p}]${escapeData(printable(message))}`;
}

export function logIssue(type: "error" | "warning", message: string): string {
  return command("task.logissue", { type }, message);
}

/** Attaches a Markdown file to the build summary (the path must be absolute). */
export function uploadSummary(absPath: string): string {
  return `##vso[task.uploadsummary]${escapeData(absPath)}`;
}

export function complete(result: "Succeeded" | "SucceededWithIssues" | "Failed", message: string): string {
  return command("task.complete", { result }, message);
}
