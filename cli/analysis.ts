/**
 * What the commands share: running the analysis with progress, the reports of a run that could not read its data, and
 * the error that carries them to the exit path.
 */
import { adSourceName } from "../gap/adSources";
import { errorText, GapInputError } from "../gap/errors";
import { compareRuns, type PreviousRun, type ReportFormat, writeReports } from "../gap/reports";
import { runGapAnalysis } from "../gap/run";
import type { EntraSourceSpec, GapResult, GapRunSpec } from "../gap/types";
import { unreadResult } from "../gap/unread";
import { couldNotRead, type Verdict } from "../gap/verdict";
import { createGraphConnection, type GraphConnection } from "../graph/client";
import { adSpec, type CommonOptions, graphClientOptions, UsageError } from "./options";
import { createProgress, isInteractive, type Progress } from "./progress";
import { printAzdo, printImpact, printSummary } from "./summary";

export interface Ctx {
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
export async function countSyncedUsers(conn: GraphConnection): Promise<number | undefined> {
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

export function progressFor(o: CommonOptions): Progress {
  return createProgress({ interactive: isInteractive(), quiet: o.quiet });
}

export async function analyse(
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
      ...(o.cloudManaged ? { cloudManaged: true } : {}),
      onProgress: (p) => ctx.progress.update(p.side, p.users, p.pages, p.done),
    });
  } finally {
    ctx.progress.stop();
  }
}

/**
 * The end of a run that read its data: the reports (with the comparison to an earlier run, when asked), the summary,
 * the impact list, and on an Azure Pipelines agent the logging commands. Returns the verdict's exit code.
 */
export async function finish(
  o: CommonOptions,
  run: {
    result: GapResult;
    verdict: Verdict;
    fmts: readonly ReportFormat[];
    impact: boolean;
    previous?: PreviousRun;
    gated: boolean;
    azdo: boolean;
    label: string;
  },
): Promise<number> {
  const comparison = run.previous ? compareRuns(run.previous, run.result) : undefined;
  const files = await writeReports(run.result, {
    outDir: o.out,
    formats: run.fmts,
    verdict: run.verdict,
    junitUsers: o.junitUsers,
    impact: run.impact,
    previous: comparison,
  });
  printSummary(run.result, run.verdict, files, run.gated, comparison);
  if (run.impact) printImpact(run.result);
  if (run.azdo) printAzdo(run.verdict, files, run.label);
  return run.verdict.exitCode;
}

/** Reports for a run that could not read its data (exit 2), so no stale or missing file tells another story. */
export async function writeUnreadReports(
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
export function sourceNames(o: CommonOptions, entra: EntraSourceSpec): { ad: string; entra: string } {
  const entraName =
    entra.kind === "json" ? `Entra ID export ${entra.path}` : entra.kind === "graph" ? "Entra ID (Graph)" : "Entra ID";
  return { ad: adSourceName(adSpec(o)), entra: entraName };
}

/** A failure after the options were read: the reports it wrote (exit 2, with the reason) travel with it. */
export class CouldNotRun extends Error {
  constructor(
    readonly error: unknown,
    readonly files: Record<string, string>,
  ) {
    super(errorText(error));
  }
}
