/**
 * One measured gap run for bench/scale.ts, in its own process: AD from an LDIF export, Entra ID from a Graph JSON
 * export, the join, the verdict and the five reports. The phases run one after the other (syncgap itself reads both
 * sides at once), so each has its own time and memory; after each phase a full GC (node --expose-gc) gives the memory
 * the phase leaves behind (`heapMb`: the JS heap plus ArrayBuffers, where the packed records and typed arrays are),
 * and the process's peak RSS so far.
 *
 * bench/scale.ts bundles this file with esbuild once per code version (this tree, and the previous commit's worktree,
 * where it is copied), so both run the same driver against their own gap/ and ad/ code, without tsx in the timings.
 *
 *   node --expose-gc scaleRun.cjs <ad.ldif> <entra.json> <outDir> [whole]
 *
 * With `whole`: one runGapAnalysis as the command runs it (both sides read at once), then the verdict and the
 * reports; no GC between phases (the wall time and peak RSS of the whole run, what the targets are about).
 *
 * Prints one JSON line: { phases: [{ name, ms, heapMb, peakRssMb }], counts, rows, totalMs, peakRssMb }.
 */
import { performance } from "node:perf_hooks";
import { openAdSource, readAdSource } from "../gap/adSources";
import { readEntraJsonFile } from "../gap/entra/jsonExport";
import { joinAndClassify } from "../gap/join";
import { PhoneNormalizer } from "../gap/phone";
import { writeReports } from "../gap/reports";
import { runGapAnalysis } from "../gap/run";
import { type GapResult, OTHER_MOBILE_NOTE } from "../gap/types";
import { judge } from "../gap/verdict";
import { TOOL } from "../gap/version";

interface Phase {
  name: string;
  ms: number;
  heapMb: number;
  peakRssMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  const [ldif, json, outDir, mode] = process.argv.slice(2);
  if (!ldif || !json || !outDir) throw new Error("usage: scaleRun <ad.ldif> <entra.json> <outDir> [whole]");
  if (mode === "whole") {
    const started = performance.now();
    const result = await runGapAnalysis({ ad: { kind: "ldif", path: ldif }, entra: { kind: "json", path: json } });
    const analysed = performance.now();
    const files = await writeReports(result, { outDir, verdict: judge({ result }) });
    const out = {
      timings: result.timings,
      reportsMs: Math.round(performance.now() - analysed),
      counts: result.counts,
      rows: result.rows.length,
      reports: Object.keys(files).length,
      totalMs: Math.round(performance.now() - started),
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (!gc) throw new Error("run with node --expose-gc");
  const kept = () => {
    const m = process.memoryUsage();
    return mb(m.heapUsed + m.arrayBuffers);
  };
  const phases: Phase[] = [];
  const started = performance.now();
  let t = started;
  const phase = (name: string) => {
    const ms = performance.now() - t;
    gc();
    phases.push({
      name,
      ms: Math.round(ms),
      heapMb: kept(),
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    });
    t = performance.now();
  };

  gc();
  const baseHeapMb = kept();
  t = performance.now();
  const spec = { kind: "ldif" as const, path: ldif };
  const ad = await readAdSource(await openAdSource(spec), `AD LDIF export ${ldif}`);
  phase("AD read");
  const entra = readEntraJsonFile(json);
  phase("Entra read");
  const phones = new PhoneNormalizer("US");
  const joined = joinAndClassify(ad.users, entra.users, phones, false);
  phase("join");
  const outOfSync = Object.entries(joined.counts).reduce((acc, [c, v]) => (c === "InSync" ? acc : acc + v), 0);
  const result: GapResult = {
    tool: { ...TOOL },
    generatedAt: new Date().toISOString(),
    defaultRegion: "US",
    includeInSync: false,
    inputs: {
      ad: { kind: "ldif", description: ldif, users: ad.users.length, mode: "export", pages: ad.pages },
      entra: entra.info,
    },
    counts: joined.counts,
    totals: {
      adUsers: ad.users.length,
      entraUsers: entra.users.length,
      matched: joined.matched,
      outOfSync,
      rows: joined.rows.length,
      matchedBy: joined.matchedBy,
    },
    timings: { adReadMs: phases[0]!.ms, entraReadMs: phases[1]!.ms, joinMs: phases[2]!.ms, totalMs: 0 },
    otherMobileNote: OTHER_MOBILE_NOTE,
    notes: entra.notes,
    rows: joined.rows,
  };
  const verdict = judge({ result });
  const files = await writeReports(result, { outDir, verdict });
  phase("reports");
  const out = {
    baseHeapMb,
    phases,
    counts: joined.counts,
    rows: joined.rows.length,
    reports: Object.keys(files).length,
    totalMs: Math.round(performance.now() - started),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`scaleRun failed: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  },
);
