/**
 * The verdict of a run: one object that the exit code, stdout, every report and the Azure DevOps messages are made
 * from, so they cannot disagree. It is a list of checks — the switch (for `check`), the sync, coverage, and each
 * category the gate counts — and the exit code that follows from them:
 *
 *   1  the switch is not the declared value (judged on its own: the tenant was read);
 *   2  could not judge: data not read, or compared too little (coverage);
 *   3  no directory sync before the timeout (`check`);
 *   1  gaps above the threshold;
 *   0  every check passed.
 *
 * First match wins, in that order. A run never passes on a check it could not make.
 */

import type { SwitchChange } from "../graph/switchAudit";
import { type Authority, LEARN, nextStep } from "./advice";
import { type Coverage, type CoverageThresholds, coverageOf, DEFAULT_COVERAGE } from "./coverage";
import { DEFAULT_THRESHOLDS, evaluateGate, type GateOutcome, type Thresholds } from "./thresholds";
import type { Category, GapResult, GapRow } from "./types";
import { count, num } from "./wording";

export const EXIT = { pass: 0, fail: 1, couldNotRun: 2, syncTimeout: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type CheckStatus = "pass" | "fail" | "inconclusive";

/** One gated check: a JUnit test case, a line in every report. */
export interface VerdictCheck {
  /** `switch`, `sync`, `coverage`, `read`, or `category:<Category>`. */
  id: string;
  name: string;
  status: CheckStatus;
  /** What was seen, one line. */
  summary: string;
  /** What to do, one line (when not passed). */
  fix?: string;
  link?: string;
  /** The first users concerned (category checks). */
  users?: string[];
  /** How many users the check concerns (category checks). */
  usersTotal?: number;
}

export type VerdictStatus = "pass" | "fail" | "inconclusive" | "syncTimeout";

export interface Verdict {
  status: VerdictStatus;
  exitCode: ExitCode;
  /** PASS, FAIL, NOT JUDGED (exit 2), NO SYNC (exit 3). */
  label: string;
  /** Why, one line: the first failing check's summary (and fix), or what passed. */
  reason: string;
  checks: VerdictCheck[];
  /** Who wins for mobile numbers, as far as the run knows (the reports' wording follows it). */
  authority: Authority;
  coverage?: Coverage;
  gate?: GateOutcome;
  /**
   * `check`: the switch's last change in the directory audit log (who and when), or a note saying why it could not be
   * read. Evidence for the reports; it never changes the status.
   */
  audit?: AuditEvidence;
}

export interface AuditEvidence {
  /** The newest change of the switch the log holds, when one was found. */
  lastChange?: SwitchChange;
  /** One line, when there is no lastChange: why (no permission, nothing recorded). */
  note?: string;
}

const LABEL: Record<VerdictStatus, string> = {
  pass: "PASS",
  fail: "FAIL",
  inconclusive: "NOT JUDGED",
  syncTimeout: "NO SYNC",
};

const EXIT_OF: Record<VerdictStatus, ExitCode> = {
  pass: EXIT.pass,
  fail: EXIT.fail,
  inconclusive: EXIT.couldNotRun,
  syncTimeout: EXIT.syncTimeout,
};

/** How many users a failing category check names. */
export const USERS_NAMED = 10;

export interface SwitchState {
  /** The tenant's value (null: the tenant does not say). */
  live: boolean | null;
  expected: boolean;
}

export interface SyncWait {
  synced: boolean;
  since: Date;
  lastSync: Date | null;
  timeoutSeconds: number;
}

export interface JudgeInput {
  result: GapResult;
  thresholds?: Thresholds;
  coverage?: CoverageThresholds;
  /** `check`: the switch as read and as declared. */
  switchState?: SwitchState;
  /** `check`: the wait for a sync (absent with --no-wait or when the switch was wrong). */
  sync?: SyncWait;
  /** `check`: the audit evidence of the switch's last change. */
  audit?: AuditEvidence;
}

function authorityOf(s?: SwitchState): Authority {
  if (!s || s.live === null) return "unknown";
  return s.live ? "onPremises" : "cloud";
}

function firstUsers(rows: readonly GapRow[], category: Category): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.category !== category) continue;
    out.push(r.userPrincipalName);
    if (out.length === USERS_NAMED) break;
  }
  return out;
}

/** The verdict of a run whose data was read (see the file comment for the order). */
export function judge(input: JudgeInput): Verdict {
  const { result } = input;
  const checks: VerdictCheck[] = [];
  const sw = input.switchState;
  const authority = authorityOf(sw);

  if (sw) {
    const ok = sw.live === sw.expected;
    checks.push({
      id: "switch",
      name: `bypassDirSyncOverridesEnabled is ${sw.expected} (declared)`,
      status: ok ? "pass" : "fail",
      summary: `bypassDirSyncOverridesEnabled is ${sw.live} in the tenant, declared ${sw.expected}`,
      ...(ok
        ? {}
        : {
            fix: "run the deploy again (pulumi up --refresh), and look in the directory audit log for a change made outside Pulumi",
            link: LEARN.bypassHowTo,
          }),
    });
  }
  if (input.sync) {
    const s = input.sync;
    checks.push({
      id: "sync",
      name: "a directory sync ran after the deploy",
      status: s.synced ? "pass" : "fail",
      summary: s.synced
        ? `directory sync at ${s.lastSync?.toISOString()} (after ${s.since.toISOString()})`
        : `no directory sync after ${s.since.toISOString()} within ${num(s.timeoutSeconds)} s (last sync: ${s.lastSync?.toISOString() ?? "never"})`,
      ...(s.synced
        ? {}
        : {
            fix: "is Entra Connect running? Start a full sync with Start-ADSyncSyncCycle -PolicyType Initial (Microsoft advises one after changing the switch), or raise --sync-timeout",
            link: LEARN.scheduler,
          }),
    });
  }

  const coverage = coverageOf(result, input.coverage ?? DEFAULT_COVERAGE);
  checks.push({
    id: "coverage",
    name: "enough users compared to judge",
    status: coverage.ok ? "pass" : "inconclusive",
    summary: coverage.ok
      ? coverage.summary
      : `compared too little to judge: ${coverage.problems.join("; ")} (${coverage.summary})`,
    ...(coverage.fix ? { fix: coverage.fix } : {}),
  });

  const gate = evaluateGate(result, input.thresholds ?? DEFAULT_THRESHOLDS);
  // Switch on, a sync seen, and gaps left: the scheduled sync is a Delta, which does not re-apply AD's values to users
  // unchanged in AD since the switch went on; Microsoft says to run an Initial sync (LEARN.bypassHowTo).
  const afterSync = authority === "onPremises" && input.sync?.synced === true;
  for (const c of gate.thresholds.failOn) {
    const n = result.counts[c];
    const failed = gate.passed ? false : n > 0;
    const step = nextStep(c, authority);
    checks.push({
      id: `category:${c}`,
      name: `${c} users within the threshold`,
      status: failed ? "fail" : "pass",
      summary: `${count(n, "user")} ${c}`,
      ...(failed && step
        ? {
            fix:
              afterSync && (c === "MissingInEntra" || c === "ValueMismatch" || c === "CloudOnly" || c === "FormatOnly")
                ? `the switch is on and a sync ran, but Entra Connect's scheduled sync is a Delta, which leaves users unchanged in AD as they were: run Start-ADSyncSyncCycle -PolicyType Initial on the Entra Connect server, then check again. ${step.text}`
                : step.text,
            link: afterSync ? LEARN.scheduler : step.link,
          }
        : {}),
      ...(n > 0 ? { users: firstUsers(result.rows, c), usersTotal: n } : {}),
    });
  }

  const status: VerdictStatus =
    sw && sw.live !== sw.expected
      ? "fail"
      : !coverage.ok
        ? "inconclusive"
        : input.sync && !input.sync.synced
          ? "syncTimeout"
          : gate.passed
            ? "pass"
            : "fail";
  return {
    status,
    exitCode: EXIT_OF[status],
    label: LABEL[status],
    reason: reasonOf(status, checks, gate),
    checks,
    authority,
    coverage,
    gate,
    ...(input.audit ? { audit: input.audit } : {}),
  };
}

function reasonOf(status: VerdictStatus, checks: VerdictCheck[], gate: GateOutcome): string {
  const first = (id: string) => checks.find((c) => c.id === id);
  const withFix = (c?: VerdictCheck) => (c ? `${c.summary}${c.fix ? ` — ${c.fix}` : ""}` : "");
  switch (status) {
    case "pass":
      return gate.summary;
    case "inconclusive":
      return withFix(first("coverage"));
    case "syncTimeout":
      return withFix(first("sync"));
    case "fail": {
      const sw = first("switch");
      if (sw && sw.status === "fail") return withFix(sw);
      const failing = checks.filter((c) => c.id.startsWith("category:") && c.status === "fail");
      const fixes = failing.length === 1 ? ` — ${failing[0]?.fix ?? ""}` : "";
      return `${gate.summary}${fixes}`;
    }
  }
}

/** The verdict of a run that could not read its data: exit 2, with what was wrong and what to do. */
export function couldNotRead(problem: string): Verdict {
  return {
    status: "inconclusive",
    exitCode: EXIT.couldNotRun,
    label: LABEL.inconclusive,
    reason: `could not read the data: ${problem}`,
    checks: [{ id: "read", name: "both directories read in full", status: "inconclusive", summary: problem }],
    authority: "unknown",
  };
}
