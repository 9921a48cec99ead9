/**
 * The text parser the pipelines used before issue 19 (pipelines/scripts/pulumiOutput.ts, regexes over the CLI's
 * human-readable preview), kept only as the reference the event-based reader (pipelines/scripts/pulumiEvents.ts)
 * is compared with in test/pipelines/pulumiEvents.test.ts: same stacks, same messages. Nothing in the pipelines
 * uses it.
 */

import type { DriftItem, PolicyViolation } from "../../../pipelines/scripts/pulumiEvents";

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
