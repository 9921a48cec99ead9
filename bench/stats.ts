/**
 * What every benchmark reports beside its figures: medians and ranges of several runs, a process's peak RSS, the
 * machine and its load. One place, so that docs/benchmarks.md states them the same way in every section.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/** The median (the lower middle value of an even count); several runs on a shared machine are summed up by it. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no runs");
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** "median (lowest–highest)", or the one figure of a single run. */
export function medianRange(xs: readonly number[], f: (x: number) => string): string {
  return xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0] as number);
}

/** "lowest–highest" of the runs. */
export function range(xs: readonly number[], f: (x: number) => string = (x) => x.toFixed(2)): string {
  return `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
}

/** Peak resident set (VmHWM) of a running process, in MB; NaN when /proc cannot say. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

/** "2 cores (model), Node v22.x". */
export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, e.g. "0.7 0.2 0.1". */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
}

/** A whole number ≥ 1 from a command-line option, or an error naming the option. */
export function wholeNumber(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a whole number ≥ 1, not ${JSON.stringify(text)}`);
  return n;
}

/** A comma-separated list of whole numbers ≥ 0 (sizes, latencies). */
export function numberList(name: string, text: string): number[] {
  return text.split(",").map((t) => {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} wants whole numbers separated by commas, not ${text}`);
    return n;
  });
}
