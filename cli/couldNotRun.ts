/**
 * The one way out when a command could not run (exit 2): one line on stderr saying why, the reports that say so too,
 * the stack only with SYNCGAP_DEBUG, and on an Azure Pipelines agent a logged error and a failed task. Never exit 1,
 * which a pipeline reads as "gaps". Exit codes themselves are gap/verdict.ts's EXIT.
 */
import { BackfillError } from "../backfill/errors";
import { complete, isAzureDevOps, logIssue, uploadSummary } from "../gap/azdo";
import { errorText, GapInputError } from "../gap/errors";
import { EXIT } from "../gap/verdict";
import { CouldNotRun } from "./analysis";
import { UsageError } from "./options";
import { printCommands, printError } from "./output";

export function couldNotRun(err: unknown): number {
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
