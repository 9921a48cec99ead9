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
 * output or reports. Everything printed passes through gap/printable.ts (cli/output.ts). One file per command
 * (cli/gapCommand.ts, cli/checkCommand.ts), their options in cli/options.ts, what they print in cli/summary.ts.
 * See docs/gap-analysis.md.
 */
import { Command, CommanderError } from "commander";
import { BackfillError } from "../backfill/errors";
import { complete, isAzureDevOps, logIssue, uploadSummary } from "../gap/azdo";
import { errorText, GapInputError } from "../gap/errors";
import { EXIT } from "../gap/verdict";
import { TOOL } from "../gap/version";
import { CouldNotRun } from "./analysis";
import { registerAudit } from "./auditCommand";
import { registerBackfill } from "./backfill";
import { checkCommand } from "./checkCommand";
import { gapCommand } from "./gapCommand";
import { addCommonOptions, bool, type CheckOptions, type CommonOptions, positiveNumber, UsageError } from "./options";
import { printCommands, printError } from "./output";

function couldNotRun(err: unknown): number {
  const e = err instanceof CouldNotRun ? err.error : err;
  const files = err instanceof CouldNotRun ? err.files : {};
  const msg =
    e instanceof GapInputError || e instanceof UsageError || e instanceof BackfillError
      ? e.message
      : `${errorText(e)}${e instanceof Error && e.name && e.name !== "Error" ? ` (${e.name})` : ""}`;
  printError(`syncgap: could not run: ${msg}`);
  const paths = Object.values(files);
  if (paths.length) printError(`syncgap: reports (saying why): ${paths.join(", ")}`);
  if (
    !(e instanceof GapInputError || e instanceof UsageError || e instanceof BackfillError) &&
    process.env.SYNCGAP_DEBUG &&
    e instanceof Error
  ) {
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

  registerBackfill(program, run);
  registerAudit(program, run);

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
