/**
 * `syncgap audit`: who changed bypassDirSyncOverridesEnabled, and when, from Entra's directory audit log
 * (graph/switchAudit.ts). One line per change, newest first; the nightly drift check puts the first into its
 * message. Evidence, never a verdict: a log it cannot read is one note line and still exit 0.
 */
import type { Command } from "commander";
import { createGraphConnection } from "../graph/client";
import { describeSwitchChange, readSwitchChanges } from "../graph/switchAudit";
import { addGraphConnectionOptions, type CommonOptions, entraSpec, graphClientOptions, UsageError } from "./options";
import { printLines } from "./output";

interface AuditOptions extends CommonOptions {
  since?: string;
  max: string;
}

async function auditCommand(o: AuditOptions): Promise<number> {
  const since = o.since ? new Date(o.since) : undefined;
  if (since && Number.isNaN(since.getTime()))
    throw new UsageError(`--since wants an ISO 8601 date-time, got "${o.since}"`);
  const max = Number(o.max);
  if (!Number.isInteger(max) || max < 1 || max > 999)
    throw new UsageError(`--max wants a whole number 1–999, got "${o.max}"`);
  const entra = entraSpec({ ...o, entraGraph: true }, true);
  if (entra.kind !== "graph") throw new UsageError("audit reads Microsoft Graph");
  const conn = createGraphConnection(entra.connection, graphClientOptions(o));
  const read = await readSwitchChanges(conn.client, { ...(since ? { since } : {}), top: 50 });
  if (!read.ok) printLines([`note: ${read.note}`]);
  else if (!read.changes.length) {
    printLines([
      `no change of bypassDirSyncOverridesEnabled in the directory audit log${since ? ` since ${since.toISOString()}` : ""}`,
    ]);
  } else printLines(read.changes.slice(0, max).map(describeSwitchChange));
  return 0;
}

export function registerAudit(program: Command, run: (fn: () => Promise<number>) => () => Promise<void>): Command {
  const cmd = program
    .command("audit")
    .description(
      "who changed bypassDirSyncOverridesEnabled and when, from the directory audit log (needs AuditLog.Read.All); exit 0, or 2",
    )
    .option("--since <iso>", "only changes at or after this time")
    .option("--max <n>", "lines to print at most", "10");
  addGraphConnectionOptions(cmd).action(function (this: Command) {
    const o = this.opts<AuditOptions>();
    return run(() => auditCommand(o))();
  });
  return cmd;
}
