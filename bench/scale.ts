/**
 * A million users: the gap run on export files at 100k, 300k and 1M users, this tree and the previous commit side by
 * side, in one run:
 *
 *   npx tsx bench/scale.ts [--sizes 100000,300000,1000000] [--prev /tmp/sg-prev] [--runs 3] [--runs-big 1]
 *                          [--data /tmp/sg-scale] [--docs docs/benchmarks.md] [--out out/bench]
 *
 * Data (bench/data.ts, written once per size and kept in --data): an LDIF export of the AD view (ldifde's shape) and
 * a Graph JSON export of the tenant view as an array of pretty-printed Graph pages of 999 users (Graph Explorer's and
 * a paging script's shape, `@odata.nextLink` on every page but the last), with the `$select` both versions ask for.
 *
 * Each measurement is a fresh process (bench/scaleRun.ts bundled by esbuild from each tree) under GNU time: the phases
 * one by one with a GC between them (time, heap left behind, peak RSS so far), and the whole run as syncgap runs it
 * (both reads at once, then the reports). `--prev` is a worktree of the previous commit
 * (`git worktree add /tmp/sg-prev <commit>` and a node_modules symlink); scaleRun.ts is copied into it.
 *
 * Figures go to stdout, <out>/scale.json and (with --docs) the "A million users" section of that file. Not a test.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ldifAttr } from "../ad/ldifWriter";
import type { AdUser } from "../ad/types";
import { adUserLdif } from "../test/fixtures/gap/adLdif";
import { benchUsers, expectedCounts } from "./data";
import { writeDocsSection } from "./docsSection";
import { load, median, medianRange, numberList, wholeNumber } from "./stats";

const ROOT = resolve(__dirname, "..");

interface Args {
  sizes: number[];
  prev?: string;
  runs: number;
  runsBig: number;
  data: string;
  docs?: string;
  out: string;
}

function args(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sizes: { type: "string", default: "100000,300000,1000000" },
      prev: { type: "string" },
      runs: { type: "string", default: "3" },
      "runs-big": { type: "string", default: "1" },
      data: { type: "string", default: "/tmp/sg-scale" },
      docs: { type: "string" },
      out: { type: "string", default: join(ROOT, "out/bench") },
    },
  });
  return {
    sizes: numberList("sizes", v.sizes),
    prev: v.prev === undefined ? undefined : resolve(v.prev),
    runs: wholeNumber("runs", v.runs),
    runsBig: wholeNumber("runs-big", v["runs-big"]),
    data: resolve(v.data),
    docs: v.docs === undefined ? undefined : resolve(v.docs),
    out: resolve(v.out),
  };
}

const log = (m: string) => process.stderr.write(`[scale] ${m}\n`);

/** The Graph user Entra Connect made from `u`, with the properties both versions `$select`. */
function graphUser(u: AdUser): Record<string, unknown> {
  return {
    id: `e${(u.objectGuid as string).slice(1)}`,
    userPrincipalName: u.userPrincipalName,
    mobilePhone: u.mobile ?? null,
    onPremisesImmutableId: u.immutableId ?? null,
    onPremisesSecurityIdentifier: u.objectSid ?? null,
    onPremisesSamAccountName: u.sAMAccountName ?? null,
    onPremisesUserPrincipalName: u.userPrincipalName ?? null,
    onPremisesDistinguishedName: u.distinguishedName,
    onPremisesSyncEnabled: true,
    accountEnabled: u.enabled,
    displayName: u.displayName ?? null,
  };
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(`${path}.tmp`, { encoding: "utf8" });
  for (const l of lines) if (!out.write(l)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  spawnSync("mv", [`${path}.tmp`, path]);
}

function* ldifLines(n: number): Generator<string> {
  yield "version: 1\n\n";
  for (const u of benchUsers(n, "ad")) {
    yield `${adUserLdif(u)}\n${u.department ? `${ldifAttr("department", u.department)}\n` : ""}\n`;
  }
}

/** Pretty-printed pages of 999 users, as Graph Explorer shows them and a paging script saves them. */
function* jsonPages(n: number): Generator<string> {
  const ctx = "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,mobilePhone)";
  let page: Record<string, unknown>[] = [];
  let pages = 0;
  const flush = (last: boolean) => {
    const p: Record<string, unknown> = { "@odata.context": ctx, value: page };
    if (!last) p["@odata.nextLink"] = `https://graph.microsoft.com/v1.0/users?$skiptoken=bench${pages + 1}`;
    const text = JSON.stringify(p, null, 2).replace(/\n/g, "\n  ");
    page = [];
    return `${pages++ === 0 ? "[\n  " : ",\n  "}${text}`;
  };
  for (const u of benchUsers(n, "tenant")) {
    page.push(graphUser(u));
    if (page.length === 999) yield flush(false);
  }
  yield `${flush(true)}\n]\n`;
}

async function dataFor(dir: string, n: number): Promise<{ ldif: string; json: string }> {
  mkdirSync(dir, { recursive: true });
  const ldif = join(dir, `ad-${n}.ldif`);
  const json = join(dir, `entra-${n}.json`);
  if (!existsSync(ldif)) {
    log(`writing ${ldif}`);
    await writeLines(ldif, ldifLines(n));
  }
  if (!existsSync(json)) {
    log(`writing ${json}`);
    await writeLines(json, jsonPages(n));
  }
  return { ldif, json };
}

/**
 * Bundles bench/scaleRun.ts of a tree (copied there first when it is not this one) into one file, and the tree's
 * worker entry beside it when it has one.
 */
function bundle(tree: string, out: string): string {
  const entry = join(tree, "bench/scaleRun.ts");
  if (tree !== ROOT) copyFileSync(join(ROOT, "bench/scaleRun.ts"), entry);
  const file = join(out, `scaleRun-${tree === ROOT ? "this" : "prev"}.cjs`);
  const r = spawnSync(
    join(ROOT, "node_modules/.bin/esbuild"),
    [entry, "--bundle", "--platform=node", "--target=node22", "--log-level=warning", `--outfile=${file}`],
    { cwd: tree, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild failed for ${tree}: ${r.stderr}`);
  // The Entra export's reading thread, where the tree has one: beside the driver, where the bundled command keeps it.
  const worker = join(tree, "gap/entra/jsonExportWorker.ts");
  if (existsSync(worker)) {
    const w = spawnSync(
      join(ROOT, "node_modules/.bin/esbuild"),
      [
        worker,
        "--bundle",
        "--platform=node",
        "--target=node22",
        "--log-level=warning",
        `--outfile=${join(out, "entraJsonWorker.cjs")}`,
      ],
      { cwd: tree, encoding: "utf8" },
    );
    if (w.status !== 0) throw new Error(`esbuild failed for ${worker}: ${w.stderr}`);
  }
  return file;
}

interface PhaseFigure {
  name: string;
  ms: number;
  heapMb: number;
  peakRssMb: number;
}
interface Measured {
  wallMs: number;
  maxRssMb: number;
  code: number | null;
  out: Record<string, unknown> & { phases?: PhaseFigure[]; counts?: Record<string, number> };
  stderr: string;
}

async function measure(driver: string, args: string[]): Promise<Measured> {
  const timeFile = join(tmpdir(), `syncgap-scale-time-${process.pid}`);
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    ["-o", timeFile, "-f", "%e %M", process.execPath, "--expose-gc", "--max-old-space-size=4096", driver, ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const wallMs = performance.now() - started;
  const rssKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop()?.split(" ")[1]);
  let out: Measured["out"] = {};
  try {
    out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
  } catch {
    // a failed run prints no figures: the code and stderr say why
  }
  return { wallMs, maxRssMb: Math.round(rssKb / 1024), code, out, stderr: stderr.slice(-2000) };
}

interface SizeResult {
  users: number;
  files: { ldifMb: number; jsonMb: number };
  versions: Record<string, { phases: Measured[]; whole: Measured[] }>;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  mkdirSync(a.out, { recursive: true });
  const work = join(a.out, "scale");
  mkdirSync(work, { recursive: true });
  const meta = {
    date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    nproc: String(availableParallelism()),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown CPU",
    loadBefore: load(),
    command: `npx tsx bench/scale.ts ${process.argv.slice(2).join(" ")}`.trim(),
    prevCommit: a.prev
      ? spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: a.prev, encoding: "utf8" }).stdout.trim()
      : undefined,
  };
  const drivers: Record<string, string> = { this: bundle(ROOT, work) };
  if (a.prev) drivers.prev = bundle(a.prev, work);
  const results: SizeResult[] = [];
  for (const n of a.sizes) {
    const { ldif, json } = await dataFor(a.data, n);
    const size = (p: string) =>
      Math.round(Number(spawnSync("stat", ["-c", "%s", p], { encoding: "utf8" }).stdout) / 1e6);
    const r: SizeResult = { users: n, files: { ldifMb: size(ldif), jsonMb: size(json) }, versions: {} };
    const runs = n >= 1_000_000 ? a.runsBig : a.runs;
    const want = expectedCounts(n);
    for (let k = 0; k < runs; k++) {
      // alternate the versions run by run, so a change in the machine's load falls on both
      for (const [name, driver] of Object.entries(drivers)) {
        r.versions[name] ??= { phases: [], whole: [] };
        for (const mode of ["phases", "whole"] as const) {
          const outDir = join(work, `reports-${name}-${n}`);
          rmSync(outDir, { recursive: true, force: true });
          const m = await measure(driver, [ldif, json, outDir, ...(mode === "whole" ? ["whole"] : [])]);
          const counts = m.out.counts;
          if (m.code !== 0 || !counts) log(`${name} ${n} ${mode}: exit ${m.code}: ${m.stderr}`);
          else
            for (const [c, v] of Object.entries(want))
              if (counts[c] !== v) throw new Error(`${name} ${n} ${mode}: ${c} is ${counts[c]}, expected ${v}`);
          log(`${name} ${n} ${mode} run ${k + 1}: ${(m.wallMs / 1000).toFixed(1)} s, ${m.maxRssMb} MB`);
          r.versions[name][mode].push(m);
        }
      }
    }
    results.push(r);
    writeFileSync(join(a.out, "scale.json"), JSON.stringify({ meta, results }, null, 2));
  }
  const md = markdown(
    {
      ...meta,
      loadAfter: load(),
    },
    results,
  );
  process.stdout.write(`${md}\n`);
  if (a.docs) writeDocsSection("scale", md, a.docs);
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perUserUs = (ms: number, n: number) => (ms * 1000) / n;
const ok = (runs: Measured[]) => runs.filter((m) => m.code === 0 && m.out.counts);

function markdown(meta: Record<string, unknown>, results: SizeResult[]): string {
  const o: string[] = [];
  o.push("## A million users (`bench/scale.ts`)", "");
  o.push(
    `${meta.date}, ${meta.nproc} cores (${meta.cpu}), Node ${meta.node}, load average ${meta.loadBefore} before and ${meta.loadAfter} after; \`${meta.command}\`. ` +
      `"this" is the tree measured, "prev" the commit ${meta.prevCommit ?? "(not run)"}, in the same run, alternating. ` +
      "AD from an LDIF export, Entra ID from a Graph JSON export of pretty-printed pages of 999 users (bench/data.ts: 5% of the users out of sync). " +
      "Each figure is a fresh process under GNU time; several runs give the median (lowest–highest).",
    "",
  );
  o.push("### The whole run (both reads at once, join, verdict, five reports)", "");
  o.push(
    "| users | files (LDIF + JSON) | version | wall | peak RSS | RSS per user | reports |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of results) {
    for (const [name, v] of Object.entries(r.versions)) {
      const w = ok(v.whole);
      if (!w.length) {
        o.push(
          `| ${r.users.toLocaleString("en")} | ${r.files.ldifMb} + ${r.files.jsonMb} MB | ${name} | failed (exit ${v.whole[0]?.code}) | ${v.whole[0]?.maxRssMb} MB | | |`,
        );
        continue;
      }
      o.push(
        `| ${r.users.toLocaleString("en")} | ${r.files.ldifMb} + ${r.files.jsonMb} MB | ${name} | ${medianRange(
          w.map((m) => m.wallMs),
          s1,
        )} | ${Math.max(...w.map((m) => m.maxRssMb))} MB | ${((Math.max(...w.map((m) => m.maxRssMb)) * 1024 * 1024) / r.users / 1024).toFixed(2)} KB | ${w[0]!.out.reports} |`,
      );
    }
  }
  o.push("");
  o.push("### Growth by phase (phases one after the other, a full GC between them)", "");
  o.push(
    "Per user: the phase's time in µs per user, and the memory it adds (JS heap plus ArrayBuffers, where packed records and typed arrays are, after GC, less the same before it) in bytes per user; a phase that frees more than it keeps shows a negative figure. The growth columns divide the figure per user at that size by the figure per user at the smallest size: 1.00 is linear.",
    "",
  );
  const base = results[0];
  o.push(
    "| phase | version | " +
      results.map((r) => `${r.users / 1000}k: µs/user · memory B/user`).join(" | ") +
      " | " +
      results
        .slice(1)
        .map((r) => `growth ${r.users / 1000}k (time · memory)`)
        .join(" | ") +
      " |",
  );
  o.push(
    `| --- | --- | ${results.map(() => "---").join(" | ")} | ${results
      .slice(1)
      .map(() => "---")
      .join(" | ")} |`,
  );
  const names = base ? Object.keys(base.versions) : [];
  const phaseNames = ["AD read", "Entra read", "join", "reports"];
  for (const p of phaseNames) {
    for (const name of names) {
      const fig = (r: SizeResult) => {
        const runs = ok(r.versions[name]?.phases ?? []);
        // the heap a phase adds: its heap after GC less the one before it (the first phase: less the empty process's)
        const added = (m: Measured) => {
          const list = m.out.phases ?? [];
          const at = list.findIndex((x) => x.name === p);
          if (at < 0) return undefined;
          const before = at === 0 ? Number(m.out.baseHeapMb ?? 0) : (list[at - 1] as PhaseFigure).heapMb;
          return { ms: (list[at] as PhaseFigure).ms, heapMb: (list[at] as PhaseFigure).heapMb - before };
        };
        const ph = runs.map(added).filter((x): x is { ms: number; heapMb: number } => !!x);
        if (!ph.length) return undefined;
        return {
          us: perUserUs(median(ph.map((x) => x.ms)), r.users),
          heap: (median(ph.map((x) => x.heapMb)) * 1024 * 1024) / r.users,
          ms: ph.map((x) => x.ms),
        };
      };
      const figs = results.map(fig);
      const b = figs[0];
      o.push(
        `| ${p} | ${name} | ${figs.map((f) => (f ? `${f.us.toFixed(1)} · ${Math.round(f.heap)}` : "failed")).join(" | ")} | ${figs
          .slice(1)
          .map((f) => (f && b ? `${(f.us / b.us).toFixed(2)} · ${(f.heap / b.heap).toFixed(2)}` : "–"))
          .join(" | ")} |`,
      );
    }
  }
  o.push("");
  o.push("Peak RSS after each phase (phases run), MB:", "");
  o.push(
    "| users | version | " + phaseNames.join(" | ") + " |",
    `| --- | --- | ${phaseNames.map(() => "---").join(" | ")} |`,
  );
  for (const r of results) {
    for (const [name, v] of Object.entries(r.versions)) {
      const runs = ok(v.phases);
      const cells = phaseNames.map((p) => {
        const xs = runs
          .map((m) => m.out.phases?.find((x) => x.name === p)?.peakRssMb)
          .filter((x): x is number => x !== undefined);
        return xs.length ? String(Math.max(...xs)) : "–";
      });
      o.push(`| ${r.users.toLocaleString("en")} | ${name} | ${cells.join(" | ")} |`);
    }
  }
  return o.join("\n");
}

/** Replaces this benchmark's section (between its markers) and keeps the others. */

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[scale] failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
