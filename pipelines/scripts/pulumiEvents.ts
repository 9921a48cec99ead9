/**
 * Reads Pulumi's structured results, never its human-readable text, and turns what matters into Azure DevOps
 * logging commands and Markdown, for the pipeline scripts:
 *
 *   tsx pipelines/scripts/pulumiEvents.ts drift   <events.jsonl> [--markdown drift.md] [--stack name]   (drift.sh)
 *   tsx pipelines/scripts/pulumiEvents.ts policy  <events.jsonl> [--markdown policy.md]                 (preview.sh)
 *   tsx pipelines/scripts/pulumiEvents.ts changes <events.jsonl>                                        (preview.sh)
 *   tsx pipelines/scripts/pulumiEvents.ts last-update <history.json>                                    (gate.sh)
 *   tsx pipelines/scripts/pulumiEvents.ts outputs-check <outputs.json>                                  (deploy.sh)
 *
 * Why these sources:
 *   - `pulumi preview --event-log FILE` writes the engine's events as JSON lines (apitype.EngineEvent: one of
 *     `resourcePreEvent`, `policyEvent`, `summaryEvent`, …), the same stream the Automation API reads for
 *     `stack.preview({ onEvent })` (@pulumi/pulumi/automation stack.js passes `--event-log` and sets
 *     PULUMI_DEBUG_COMMANDS=true, which the pinned CLI requires before it accepts the flag: pkg/cmd/pulumi/operations/
 *     preview.go registers `--event-log` only when env.DebugCommands is set). The CLI's text display changes
 *     between versions and is not an interface; the events are (sdk/go/common/apitype/events.go).
 *   - `pulumi preview --json` is no substitute: it drops policy events (pulumi/pulumi#18851, open).
 *   - The Automation API itself would fit a long-running Node program, but the pipelines are bash steps that run
 *     the CLI (its exit code 7 for drift, `tee` of its output into the artifact); the event log gives the same data
 *     without moving the CLI call into Node. Outputs and history come from the CLI's JSON output
 *     (`pulumi stack output --json`, `pulumi stack history --json`), which is what `stack.outputs()` and
 *     `stack.history()` run too.
 * drift: per resource step of the preview that is not `same`/`refresh`/`read`, each changed property becomes
 * `##vso[task.logissue type=error;]Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true`.
 * After `--refresh` the step's `old` state is the tenant's (syncgap's provider `read` keeps `inputs` in step with
 * it) and `new` is the declaration. The properties come from `detailedDiff` when the provider gave one, else from
 * `diffs`, else — dynamic providers report only "changes" (the protocol has no detailed diff) — from comparing old
 * and new inputs, which is what the CLI's own display does.
 * policy: each `policyEvent` becomes an error (mandatory) or a warning (advisory).
 * drift and policy print the number found as the last line (`found N`); the calling script decides the result.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
// syncgap's one builder of logging commands: messages made printable (policy messages quote directory data)
import { logIssue } from "../../gap/azdo";

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
  /** `<type>: <name>` of the resource, as the CLI names it; undefined for a stack policy. */
  resource?: string;
  message: string;
  pack?: string;
  /** Policy exceptions that matched (the violation then does not fail the preview). */
  exceptions?: string[];
}

/** The subset of apitype.EngineEvent this module reads. */
export interface EngineEvent {
  sequence?: number;
  resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
  policyEvent?: {
    resourceUrn?: string;
    message: string;
    policyName: string;
    policyPackName?: string;
    enforcementLevel: string;
    severity?: string;
    exceptions?: { id: string; reason?: string }[];
  };
  summaryEvent?: { resourceChanges?: Record<string, number>; result?: string; isPreview?: boolean };
  [other: string]: unknown;
}

interface StepState {
  type?: string;
  urn?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: StepState | null;
  new?: StepState | null;
  diffs?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
}

/** Parses an event log (JSON lines). A line that is not JSON is an error: a truncated log must not pass as clean. */
export function parseEventLog(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch (e) {
      throw new Error(`event log line ${i + 1} is not JSON (${(e as Error).message}): ${line.slice(0, 80)}`);
    }
  });
  return events;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → { type, name } (the type may hold `$`-joined parents). */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts.length >= 4 ? (parts.slice(3).join("::") as string) : urn;
  const qualified = parts[2] ?? "";
  const type = qualified.split("$").pop() ?? qualified;
  return { type, name };
}

const NOT_DRIFT_OPS = new Set(["same", "refresh", "read", "discard", "remove-pending-replace"]);

function isDisplayedResource(m: StepMetadata): boolean {
  if (m.type === "pulumi:pulumi:Stack") return false; // its outputs are not drift
  // Default providers are hidden in the CLI's display too; their config is not what the tenant holds.
  if (m.type.startsWith("pulumi:providers:") && urnParts(m.urn).name.startsWith("default")) return false;
  return true;
}

function render(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Flattens nested objects into dotted paths (`a.b`), arrays into `a[0]`; skips Pulumi's own `__` keys. */
function flatten(v: unknown, prefix = "", out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (!prefix && k.startsWith("__")) continue;
      flatten(child, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (Array.isArray(v)) {
    v.forEach((child, i) => {
      flatten(child, `${prefix}[${i}]`, out);
    });
  } else if (prefix) {
    out.set(prefix, v);
  }
  return out;
}

function valueAt(obj: Record<string, unknown> | undefined, path: string): unknown {
  if (!obj) return undefined;
  const flat = flatten(obj);
  if (flat.has(path)) return flat.get(path);
  const top = obj[path];
  return top === undefined ? undefined : top;
}

/** Drifted properties, from the resource steps of a `pulumi preview --refresh` event log. */
export function driftFromEvents(events: EngineEvent[]): DriftItem[] {
  const items: DriftItem[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || NOT_DRIFT_OPS.has(m.op) || !isDisplayedResource(m)) continue;
    const key = `${m.op} ${m.urn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { type, name } = urnParts(m.urn);
    const resource = `${type} ${name}`;
    const oldIn = m.old?.inputs ?? undefined;
    const newIn = m.new?.inputs ?? undefined;
    if (m.detailedDiff && Object.keys(m.detailedDiff).length) {
      for (const [property, d] of Object.entries(m.detailedDiff)) {
        const from = d.inputDiff === false ? m.old?.outputs : oldIn;
        const live = d.kind.startsWith("add") ? undefined : valueAt(from, property);
        const declared = d.kind.startsWith("delete") ? undefined : valueAt(newIn, property);
        items.push(item(resource, property, live, declared));
      }
      continue;
    }
    const oldFlat = flatten(oldIn ?? {});
    const newFlat = flatten(newIn ?? {});
    const names = m.diffs?.length
      ? [...oldFlat.keys(), ...newFlat.keys()].filter((p) => m.diffs?.some((d) => p === d || p.startsWith(`${d}.`)))
      : [...new Set([...oldFlat.keys(), ...newFlat.keys()])];
    // Sorted, as the CLI lists them.
    for (const property of [...new Set(names)].sort()) {
      const live = oldFlat.get(property);
      const declared = newFlat.get(property);
      if (m.op !== "create" && m.op !== "delete" && JSON.stringify(live) === JSON.stringify(declared)) continue;
      items.push(
        item(resource, property, m.op === "create" ? undefined : live, m.op === "delete" ? undefined : declared),
      );
    }
  }
  return items;
}

function item(resource: string, property: string, live: unknown, declared: unknown): DriftItem {
  return {
    resource,
    property,
    ...(live === undefined ? {} : { live: render(live) }),
    ...(declared === undefined ? {} : { declared: render(declared) }),
  };
}

export function driftMessage(d: DriftItem): string {
  if (d.live === undefined) return `Drift: ${d.property} is not set in the tenant, declared ${d.declared}`;
  if (d.declared === undefined) return `Drift: ${d.property} is ${d.live} in the tenant, no longer declared`;
  return `Drift: ${d.property} is ${d.live} in the tenant, declared ${d.declared}`;
}

const LEVELS: Record<string, PolicyViolation["level"]> = {
  mandatory: "mandatory",
  advisory: "advisory",
  warning: "advisory", // apitype.PolicyEvent documents "warning" for advisory
  remediate: "remediate",
};

/** Policy violations, from the `policyEvent`s of a `pulumi preview --policy-pack` event log. */
export function policyFromEvents(events: EngineEvent[]): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const e of events) {
    const p = e.policyEvent;
    if (!p) continue;
    const level = LEVELS[p.enforcementLevel];
    if (!level) continue; // "none": disabled
    let resource: string | undefined;
    if (p.resourceUrn) {
      const { type, name } = urnParts(p.resourceUrn);
      resource = `${type}: ${name}`;
    }
    out.push({
      level,
      ...(p.severity ? { severity: p.severity } : {}),
      policy: p.policyName,
      resource,
      // The CLI prints the message's lines indented under the policy; they are one message.
      message: p.message
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
        .join(" "),
      ...(p.policyPackName ? { pack: p.policyPackName } : {}),
      ...(p.exceptions?.length ? { exceptions: p.exceptions.map((x) => x.id) } : {}),
    });
  }
  return out;
}

/** The resource changes the preview counted (summaryEvent.resourceChanges), e.g. `{ same: 1, update: 1 }`. */
export function changesFromEvents(events: EngineEvent[]): Record<string, number> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const s = events[i]?.summaryEvent;
    if (s) return s.resourceChanges ?? {};
  }
  return undefined;
}

export function policyIssue(v: PolicyViolation): { type: "error" | "warning"; message: string } {
  const type = v.level === "advisory" || v.exceptions?.length ? "warning" : "error";
  const excepted = v.exceptions?.length ? ` (excepted: ${v.exceptions.join(", ")})` : "";
  return { type, message: `Policy ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}${excepted}` };
}

/** `pulumi stack history --json`: the end of the last successful update, or undefined. */
export function lastSuccessfulUpdate(history: unknown): string | undefined {
  if (!Array.isArray(history)) throw new Error("pulumi stack history --json did not return a list");
  const u = history.find(
    (e) => e && typeof e === "object" && (e as { kind?: string }).kind === "update" && e.result === "succeeded",
  ) as { endTime?: string } | undefined;
  return typeof u?.endTime === "string" ? u.endTime : undefined;
}

/** After `pulumi up`: the tenant (lastSeen…) holds the declared value. */
export function outputsVerdict(outputs: unknown): { ok: true; value: boolean } | { ok: false; detail: string } {
  const o = (outputs ?? {}) as Record<string, unknown>;
  const d = o.declaredBypassDirSyncOverridesEnabled;
  const l = o.lastSeenBypassDirSyncOverridesEnabled;
  if (typeof d === "boolean" && d === l) return { ok: true, value: d };
  return { ok: false, detail: `declared ${d}, the tenant holds ${l}` };
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

export function changesMarkdown(changes: Record<string, number> | undefined): string {
  if (!changes) return "The preview did not finish: no resource changes were counted.\n";
  const parts = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${n} ${op === "same" ? "unchanged" : `to ${op}`}`);
  return `Resources: ${parts.length ? parts.join(", ") : "none"}\n`;
}

const USAGE =
  "usage: pulumiEvents.ts drift|policy|changes <event log> [--markdown file] [--stack name] [--evidence text]\n" +
  "       pulumiEvents.ts last-update <stack history --json file>\n" +
  "       pulumiEvents.ts outputs-check <stack output --json file>\n";

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { markdown: { type: "string" }, stack: { type: "string" }, evidence: { type: "string" } },
  });
  const [mode, file] = positionals;
  if (!file || !["drift", "policy", "changes", "last-update", "outputs-check"].includes(mode ?? "")) {
    process.stderr.write(USAGE);
    return 2;
  }
  const text = readFileSync(file, "utf8");
  if (mode === "last-update") {
    const since = lastSuccessfulUpdate(JSON.parse(text));
    if (since) out(`${since}\n`);
    return since ? 0 : 1;
  }
  if (mode === "outputs-check") {
    const v = outputsVerdict(JSON.parse(text));
    out(v.ok ? `ok ${v.value}\n` : `${v.detail}\n`);
    return v.ok ? 0 : 1;
  }
  const events = parseEventLog(text);
  if (mode === "drift") {
    const items = driftFromEvents(events);
    // --evidence: who changed the switch and when, from the directory audit log (`syncgap audit`), or why it is unknown
    const evidence = values.evidence?.trim();
    for (const d of items) {
      const withEvidence = evidence && d.property === "bypassDirSyncOverridesEnabled" ? ` — ${evidence}` : "";
      out(`${logIssue("error", `${driftMessage(d)}${withEvidence}`)}\n`);
    }
    if (values.markdown) {
      writeFileSync(
        values.markdown,
        `${driftMarkdown(items, values.stack)}${evidence ? `\nAudit evidence: ${mdCell(evidence)}\n` : ""}`,
      );
    }
    out(`found ${items.length}\n`);
  } else if (mode === "policy") {
    const violations = policyFromEvents(events);
    for (const v of violations) {
      const { type, message } = policyIssue(v);
      out(`${logIssue(type, message)}\n`);
    }
    if (values.markdown) writeFileSync(values.markdown, policyMarkdown(violations));
    out(`found ${violations.length}\n`);
  } else {
    out(changesMarkdown(changesFromEvents(events)));
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`pulumiEvents.ts: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
