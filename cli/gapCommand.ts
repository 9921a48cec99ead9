/** `syncgap gap` and `syncgap impact`: read both sides, judge the result (gap/verdict.ts), write the reports. */

import type { Command } from "commander";
import { isAzureDevOps } from "../gap/azdo";
import type { PreviousRun } from "../gap/reports";
import type { GapResult } from "../gap/types";
import { judge } from "../gap/verdict";
import { analyse, CouldNotRun, type Ctx, finish, progressFor, sourceNames, writeUnreadReports } from "./analysis";
import {
  addCommonOptions,
  adSpec,
  type CommonOptions,
  coverageThresholds,
  entraSpec,
  formats,
  previousRun,
  thresholds,
} from "./options";
import { isInteractive } from "./progress";
import { commandOptions } from "./resolveOptions";

export async function gapCommand(o: CommonOptions, mode: "gap" | "impact"): Promise<number> {
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
  let previous: PreviousRun | undefined;
  try {
    previous = previousRun(o);
    result = await analyse(o, ctx, entra);
  } catch (e) {
    throw new CouldNotRun(e, await writeUnreadReports(o, fmts, sourceNames(o, entra), e, impact));
  }
  const verdict = judge({ result, thresholds: th, coverage: cov });
  return finish(o, { result, verdict, fmts, impact, previous, gated: mode === "gap", azdo, label: `syncgap ${mode}` });
}

/** `syncgap gap` and `syncgap impact` on the command line. */
export function registerGap(program: Command, run: (fn: () => Promise<number>) => () => Promise<void>): void {
  addCommonOptions(
    program
      .command("gap")
      .description("gap analysis with reports; exit 0 no gaps above the threshold, 1 gaps above it, 2 could not run"),
  )
    .option("--impact", "also write impact-report.* (what AD authority would overwrite)")
    .action(function (this: Command) {
      return run(() => gapCommand(commandOptions<CommonOptions>(this), "gap"))();
    });

  addCommonOptions(
    program
      .command("impact")
      .description("what turning AD authority on would overwrite: impact-report.* plus the gap reports; exit 0, or 2"),
  ).action(function (this: Command) {
    return run(() => gapCommand(commandOptions<CommonOptions>(this), "impact"))();
  });
}
