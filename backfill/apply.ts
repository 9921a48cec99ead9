/**
 * apply: the plan's writes into AD `mobile`, and the engine undo shares.
 *
 * For each user decided `cloud` or `normalise` (nothing else is written):
 *   1. read the user by objectGUID: AD already holds the planned value → "already applied" (re-running a plan is a
 *      no-op); AD holds something other than what the plan saw → skipped and listed, never overwritten;
 *   2. before the first write, the undo file (the prior values as guarded `ldapmodify` records) is written and
 *      fsync'd, so even a process killed mid-way leaves the way back;
 *   3. one guarded modify per user (changes.ts): the DC refuses it when the value changed between the read and the
 *      write, and the user is skipped and listed.
 * Exit codes: 0 everything written (or nothing to do), 1 some users skipped (still to review, or changed underneath),
 * 2 could not read or write — the report then says who was written before it stopped, who failed and who was not
 * attempted. Every run writes that report (`--dry-run` writes nothing, not even the report).
 */
import { dirname, join } from "node:path";
import { createFileDurably, writeFileDurably } from "../gap/privateFiles";
import { TOOL } from "../gap/version";
import { type GuardedChange, inverse } from "./changes";
import { BackfillError } from "./errors";
import { type AdWriter, type AdWriteTarget, AdWriter as Writer } from "./ldap";
import { changeFile } from "./ldif";
import {
  APPLY_REPORT,
  type BackfillPlan,
  type OutcomeStatus,
  type RunReport,
  targetValue,
  UNDO_LDIF,
  UNDO_REPORT,
  type UserOutcome,
} from "./types";

export interface RunOptions {
  dryRun?: boolean;
  /** Where the way back goes (apply: the undo file; undo: the redo file). A file already there is never replaced. */
  backPath?: string;
  reportPath?: string;
  env?: NodeJS.ProcessEnv;
  /** A connected writer to use (tests); else one is opened from the target. */
  writer?: AdWriter;
}

export interface RunResult {
  report: RunReport;
  reportPath?: string;
  /** The undo (apply) or redo (undo) file written before the first write. */
  backFile?: string;
  /** --dry-run: the LDIF of the modifies that would be sent. */
  dryRunLdif?: string;
}

interface Item {
  change: GuardedChange;
  outcome: UserOutcome;
}

const counts0 = (): Record<OutcomeStatus, number> => ({
  applied: 0,
  alreadyApplied: 0,
  skipped: 0,
  failed: 0,
  notAttempted: 0,
});

/**
 * Runs guarded changes: read, sort out, write the way back, write. `pre` are outcomes decided before (rows still to
 * review). Never throws for what happens in AD: the report says it (exit 2 for a stop).
 */
export async function runGuardedChanges(input: {
  kind: "apply" | "undo";
  changes: GuardedChange[];
  pre: UserOutcome[];
  extra: { review: number; keepAd: number };
  source: { path: string; sha256: string };
  target: AdWriteTarget;
  backHeader: string[];
  options: RunOptions;
}): Promise<RunResult> {
  const { kind, options } = input;
  const startedAt = new Date().toISOString();
  const items: Item[] = input.changes.map((change) => ({
    change,
    outcome: {
      userPrincipalName: change.userPrincipalName,
      objectGuid: change.objectGuid,
      distinguishedName: change.dn,
      status: "notAttempted",
      from: change.from,
      to: change.to,
    },
  }));
  let error: string | undefined;
  let backFile: string | undefined;
  let dryRunLdif: string | undefined;
  const toWrite: Item[] = [];

  if (items.length) {
    let writer: AdWriter | undefined = options.writer;
    try {
      writer ??= await Writer.open(input.target, options.env);
      // 1. what AD holds now
      for (const it of items) {
        const now = await writer.readByGuid(it.change.objectGuid);
        if (!now) {
          Object.assign(it.outcome, { status: "skipped", reason: "no object has this objectGUID any more" });
          continue;
        }
        it.outcome.found = now.mobile;
        if (now.mobile === it.change.to) {
          Object.assign(it.outcome, {
            status: "alreadyApplied",
            reason: kind === "apply" ? "AD already holds the planned value" : "AD already holds the prior value",
          });
        } else if (now.mobile !== it.change.from) {
          Object.assign(it.outcome, {
            status: "skipped",
            reason:
              kind === "apply"
                ? "AD's mobile changed since the plan was made: not overwritten"
                : "AD's mobile changed since apply wrote it: not overwritten",
          });
        } else {
          if (now.dn !== it.change.dn) {
            it.outcome.reason = `moved or renamed since: written at ${now.dn}`;
            it.change = { ...it.change, dn: now.dn };
            it.outcome.distinguishedName = now.dn;
          }
          toWrite.push(it);
        }
      }
      if (options.dryRun) {
        for (const it of toWrite) it.outcome.reason = "dry run: would be written";
        dryRunLdif = changeFile(
          [`syncgap backfill ${kind} --dry-run: the modifies that would be sent (nothing was written)`],
          toWrite.map((it) => it.change),
        );
      } else if (toWrite.length) {
        // 2. the way back, durably, before the first write
        const back = changeFile(
          input.backHeader,
          toWrite.map((it) => inverse(it.change)),
        );
        try {
          backFile = await createFileDurably(options.backPath ?? defaultBackPath(input.source.path, kind), back);
        } catch (e) {
          throw new BackfillError(
            "BACKFILL_FILE",
            `cannot write the ${kind === "apply" ? "undo" : "redo"} file: ${(e as Error).message}`,
            "nothing was written to AD; fix the folder and run again",
          );
        }
        // 3. the writes
        for (const it of toWrite) {
          try {
            const r = await writer.modify(it.change);
            if (r.ok) it.outcome.status = "applied";
            else
              Object.assign(it.outcome, {
                status: "skipped",
                reason:
                  r.kind === "gone"
                    ? `the user is gone or was moved just now (LDAP ${r.ldapCode})`
                    : `AD's mobile changed just before the write: the DC refused it (LDAP ${r.ldapCode}), nothing was overwritten`,
              });
          } catch (e) {
            Object.assign(it.outcome, { status: "failed", reason: (e as Error).message });
            throw e;
          }
        }
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      if (writer && writer !== options.writer) await writer.close();
    }
  }

  const users = [...input.pre, ...items.map((it) => it.outcome)];
  const counts = { ...counts0(), ...input.extra };
  for (const u of users) counts[u.status]++;
  const exitCode: 0 | 1 | 2 = error ? 2 : counts.skipped > 0 ? 1 : 0;
  const report: RunReport = {
    kind,
    tool: { ...TOOL },
    startedAt,
    finishedAt: new Date().toISOString(),
    source: input.source,
    dryRun: Boolean(options.dryRun),
    ...(backFile ? { undoFile: backFile } : {}),
    exitCode,
    ...(error ? { error } : {}),
    counts,
    users,
  };
  if (options.dryRun) return { report, ...(dryRunLdif !== undefined ? { dryRunLdif } : {}) };
  const reportPath =
    options.reportPath ?? join(dirname(input.source.path), kind === "apply" ? APPLY_REPORT : UNDO_REPORT);
  try {
    await writeFileDurably(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (e) {
    report.exitCode = 2;
    report.error = `${report.error ? `${report.error}; ` : ""}the report could not be written to ${reportPath}: ${(e as Error).message}`;
    return { report, ...(backFile ? { backFile } : {}) };
  }
  return { report, reportPath, ...(backFile ? { backFile } : {}) };
}

function defaultBackPath(sourcePath: string, kind: "apply" | "undo"): string {
  return join(dirname(sourcePath), kind === "apply" ? UNDO_LDIF : "backfill-redo.ldif");
}

/** The writes of a plan (rows decided cloud/normalise), and the rows still to review as skipped outcomes. */
export function planChanges(plan: BackfillPlan): {
  changes: GuardedChange[];
  pre: UserOutcome[];
  extra: { review: number; keepAd: number };
} {
  const changes: GuardedChange[] = [];
  const pre: UserOutcome[] = [];
  let review = 0;
  let keepAd = 0;
  for (const row of plan.rows) {
    const to = targetValue(row);
    if (to !== undefined) {
      changes.push({
        dn: row.distinguishedName,
        objectGuid: row.objectGuid,
        userPrincipalName: row.userPrincipalName,
        from: row.adMobile,
        to,
      });
    } else if (row.decision === "review") {
      review++;
      pre.push({
        userPrincipalName: row.userPrincipalName,
        objectGuid: row.objectGuid,
        distinguishedName: row.distinguishedName,
        status: "skipped",
        from: row.adMobile,
        to: null,
        reason: row.problem
          ? `to review: ${row.problem}`
          : "decision review: nothing is written until someone decides cloud or ad",
      });
    } else keepAd++;
  }
  return { changes, pre, extra: { review, keepAd } };
}

/** apply --plan: see the file comment. */
export async function applyPlan(
  plan: BackfillPlan,
  source: { path: string; sha256: string },
  target: AdWriteTarget,
  options: RunOptions = {},
): Promise<RunResult> {
  const { changes, pre, extra } = planChanges(plan);
  return runGuardedChanges({
    kind: "apply",
    changes,
    pre,
    extra,
    source,
    target,
    backHeader: [
      `syncgap backfill undo file: puts back the AD mobile values found before apply (plan sha256 ${source.sha256})`,
      "Each record deletes the value apply wrote and adds the prior one: the DC refuses a record whose user's value",
      "changed since (LDAP 16 noSuchAttribute / 20 attributeOrValueExists). Run: syncgap backfill undo --file THIS,",
      "or ldapmodify -c -H ldaps://DC -D BIND -W -f THIS",
    ],
    options,
  });
}
