/**
 * `syncgap check`, the post-deploy gate: the switch against the declared value, the wait for a sync, then the gap,
 * judged together (gap/verdict.ts).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { isAzureDevOps } from "../gap/azdo";
import { declaredBypassFromStack, readBypassFlag, waitForSync } from "../gap/check";
import type { PreviousRun } from "../gap/reports";
import type { EntraSourceSpec, GapResult } from "../gap/types";
import { type AuditEvidence, judge, type SwitchState, type SyncWait } from "../gap/verdict";
import { createGraphConnection } from "../graph/client";
import { readSwitchChanges } from "../graph/switchAudit";
import { analyse, CouldNotRun, finish, progressFor, sourceNames, writeUnreadReports } from "./analysis";
import {
  addCommonOptions,
  adSpec,
  bool,
  type CheckOptions,
  coverageThresholds,
  entraSpec,
  formats,
  graphClientOptions,
  positiveNumber,
  previousRun,
  thresholds,
  UsageError,
} from "./options";
import { printError } from "./output";
import { isInteractive } from "./progress";
import { commandOptions } from "./resolveOptions";

export async function checkCommand(o: CheckOptions): Promise<number> {
  const azdo = isAzureDevOps();
  const started = new Date();
  const since = o.since ? new Date(o.since) : started;
  if (Number.isNaN(since.getTime())) throw new UsageError(`--since wants an ISO 8601 date-time, got "${o.since}"`);
  const th = thresholds(o);
  const cov = coverageThresholds(o);
  const fmts = formats(o, azdo);
  adSpec(o); // options first: fail on a bad command line before touching the tenant
  const entra = entraSpec(o, true) as Extract<EntraSourceSpec, { kind: "graph" }>;
  const progress = progressFor(o);
  const say = (m: string) => (o.quiet ? undefined : printError(`[syncgap] ${m}`));
  const impact = Boolean(o.impact);

  let expected: boolean;
  if (o.expectBypass !== undefined) expected = o.expectBypass;
  else if (o.stack || o.cwd)
    expected = await declaredBypassFromStack({ stack: o.stack, cwd: o.cwd ? resolve(o.cwd) : undefined });
  else
    throw new UsageError(
      "check needs the declared value: --expect-bypass true|false, or --stack/--cwd to read the stack output",
    );

  let switchState: SwitchState;
  let sync: SyncWait | undefined;
  let audit: AuditEvidence | undefined;
  let result: GapResult;
  let previous: PreviousRun | undefined;
  try {
    previous = previousRun(o);
    const conn = createGraphConnection(entra.connection, graphClientOptions(o));
    const live = await readBypassFlag(conn.client);
    switchState = { live, expected };
    // Who set the switch last, and when: evidence for the reports (never a failure; a note without AuditLog.Read.All)
    const read = await readSwitchChanges(conn.client, { top: 50 });
    audit = read.ok
      ? read.changes[0]
        ? { lastChange: read.changes[0] }
        : { note: "the directory audit log holds no change of bypassDirSyncOverridesEnabled" }
      : { note: read.note };
    const flagOk = live === expected;
    say(`bypassDirSyncOverridesEnabled: live ${live}, declared ${expected} — ${flagOk ? "ok" : "WRONG"}`);
    if (flagOk && o.wait) {
      say(
        `waiting for a directory sync after ${since.toISOString()} (timeout ${o.syncTimeout} s, polling every ${o.pollInterval} s)`,
      );
      const waited = await waitForSync(conn.client, {
        since,
        timeoutMs: o.syncTimeout * 1000,
        pollMs: o.pollInterval * 1000,
        onPoll: (p) =>
          say(
            `last sync ${p.lastSync ? p.lastSync.toISOString() : "never"} — waited ${Math.round(p.elapsedMs / 1000)}/${o.syncTimeout} s`,
          ),
      });
      sync = { synced: waited.synced, since, lastSync: waited.lastSync, timeoutSeconds: o.syncTimeout };
      say(waited.synced ? `sync seen at ${waited.lastSync?.toISOString()}` : "no sync before the timeout");
    } else if (!flagOk) {
      say("not waiting for a sync: the switch is wrong, so the numbers cannot converge");
    }
    // The gap is read in every case, so the reports show where the numbers stand whatever the verdict.
    result = await analyse(o, { progress, azdo, interactive: isInteractive() && !o.quiet }, entra, conn);
  } catch (e) {
    throw new CouldNotRun(e, await writeUnreadReports(o, fmts, sourceNames(o, entra), e, impact));
  }
  const verdict = judge({ result, thresholds: th, coverage: cov, switchState, sync, ...(audit ? { audit } : {}) });
  return finish(o, { result, verdict, fmts, impact, previous, gated: true, azdo, label: "syncgap check" });
}

/** `syncgap check` on the command line: the common options plus the gate's own. */
export function registerCheck(program: Command, run: (fn: () => Promise<number>) => () => Promise<void>): void {
  addCommonOptions(
    program
      .command("check")
      .description(
        "post-deploy gate: switch = declared value, wait for the next sync, gap gate; exit 0 pass, 1 fail, 2 could not run, 3 no sync before the timeout",
      ),
  )
    .option("--expect-bypass <bool>", "declared bypassDirSyncOverridesEnabled (true|false)", bool("--expect-bypass"))
    .option("--stack <name>", "read the declared value from this Pulumi stack's output")
    .option("--cwd <dir>", "Pulumi project folder for --stack")
    .option("--since <iso>", "wait for a sync later than this (default: when check starts)")
    .option("--sync-timeout <seconds>", "how long to wait for the sync", positiveNumber("--sync-timeout"), 2400)
    .option("--poll-interval <seconds>", "how often to ask Graph", positiveNumber("--poll-interval"), 30)
    .option("--no-wait", "do not wait for a sync")
    .option("--impact", "also write impact-report.*")
    .action(function (this: Command) {
      return run(() => checkCommand(commandOptions<CheckOptions>(this)))();
    });
}
