/**
 * Who changed the switch, and when: Entra's directory audit log. Every change of the tenant's sync features writes a
 * record "Set DirSync feature" (category DirectoryManagement) naming the initiating user or app
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities), read with
 * `GET /auditLogs/directoryAudits?$filter=activityDisplayName eq 'Set DirSync feature'`
 * (https://learn.microsoft.com/graph/api/directoryaudit-list; needs AuditLog.Read.All and Directory.Read.All).
 *
 * The old and new values sit in `targetResources[].modifiedProperties`, under a property public detection queries call
 * "DirSyncFeatures"; no Learn page names it or the value format. So any modified property whose values mention
 * bypassDirSyncOverridesEnabled is read, as JSON when it parses and by the name otherwise, and a record whose values
 * say nothing about the switch is kept as "features changed" rather than dropped.
 *
 * Evidence, never a verdict: a read that fails (no permission, throttled, an old tenant) gives a note saying what
 * would let syncgap read it, and the caller goes on.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { describeGraphError } from "./errors";
import { SYNCGAP_NEEDS } from "./permissions";

export const SET_DIRSYNC_FEATURE = "Set DirSync feature";
const FEATURE = "bypassDirSyncOverridesEnabled";

export interface SwitchChange {
  /** When Entra recorded it (ISO 8601). */
  at: string;
  /** `user alice@contoso.com` or `app Pipeline (appId …)`. */
  by: string;
  /** The switch before and after, when the record says (undefined: it does not). */
  from?: boolean | null;
  to?: boolean | null;
  /** The audit record's id, to find it in the Entra admin center. */
  recordId: string;
}

export type SwitchAuditRead =
  | { ok: true; changes: SwitchChange[] }
  | {
      ok: false;
      /** One line: that the audit log could not be read, and which permission would let syncgap read it. */
      note: string;
    };

interface AuditRecord {
  id?: string;
  activityDateTime?: string;
  initiatedBy?: {
    user?: { userPrincipalName?: string | null; displayName?: string | null; id?: string | null } | null;
    app?: { displayName?: string | null; appId?: string | null } | null;
  } | null;
  targetResources?: {
    modifiedProperties?: { displayName?: string; oldValue?: string | null; newValue?: string | null }[];
  }[];
}

/** The switch's value in one side of a modified property, or undefined when that side does not say. */
export function switchValueIn(text: string | null | undefined): boolean | null | undefined {
  if (text === null || text === undefined || !text.toLowerCase().includes(FEATURE.toLowerCase())) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    const obj = Array.isArray(parsed) ? parsed[0] : parsed;
    if (obj && typeof obj === "object" && FEATURE in obj) {
      const v = (obj as Record<string, unknown>)[FEATURE];
      return typeof v === "boolean" || v === null ? v : undefined;
    }
  } catch {
    // not JSON: read it by the name below
  }
  const m = new RegExp(`${FEATURE}\\W{0,4}(true|false|null)`, "i").exec(text);
  if (!m) return undefined;
  const word = (m[1] ?? "").toLowerCase();
  return word === "null" ? null : word === "true";
}

function initiator(r: AuditRecord): string {
  const user = r.initiatedBy?.user;
  if (user?.userPrincipalName || user?.displayName) return `user ${user.userPrincipalName ?? user.displayName}`;
  const app = r.initiatedBy?.app;
  if (app?.displayName || app?.appId) {
    return `app ${app.displayName ?? "(unnamed)"}${app.appId ? ` (appId ${app.appId})` : ""}`;
  }
  return "an initiator the record does not name";
}

/** Reads one record into a SwitchChange; undefined when it changed other features but not the switch. */
export function switchChangeOf(r: AuditRecord): SwitchChange | undefined {
  let from: boolean | null | undefined;
  let to: boolean | null | undefined;
  let mentioned = false;
  for (const t of r.targetResources ?? []) {
    for (const p of t.modifiedProperties ?? []) {
      const before = switchValueIn(p.oldValue);
      const after = switchValueIn(p.newValue);
      if (before !== undefined || after !== undefined) mentioned = true;
      if (before !== undefined) from = before;
      if (after !== undefined) to = after;
    }
  }
  if (mentioned && from !== undefined && to !== undefined && from === to) return undefined;
  return {
    at: r.activityDateTime ?? "(no time)",
    by: initiator(r),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    recordId: r.id ?? "(no id)",
  };
}

/** One line for people: `true → false at 2026-12-02T01:00:00Z by user eve@contoso.com (audit record …)`. */
export function describeSwitchChange(c: SwitchChange): string {
  const values = c.from !== undefined || c.to !== undefined ? `${String(c.from ?? "?")} → ${String(c.to ?? "?")} ` : "";
  return `${FEATURE} ${values}changed at ${c.at} by ${c.by} (directory audit record ${c.recordId})`;
}

/**
 * The switch's changes since `since` (or the last 50), newest first. Never throws for the audit log itself: a read
 * that fails is a note.
 */
export async function readSwitchChanges(
  client: Client,
  opts: { since?: Date; top?: number } = {},
): Promise<SwitchAuditRead> {
  const filter = [
    `activityDisplayName eq '${SET_DIRSYNC_FEATURE}'`,
    ...(opts.since ? [`activityDateTime ge ${opts.since.toISOString()}`] : []),
  ].join(" and ");
  let body: { value?: AuditRecord[] };
  try {
    body = (await client
      .api("/auditLogs/directoryAudits")
      .query({ $filter: filter, $orderby: "activityDateTime desc", $top: String(opts.top ?? 50) })
      .get()) as { value?: AuditRecord[] };
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    const why =
      status === 403 || status === 401
        ? "the identity may not read it"
        : describeGraphError("GET /auditLogs/directoryAudits", e).message;
    return {
      ok: false,
      note:
        `could not read the directory audit log to say who changed ${FEATURE} (${why}): ` +
        `${SYNCGAP_NEEDS.auditRead.hint} would let syncgap name them (${SYNCGAP_NEEDS.auditRead.doc})`,
    };
  }
  const changes: SwitchChange[] = [];
  for (const r of body?.value ?? []) {
    const c = switchChangeOf(r);
    if (c) changes.push(c);
  }
  return { ok: true, changes };
}
