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
 * (cli/gapCommand.ts, checkCommand.ts, backfill.ts, auditCommand.ts, settingsCommand.ts), their options in
 * cli/options.ts (resolved flag > syncgap.yaml > environment by cli/resolveOptions.ts from the table in
 * cli/settings.ts), what they print in cli/summary.ts and cli/output.ts, the exit-2 path in cli/couldNotRun.ts.
 * See docs/gap-analysis.md and docs/configuration.md.
 */
import { Command, CommanderError } from "commander";
import { EXIT } from "../gap/verdict";
import { TOOL } from "../gap/version";
import { registerAudit } from "./auditCommand";
import { registerBackfill } from "./backfill";
import { registerCheck } from "./checkCommand";
import { couldNotRun } from "./couldNotRun";
import { registerGap } from "./gapCommand";
import { registerSettings } from "./settingsCommand";

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

  registerGap(program, run);
  registerCheck(program, run);
  registerBackfill(program, run);
  registerAudit(program, run);
  registerSettings(program);

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

/** Runs the command line and exits with its code (bin/syncgap → the bundle dist/syncgap.cjs calls this). */
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
