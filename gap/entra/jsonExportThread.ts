/**
 * The Graph JSON export read in a worker thread, so that it runs beside the AD read on another core instead of
 * holding it up: the scan (JSON.parse of every page, the checks of every user) is synchronous, and at a million users
 * it is seconds of work (docs/benchmarks.md, "A million users"). The worker (./jsonExportWorker.ts) posts the users
 * in batches as it reads them; this side checks them (ExportCollector: no id twice, synced or not) and keeps them, so
 * the result and every error are those of readEntraJsonFile.
 *
 * Small files are read in this thread: starting a worker costs more than they take. Where no worker file can be
 * found (a bundle built without it), or the worker cannot start, the read runs in this thread too.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { GapInputError } from "../errors";
import type { EntraUser } from "../types";
import { type EntraExport, ExportCollector, exportError, readEntraJsonFile } from "./jsonExport";
import type { WorkerMessage } from "./jsonExportWorker";

/** Files smaller than this are read in this thread. */
export const WORKER_MIN_BYTES = 16 * 1024 * 1024;

/** The worker's file: beside the bundle when bundled, else the source (run through tsx). */
function workerEntry(): { file: string; execArgv?: string[] } | undefined {
  const bundled = join(__dirname, "entraJsonWorker.cjs");
  if (existsSync(bundled)) return { file: bundled };
  const source = join(__dirname, "jsonExportWorker.ts");
  if (!existsSync(source)) return undefined;
  // A worker inherits the process's options: under tsx they hold its loader; elsewhere (vitest) ask for it.
  return process.execArgv.some((a) => a.includes("tsx"))
    ? { file: source }
    : { file: source, execArgv: ["--import", "tsx"] };
}

export interface ThreadReadOptions {
  signal?: AbortSignal;
  /** Read in a worker from this size on (default WORKER_MIN_BYTES); 0 for always (tests). */
  minWorkerBytes?: number;
}

/** readEntraJsonFile, in a worker thread for a large file. */
export async function readEntraJsonFileInWorker(path: string, options: ThreadReadOptions = {}): Promise<EntraExport> {
  options.signal?.throwIfAborted();
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    // readEntraJsonFile says what is wrong with the path
  }
  const entry = size >= (options.minWorkerBytes ?? WORKER_MIN_BYTES) ? workerEntry() : undefined;
  if (!entry) return readEntraJsonFile(path);
  return new Promise<EntraExport>((resolve, reject) => {
    // Dropped when the read ends: the worker object (and this closure) may live on until the thread has exited, and
    // the collector's duplicate check holds every id.
    let collector: ExportCollector | undefined = new ExportCollector();
    let heard = false;
    let settled = false;
    const worker = new Worker(entry.file, {
      workerData: { syncgapEntraJson: path },
      // Its garbage is short-lived (a page at a time): a small young generation keeps its memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    });
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      collector = undefined;
      options.signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      f();
    };
    const onAbort = () => settle(() => reject(options.signal?.reason));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const inThread = () => {
      // The worker did not start (no loader for its source, a broken file): read here, with the same result.
      try {
        const x = readEntraJsonFile(path);
        settle(() => resolve(x));
      } catch (e) {
        settle(() => reject(e));
      }
    };
    worker.on("message", (m: WorkerMessage) => {
      if (settled || !collector) return;
      heard = true;
      try {
        if (m.t === "users") {
          const { base, kind, count } = m;
          const c = m.columns;
          for (let k = 0; k < count; k++) {
            const u: EntraUser = {
              id: c.id[k]!,
              userPrincipalName: c.userPrincipalName[k]!,
              mobilePhone: c.mobilePhone[k],
              onPremisesImmutableId: c.onPremisesImmutableId[k],
              onPremisesSecurityIdentifier: c.onPremisesSecurityIdentifier[k],
              onPremisesSamAccountName: c.onPremisesSamAccountName[k],
              onPremisesUserPrincipalName: c.onPremisesUserPrincipalName[k],
              onPremisesDistinguishedName: c.onPremisesDistinguishedName[k],
              onPremisesSyncEnabled: c.onPremisesSyncEnabled[k],
              accountEnabled: c.accountEnabled[k],
              displayName: c.displayName[k],
              department: c.department[k],
              cloudManaged: c.cloudManaged[k],
            };
            // packed at once (../records/entra.ts): a UPN repeated as onPremisesUserPrincipalName is kept once there
            collector.take(u, base + k, kind);
          }
        } else if (m.t === "end") {
          const x = collector.finish(path, m.end);
          settle(() => resolve(x));
        } else {
          const cause = m.cause ? { cause: new Error(m.cause) } : undefined;
          settle(() => reject(new GapInputError(m.source, m.problem, m.remedy, cause)));
        }
      } catch (e) {
        settle(() => reject(exportError(path, e)));
      }
    });
    worker.on("error", (e) => {
      if (settled) return;
      if (!heard) inThread();
      else settle(() => reject(exportError(path, e)));
    });
    worker.on("exit", (code) => {
      if (settled) return;
      if (!heard) inThread();
      else settle(() => reject(exportError(path, new Error(`the reading thread stopped (exit code ${code})`))));
    });
  });
}
