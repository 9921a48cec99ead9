/**
 * The worker thread side of readEntraJsonFileInWorker (./jsonExportThread.ts): scans the Graph JSON export named in
 * `workerData.path` (./jsonExport.ts, the same scanner as the in-thread read) and posts the users back in batches, in
 * file order, then the scan's end or the error the reader fails with. Nothing is kept here: the duplicate check and
 * the users live on the main thread (ExportCollector), so the read holds each user once.
 *
 * The bundled command runs it as its own file next to the bundle (entry gap/entra/jsonExportWorker.ts →
 * entraJsonWorker.cjs); from the sources it runs through tsx.
 */
import { parentPort, workerData } from "node:worker_threads";
import { GapInputError } from "../errors";
import { ENTRA_SELECT, type EntraUser } from "../types";
import { exportError, type PointerKind, type ScanEnd, scanEntraJsonFile } from "./jsonExport";

/** The properties a user is sent with: what EntraUser holds. */
export const ENTRA_FIELDS = [...ENTRA_SELECT, "cloudManaged"] as const;

/** Users per message: large enough that a message costs little beside its users, small enough to keep none waiting. */
const BATCH = 1000;

/**
 * A batch of users as one array per property (ENTRA_FIELDS): a structured clone of a million objects writes every
 * property name of every object, and the objects it makes keep their properties outside the object (more memory
 * than the object JSON.parse makes); the main thread builds each user from the columns instead.
 */
export type Columns = { [K in (typeof ENTRA_FIELDS)[number]]: EntraUser[K][] };

export type WorkerMessage =
  | { t: "users"; kind: PointerKind; base: number; count: number; columns: Columns }
  | { t: "end"; end: ScanEnd }
  | { t: "error"; source: string; problem: string; remedy?: string; cause?: string };

function run(port: NonNullable<typeof parentPort>, path: string): void {
  let users: EntraUser[] = [];
  let base = 0;
  let kind: PointerKind = "users";
  const flush = () => {
    if (!users.length) return;
    const columns = {} as Record<string, unknown[]>;
    for (const f of ENTRA_FIELDS) {
      const col = new Array(users.length);
      for (let k = 0; k < users.length; k++) col[k] = users[k]![f];
      columns[f] = col;
    }
    const message = { t: "users" as const, kind, base, count: users.length, columns: columns as Columns };
    port.postMessage(message satisfies WorkerMessage);
    users = [];
  };
  try {
    const end = scanEntraJsonFile(path, (u, code, k) => {
      // A batch holds consecutive places (`base + index`): a new page starts a new batch.
      if (users.length && (users.length >= BATCH || code !== base + users.length)) flush();
      if (!users.length) {
        base = code;
        kind = k;
      }
      users.push(u);
    });
    flush();
    port.postMessage({ t: "end", end } satisfies WorkerMessage);
  } catch (e) {
    // The users before the failure go first: the main thread checks them (a duplicate among them is reported first,
    // as the in-thread read reports it).
    flush();
    const err = e instanceof GapInputError ? e : exportError(path, e);
    const cause = err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : undefined;
    port.postMessage({
      t: "error",
      source: err.source,
      problem: err.problem,
      ...(err.remedy !== undefined ? { remedy: err.remedy } : {}),
      ...(cause ? { cause } : {}),
    } satisfies WorkerMessage);
  }
}

const task = workerData as { syncgapEntraJson?: string } | undefined;
if (parentPort && typeof task?.syncgapEntraJson === "string") run(parentPort, task.syncgapEntraJson);
