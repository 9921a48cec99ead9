/**
 * The `syncgap` command (bin/syncgap runs the bundle built from this file; tests may run it with tsx).
 *
 *   syncgap gap     mobile-number gap analysis, on-prem AD vs Entra ID, with reports and a threshold gate
 *   syncgap impact  what turning AD authority on would overwrite (same inputs; reports only)
 *   syncgap check   post-deploy gate: live switch = declared value, wait for the next sync, then the gap gate
 *
 * Exit codes come from the run's verdict (gap/verdict.ts), which every report carries too: 0 pass · 1 gaps above the
 * threshold (or, for check, the switch differs from the declared value) · 2 could not judge (bad options, unreadable
 * or partial input, or too little compared: never reported as zero gaps) · 3 (check) no sync happened before
 * --sync-timeout. Any error, even one syncgap did not foresee, ends in exit 2 with one line on stderr. Secrets come
 * only from the environment (SYNCGAP_AD_PASSWORD, AZURE_CLIENT_SECRET, …), never from flags, and never appear in
 * output or reports. Everything printed passes through gap/printable.ts (cli/output.ts). See docs/gap-analysis.md.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { adSourceName } from "../gap/adSources";
import { complete, isAzureDevOps, logIssue, uploadSummary } from "../gap/azdo";
import { declaredBypassFromStack, readBypassFlag, waitForSync } from "../gap/check";
import { errorText, GapInputError } from "../gap/errors";
import { impactOf } from "../gap/impact";
import { type BodyCache, type ReportFormat, writeReports } from "../gap/reports";
import { runGapAnalysis } from "../gap/run";
import { CATEGORIES, type EntraSourceSpec, type GapResult, type GapRunSpec } from "../gap/types";
import { unreadResult } from "../gap/unread";
import { couldNotRead, EXIT, judge, type SwitchState, type SyncWait, type Verdict } from "../gap/verdict";
import { TOOL } from "../gap/version";
import { count, num } from "../gap/wording";
import { createGraphConnection, type GraphConnection } from "../providers/graphClient";
import {
  addCommonOptions,
  adSpec,
  bool,
  type CheckOptions,
  type CommonOptions,
  coverageThresholds,
  entraSpec,
  formats,
  graphClientOptions,
  positiveNumber,
  thresholds,
  UsageError,
} from "./options";
import { printCommands, printError, printLines } from "./output";
import { createProgress, isInteractive, type Progress } from "./progress";

/** stdout lines: what a person (or a pipeline log) reads. */
function printSummary(result: GapResult, verdict: Verdict, files: Record<string, string>, gated: boolean): void {
  const t = result.totals;
  const out: string[] = [];
  out.push(
    `syncgap ${TOOL.version}: ${count(t.adUsers, "AD user")}, ${count(t.entraUsers, "synced Entra ID user")}, ${num(t.matched)} matched, ${num(t.outOfSync)} out of sync`,
  );
  for (const c of CATEGORIES) out.push(`  ${c.padEnd(15)} ${num(result.counts[c]).padStart(9)}`);
  const imp = impactOf(result);
  const figures = `${count(imp.cloudNumbersLost, "cloud-entered number")} (${num(imp.overwrites)} replaced, ${num(imp.clears)} cleared; ${num(imp.formatRewrites)} format rewrites)`;
  out.push(
    verdict.authority === "onPremises"
      ? `  AD is authoritative: the next Initial sync overwrites ${figures}`
      : `  AD authority would overwrite ${figures}`,
  );
  out.push(`  note: ${result.otherMobileNote}`);
  for (const n of result.notes) out.push(`  note: ${n}`);
  if (verdict.coverage) out.push(`  coverage: ${verdict.coverage.summary}`);
  if (gated || verdict.status !== "pass") out.push(`${verdict.label}: ${verdict.reason}`);
  for (const c of verdict.checks) {
    if (c.status !== "pass" && c.fix && !verdict.reason.includes(c.fix))
      out.push(`  ${c.name}: ${c.summary} — ${c.fix}`);
  }
  const paths = Object.values(files);
  if (paths.length) out.push(`reports: ${paths.join(", ")}`);
  printLines(out);
}

/** Impact mode on stdout: the users whose cloud-entered number AD authority would overwrite (first 20). */
function printImpact(result: GapResult, max = 20): void {
  const imp = impactOf(result);
  const lines = [
    `impact of bypassDirSyncOverridesEnabled = true: ${count(imp.cloudNumbersLost, "cloud-entered number")} overwritten`,
  ];
  for (const r of imp.rows.slice(0, max)) {
    const after = r.change === "clear" ? "(cleared)" : (r.adMobile ?? "");
    lines.push(`  ${r.change.padEnd(13)} ${r.userPrincipalName}: ${r.entraMobile ?? ""} → ${after}`);
  }
  if (imp.rows.length > max) lines.push(`  … ${num(imp.rows.length - max)} more in impact-report.csv`);
  printLines(lines);
}

/** On an Azure DevOps agent: the Markdown summary, one issue per check that did not pass, and the step's result. */
function printAzdo(verdict: Verdict, files: Record<string, string>, what: string): void {
  const commands: string[] = [];
  if (files.md) commands.push(uploadSummary(files.md));
  if (verdict.exitCode !== EXIT.pass) {
    for (const c of verdict.checks) {
      if (c.status === "pass") continue;
      commands.push(logIssue("error", `${what}: ${c.summary}${c.fix ? ` — ${c.fix}` : ""}`));
    }
    commands.push(complete("Failed", `${verdict.label}: ${verdict.reason}`));
  }
  printCommands(commands);
}

interface Ctx {
  progress: Progress;
  azdo: boolean;
  /** Progress bars on a terminal (a known total is worth one extra request there, not in CI). */
  interactive: boolean;
}

/**
 * How many synced users Graph holds, for the progress bar: `$count=true` is an advanced query
 * (`ConsistencyLevel: eventual`, https://learn.microsoft.com/graph/aad-advanced-queries). Best effort: any failure
 * just means a counter instead of a bar.
 */
async function countSyncedUsers(conn: GraphConnection): Promise<number | undefined> {
  try {
    const body = (await conn.client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .query({ $filter: "onPremisesSyncEnabled eq true", $count: "true", $top: "1", $select: "id" })
      .get()) as { "@odata.count"?: unknown };
    const n = body["@odata.count"];
    return typeof n === "number" ? n : undefined;
  } catch {
    return undefined;
  }
}

function progressFor(o: CommonOptions): Progress {
  return createProgress({ interactive: isInteractive(), quiet: o.quiet });
}

async function analyse(
  o: CommonOptions,
  ctx: Ctx,
  entra: EntraSourceSpec,
  graphConnection?: GraphConnection,
): Promise<GapResult> {
  const spec: GapRunSpec = {
    ad: adSpec(o),
    entra,
    defaultRegion: o.defaultRegion,
    includeInSync: o.includeInSync ?? false,
  };
  const graphOptions = graphClientOptions(o);
  let conn = graphConnection;
  // On a terminal the progress bar wants the total first; otherwise the analysis creates the connection when it
  // starts the Graph read (gap/run.ts: after the DC has its search).
  if (!conn && entra.kind === "graph" && !entra.deltaStatePath && ctx.interactive) {
    conn = createGraphConnection(entra.connection, graphOptions);
    const total = await countSyncedUsers(conn);
    if (total !== undefined) ctx.progress.setTotal("entra", total);
  }
  try {
    return await runGapAnalysis(spec, {
      graphConnection: conn,
      graph: graphOptions,
      onProgress: (p) => ctx.progress.update(p.side, p.users, p.pages, p.done),
    });
  } finally {
    ctx.progress.stop();
  }
}

/**
 * In delta mode, where the reports' row parts are kept for the next run (gap/reports/bodies.ts): under the rows'
 * digest and this build's identity (the bundle file: bin/syncgap rebuilds it whenever a source changes). Run from
 * source (tsx), nothing is kept.
 */
function bodyCache(entra: EntraSourceSpec, result: GapResult): BodyCache | undefined {
  if (entra.kind !== "graph" || !entra.deltaStatePath || !result.rowsDigest || !__filename.endsWith(".cjs")) {
    return undefined;
  }
  let build: string;
  try {
    const st = statSync(__filename, { bigint: true });
    build = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return undefined;
  }
  return { file: `${entra.deltaStatePath}.reports`, key: `${result.rowsDigest} ${TOOL.version} ${build}` };
}

/** Reports for a run that could not read its data (exit 2), so no stale or missing file tells another story. */
async function writeUnreadReports(
  o: CommonOptions,
  fmts: readonly ReportFormat[],
  names: { ad: string; entra: string },
  e: unknown,
  impact: boolean,
): Promise<Record<string, string>> {
  const problem = e instanceof GapInputError || e instanceof UsageError ? e.message : errorText(e);
  try {
    return await writeReports(unreadResult(names, problem, o.defaultRegion), {
      outDir: o.out,
      formats: fmts,
      verdict: couldNotRead(problem),
      impact,
    });
  } catch {
    return {}; // the could-not-run message still says why; a report folder we cannot write is not the first problem
  }
}

/** The gate's own sources, named as the reports name them. */
function sourceNames(o: CommonOptions, entra: EntraSourceSpec): { ad: string; entra: string } {
  const entraName =
    entra.kind === "json" ? `Entra ID export ${entra.path}` : entra.kind === "graph" ? "Entra ID (Graph)" : "Entra ID";
  return { ad: adSourceName(adSpec(o)), entra: entraName };
}

async function gapCommand(o: CommonOptions, mode: "gap" | "impact"): Promise<number> {
  const azdo = isAzureDevOps();
  const ctx: Ctx = { progress: progressFor(o), azdo, interactive: isInteractive() && !o.quiet };
  // Impact mode gates on no category, but still on coverage: a count of overwrites in a run that matched nobody is
  // no count at all.
  const th = mode === "gap" ? thresholds(o) : { failOn: [], maxGaps: 0 };
  const cov = coverageThresholds(o);
  const fmts = formats(o, azdo);
  adSpec(o);
  const entra = entraSpec(o);
  const impact = mode === "impact" || Boolean(o.impact);
  let result: GapResult;
  try {
    result = await analyse(o, ctx, entra);
  } catch (e) {
    throw new CouldNotRun(e, await writeUnreadReports(o, fmts, sourceNames(o, entra), e, impact));
  }
  const verdict = judge({ result, thresholds: th, coverage: cov });
  const files = await writeReports(result, {
    outDir: o.out,
    formats: fmts,
    verdict,
    junitUsers: o.junitUsers,
    impact,
    bodies: bodyCache(entra, result),
  });
  printSummary(result, verdict, files, mode === "gap");
  if (impact) printImpact(result);
  if (azdo) printAzdo(verdict, files, `syncgap ${mode}`);
  return verdict.exitCode;
}

async function checkCommand(o: CheckOptions): Promise<number> {
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
  let result: GapResult;
  try {
    const conn = createGraphConnection(entra.connection, graphClientOptions(o));
    const live = await readBypassFlag(conn.client);
    switchState = { live, expected };
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
  const verdict = judge({ result, thresholds: th, coverage: cov, switchState, sync });
  const files = await writeReports(result, {
    outDir: o.out,
    formats: fmts,
    verdict,
    junitUsers: o.junitUsers,
    impact,
    bodies: bodyCache(entra, result),
  });
  printSummary(result, verdict, files, true);
  if (azdo) printAzdo(verdict, files, "syncgap check");
  return verdict.exitCode;
}

/** A failure after the options were read: the reports it wrote (exit 2, with the reason) travel with it. */
class CouldNotRun extends Error {
  constructor(
    readonly error: unknown,
    readonly files: Record<string, string>,
  ) {
    super(errorText(error));
  }
}

function couldNotRun(err: unknown): number {
  const e = err instanceof CouldNotRun ? err.error : err;
  const files = err instanceof CouldNotRun ? err.files : {};
  const msg =
    e instanceof GapInputError || e instanceof UsageError
      ? e.message
      : `${errorText(e)}${e instanceof Error && e.name && e.name !== "Error" ? ` (${e.name})` : ""}`;
  printError(`syncgap: could not run: ${msg}`);
  const paths = Object.values(files);
  if (paths.length) printError(`syncgap: reports (saying why): ${paths.join(", ")}`);
  if (!(e instanceof GapInputError || e instanceof UsageError) && process.env.SYNCGAP_DEBUG && e instanceof Error) {
    printError(e.stack ?? "");
  }
  if (isAzureDevOps()) {
    printCommands([
      ...(files.md ? [uploadSummary(files.md)] : []),
      logIssue("error", `syncgap could not run: ${msg}`),
      complete("Failed", "syncgap could not run"),
    ]);
  }
  return EXIT.couldNotRun;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("syncgap")
    .description("Mobile numbers in hybrid Entra ID tenants: on-prem AD vs Entra ID gap analysis and post-deploy gate")
    .version(TOOL.version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const run = (fn: () => Promise<number>) => async () => {
    try {
      setExit(await fn());
    } catch (e) {
      setExit(couldNotRun(e));
    }
  };

  addCommonOptions(
    program
      .command("gap")
      .description("gap analysis with reports; exit 0 no gaps above the threshold, 1 gaps above it, 2 could not run"),
  )
    .option("--impact", "also write impact-report.* (what AD authority would overwrite)")
    .action(function (this: Command) {
      const o = this.opts<CommonOptions>();
      return run(() => gapCommand(o, "gap"))();
    });

  addCommonOptions(
    program
      .command("impact")
      .description("what turning AD authority on would overwrite: impact-report.* plus the gap reports; exit 0, or 2"),
  ).action(function (this: Command) {
    const o = this.opts<CommonOptions>();
    return run(() => gapCommand(o, "impact"))();
  });

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
      const o = this.opts<CheckOptions>();
      return run(() => checkCommand(o))();
    });

  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code = EXIT.pass as number;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version succeed; help shown because no command was given is a usage error.
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      return EXIT.couldNotRun; // commander already printed the problem
    }
    return couldNotRun(e);
  }
  return code;
}

/** Runs the command line and exits with its code (bin/syncgap → cli/start.cjs → the bundle calls this). */
export function run(argv: string[] = process.argv): void {
  // An error thrown where no promise of ours can catch it (a stream's event, a timer in a library) still ends in
  // exit 2 with one line: never exit 1, which a pipeline would read as "gaps", and never a stack trace.
  const fatal = (e: unknown) => process.exit(couldNotRun(e));
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  // Exit explicitly: idle keep-alive sockets (Graph, LDAP) must not hold the gate open. stdout and stderr are
  // synchronous for files and pipes on Linux, so nothing written is lost.
  main(argv).then(
    (code) => process.exit(code),
    (e) => process.exit(couldNotRun(e)),
  );
}

if (require.main === module) run();
