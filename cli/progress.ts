/**
 * Progress on stderr: cli-progress bars on an interactive terminal, plain lines (at most one per side every few
 * seconds, plus one when a side is done) when stderr is not a TTY or the run is in CI — logs stay readable.
 */
import { MultiBar, type SingleBar } from "cli-progress";

export type Side = "ad" | "entra";
const LABEL: Record<Side, string> = { ad: "AD      ", entra: "Entra ID" };

export interface Progress {
  update(side: Side, users: number, pages: number, done: boolean): void;
  /** Known total for a side (turns its counter into a bar). */
  setTotal(side: Side, total: number): void;
  /** A line of its own (waits, notes). */
  log(message: string): void;
  stop(): void;
}

export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stderr.isTTY) && !env.CI && (env.TF_BUILD ?? "").toLowerCase() !== "true";
}

export function createProgress(opts: { interactive: boolean; quiet?: boolean; intervalMs?: number }): Progress {
  if (opts.quiet) return { update() {}, setTotal() {}, log() {}, stop() {} };
  if (!opts.interactive) return plainProgress(opts.intervalMs ?? 5000);
  const multi = new MultiBar(
    {
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
      format: "{label} {bar} {value}/{total} users · {pages} pages {status}",
    },
    { barCompleteChar: "█", barIncompleteChar: "░", format: "" },
  );
  // A side with a known total gets a bar; one without (an AD read, a delta round) a running count: a bar that is
  // always full would say nothing.
  const totals = new Map<Side, number>();
  const bars = new Map<Side, SingleBar>();
  const bar = (side: Side) => {
    let b = bars.get(side);
    if (!b) {
      const total = totals.get(side);
      b = multi.create(
        total ?? 0,
        0,
        { label: LABEL[side], pages: 0, status: "" },
        total ? {} : { format: "{label} {value} users · {pages} pages {status}" },
      );
      bars.set(side, b);
    }
    return b;
  };
  return {
    update(side, users, pages, done) {
      const b = bar(side);
      const total = totals.get(side);
      if (total !== undefined && users > total) b.setTotal(users);
      b.update(users, { pages, status: done ? "done" : "" });
    },
    setTotal(side, total) {
      totals.set(side, total);
    },
    log(message) {
      multi.log(`${message}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

function plainProgress(intervalMs: number): Progress {
  const last = new Map<Side, number>();
  const totals = new Map<Side, number>();
  const line = (s: string) => process.stderr.write(`[syncgap] ${s}\n`);
  return {
    update(side, users, pages, done) {
      const now = Date.now();
      if (!done && now - (last.get(side) ?? 0) < intervalMs) return;
      last.set(side, now);
      const t = totals.get(side);
      line(`${LABEL[side].trim()}: ${users}${t ? `/${t}` : ""} users, ${pages} pages${done ? " — done" : ""}`);
    },
    setTotal(side, total) {
      totals.set(side, total);
    },
    log(message) {
      line(message);
    },
    stop() {},
  };
}
