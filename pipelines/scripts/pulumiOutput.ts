/**
 * Reads the text output of `pulumi preview` and turns what matters into Azure DevOps logging commands and a
 * Markdown summary, for the pipeline scripts (drift.sh, preview.sh):
 *
 *   tsx pipelines/scripts/pulumiOutput.ts drift  <preview.txt> [--markdown drift.md] [--stack name]
 *   tsx pipelines/scripts/pulumiOutput.ts policy <preview.txt> [--markdown policy.md]
 *
 * drift: each property line of a resource `pulumi preview --refresh --diff` would update (after the refresh the old
 * value is the tenant's, the new one the declaration: `~ bypassDirSyncOverridesEnabled: false => true`) becomes
 * `##vso[task.logissue type=error;]Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true`.
 * policy: each violation in the preview's "Policies:" section becomes an error (mandatory) or a warning (advisory).
 * Both print the number found as the last line (`found N`); the calling script decides the step's result.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export interface DriftItem {
  /** The resource's type and name, e.g. `pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings directory-feature-settings`. */
  resource?: string;
  property: string;
  /** The value in the tenant (refreshed state); undefined when the tenant has no such property. */
  live?: string;
  /** The declared value; undefined when the declaration no longer has the property. */
  declared?: string;
}

export interface PolicyViolation {
  level: "mandatory" | "advisory" | "remediate";
  severity?: string;
  policy: string;
  resource?: string;
  message: string;
}

const RESOURCE_HEADER =
  /^\s*[~+\-±]*\s*([A-Za-z0-9_-]+:[^\s]*):\s+\((create|update|delete|replace|create-replacement|delete-replaced|same|read|refresh|import)\)\s*$/;
const URN = /^\s*\[urn=urn:pulumi:[^:]*::[^:]*::(.+)::([^:\]]+)\]\s*$/;
const PROPERTY = /^\s*([~+-])\s+([A-Za-z_$][A-Za-z0-9_$.\-[\]"]*):\s?(.*)$/;

/** Property changes in the resources part of `pulumi preview --diff` output (outputs are not drift). */
export function parseDrift(text: string): DriftItem[] {
  const items: DriftItem[] = [];
  let resource: string | undefined;
  let inResource = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*--outputs:--\s*$/.test(line) || /^(Outputs|Resources|Diagnostics|Policies):\s*$/.test(line)) {
      inResource = false;
      continue;
    }
    const header = RESOURCE_HEADER.exec(line);
    if (header) {
      // The refresh part shows state → live (the other way round); the update part compares live with declared.
      inResource = !["same", "refresh", "read"].includes(header[2] as string);
      resource = header[1];
      continue;
    }
    const urn = URN.exec(line);
    if (urn) {
      resource = `${urn[1]} ${urn[2]}`;
      continue;
    }
    if (!inResource) continue;
    const m = PROPERTY.exec(line);
    if (!m) continue;
    const [, op, property, rest] = m as unknown as [string, string, string, string];
    if (op === "~") {
      const arrow = rest.indexOf(" => ");
      if (arrow < 0) continue; // a nested object's opening line; its members come on their own lines
      items.push({ resource, property, live: unquote(rest.slice(0, arrow)), declared: unquote(rest.slice(arrow + 4)) });
    } else if (op === "+") {
      items.push({ resource, property, declared: unquote(rest) });
    } else {
      items.push({ resource, property, live: unquote(rest) });
    }
  }
  return items;
}

function unquote(v: string): string {
  const t = v.trim();
  return /^".*"$/.test(t) ? t.slice(1, -1) : t;
}

export function driftMessage(d: DriftItem): string {
  if (d.live === undefined) return `Drift: ${d.property} is not set in the tenant, declared ${d.declared}`;
  if (d.declared === undefined) return `Drift: ${d.property} is ${d.live} in the tenant, no longer declared`;
  return `Drift: ${d.property} is ${d.live} in the tenant, declared ${d.declared}`;
}

/** Violations listed in the "Policies:" section of `pulumi preview --policy-pack` output. */
export function parsePolicyViolations(text: string): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  let inPolicies = false;
  let current: PolicyViolation | undefined;
  let indent = 0;
  for (const line of text.split(/\r?\n/)) {
    if (/^Policies:\s*$/.test(line)) {
      inPolicies = true;
      continue;
    }
    if (!inPolicies) continue;
    if (/^\S/.test(line)) {
      inPolicies = false;
      current = undefined;
      continue;
    }
    // e.g. `- [mandatory]  name  (type: resource)` or `- [advisory] [severity: high]  name  (type: resource)`
    const head =
      /^(\s*)- \[(mandatory|advisory|remediate)\](?:\s+\[severity: (\w+)\])?\s+(\S+)(?:\s+\((.+)\))?\s*$/.exec(line);
    if (head) {
      current = {
        level: head[2] as PolicyViolation["level"],
        ...(head[3] ? { severity: head[3] } : {}),
        policy: head[4] as string,
        resource: head[5],
        message: "",
      };
      indent = (head[1] as string).length;
      out.push(current);
      continue;
    }
    if (current && line.trim() !== "" && line.length - line.trimStart().length > indent) {
      current.message = current.message ? `${current.message} ${line.trim()}` : line.trim();
    } else if (line.trim() === "") {
      current = undefined;
    }
  }
  return out;
}

function escapeData(s: string): string {
  return s.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function logIssue(type: "error" | "warning", message: string): string {
  return `##vso[task.logissue type=${type};]${escapeData(message)}`;
}

const mdCell = (s: string | undefined) => (s ?? "—").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

export function driftMarkdown(items: DriftItem[], stack?: string): string {
  const title = `## Drift${stack ? ` in stack \`${stack}\`` : ""}`;
  if (!items.length) return `${title}\n\nNo drift: the tenant matches the declaration.\n`;
  const rows = items.map(
    (d) => `| \`${mdCell(d.property)}\` | ${mdCell(d.live)} | ${mdCell(d.declared)} | ${mdCell(d.resource)} |`,
  );
  return [
    title,
    "",
    `${items.length} propert${items.length === 1 ? "y differs" : "ies differ"} between the tenant and the stack. ` +
      "Run the main branch's deploy stage (`pulumi up`) to put the declared values back, or change the declaration " +
      "in a pull request if the change in the tenant was intended.",
    "",
    "| Property | In the tenant | Declared | Resource |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

export function policyMarkdown(violations: PolicyViolation[]): string {
  if (!violations.length) return "## Policy pack\n\nNo policy violations.\n";
  return [
    "## Policy pack",
    "",
    "| Level | Policy | Resource | Message |",
    "| --- | --- | --- | --- |",
    ...violations.map((v) => `| ${v.level} | \`${mdCell(v.policy)}\` | ${mdCell(v.resource)} | ${mdCell(v.message)} |`),
    "",
  ].join("\n");
}

function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { markdown: { type: "string" }, stack: { type: "string" } },
  });
  const [mode, file] = positionals;
  if ((mode !== "drift" && mode !== "policy") || !file) {
    process.stderr.write(
      "usage: pulumiOutput.ts drift|policy <preview output file> [--markdown file] [--stack name]\n",
    );
    return 2;
  }
  const text = readFileSync(file, "utf8");
  if (mode === "drift") {
    const items = parseDrift(text);
    for (const d of items) process.stdout.write(`${logIssue("error", driftMessage(d))}\n`);
    if (values.markdown) writeFileSync(values.markdown, driftMarkdown(items, values.stack));
    process.stdout.write(`found ${items.length}\n`);
  } else {
    const violations = parsePolicyViolations(text);
    for (const v of violations) {
      const type = v.level === "advisory" ? "warning" : "error";
      process.stdout.write(
        `${logIssue(type, `Policy ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`)}\n`,
      );
    }
    if (values.markdown) writeFileSync(values.markdown, policyMarkdown(violations));
    process.stdout.write(`found ${violations.length}\n`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
