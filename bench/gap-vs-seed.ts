/**
 * syncgap against the seed article's algorithm, on the same data, in one run:
 *
 *   npx tsx bench/gap-vs-seed.ts [--users 10000] [--big 100000] [--delay-ms 5[,20…]] [--address 127.0.0.5]
 *                                [--skip-small] [--skip-big] [--runs 3] [--docs docs/benchmarks.md] [--out out/bench]
 *                                [--render-only]
 *
 * Small (default 10k users): a Samba AD DC seeded with the AD helper's generator (scripts/samba-dc.sh, a cached
 * template: seeding 10k users takes ~10 minutes once) and the local tenant in its own process, synced from that DC
 * over LDAPS by its Entra Connect model, then ~5% of the numbers edited in the cloud. Both algorithms run on loopback
 * and again through bench/delayProxy.ts, which adds `--delay-ms` to every server→client chunk between them and the
 * DC (a WAN link). syncgap runs as the real command (`bin/syncgap gap`, a child process, Node start included); the
 * seed's algorithm (bench/seedAlgorithm.ts) runs inside this process (no start-up cost: in its favour).
 *
 * Big (default 100k users): AD from an LDIF export, Entra ID from the local tenant; syncgap only (the seed's
 * algorithm needs a live DC). Wall time and peak RSS of the command (GNU time), then a delta run and a re-run with
 * no changes.
 *
 * Figures go to stdout, to <out>/gap-vs-seed.json, and (with --docs) into that Markdown file, replacing this
 * benchmark's section and keeping the others. Not part of the test suite.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ldapSyncSource } from "../emulator";
import { createGraphConnection } from "../graph/client";
import { writeAdLdif } from "../test/fixtures/gap/adLdif";
import { type EmulatorProcess, spawnEmulator } from "../test/support/emulatorProcess";
import { APP_ID, emulatorConnection, gapEnv, gapSeed } from "../test/support/gapTenant";
import { type SambaDc, startSambaDc } from "../test/support/sambaDc";
import { benchUsers, expectedCounts } from "./data";
import { type DelayProxy, startDelayProxy } from "./delayProxy";
import { writeDocsSection } from "./docsSection";
import { runSeedAlgorithm } from "./seedAlgorithm";
import { load, numberList, wholeNumber } from "./stats";

const ROOT = resolve(__dirname, "..");
const SYNCGAP = join(ROOT, "bin/syncgap");

interface Args {
  users: number;
  big: number;
  /** Extra latencies to run through the proxy (loopback always runs first). */
  delayMs: number[];
  address: string;
  skipSmall: boolean;
  skipBig: boolean;
  /** syncgap runs per measurement; the run with the median wall time is reported (the machine is shared). */
  runs: number;
  docs?: string;
  out: string;
  /** Re-render the Markdown from <out>/gap-vs-seed.json (and the reports next to it) without running anything. */
  renderOnly?: boolean;
}

function args(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      users: { type: "string", default: "10000" },
      big: { type: "string", default: "100000" },
      "delay-ms": { type: "string", default: "5" },
      address: { type: "string", default: "127.0.0.5" },
      "skip-small": { type: "boolean", default: false },
      "skip-big": { type: "boolean", default: false },
      runs: { type: "string", default: "3" },
      docs: { type: "string" },
      out: { type: "string", default: join(ROOT, "out/bench") },
      "render-only": { type: "boolean", default: false },
    },
  });
  return {
    users: wholeNumber("users", v.users),
    big: wholeNumber("big", v.big),
    delayMs: numberList("delay-ms", v["delay-ms"]),
    address: v.address,
    skipSmall: v["skip-small"],
    skipBig: v["skip-big"],
    runs: wholeNumber("runs", v.runs),
    docs: v.docs === undefined ? undefined : resolve(v.docs),
    out: resolve(v.out),
    renderOnly: v["render-only"],
  };
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface CliRun {
  code: number | null;
  wallMs: number;
  maxRssKb: number;
  report: GapReport;
  stderr: string;
  /** Client writes through the delaying proxy during this run. */
  proxyWrites?: number;
  /** With medianRun(): the wall times of all runs, in run order, and the highest peak RSS of them. */
  walls?: number[];
  maxRssKbAll?: number;
}

/** Runs `once` `runs` times and returns the run with the median wall time, with every run's wall time. */
async function medianRun(runs: number, once: () => Promise<CliRun>): Promise<CliRun> {
  const all: CliRun[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  const mid = [...all].sort((x, y) => x.wallMs - y.wallMs)[Math.floor((all.length - 1) / 2)] as CliRun;
  return { ...mid, walls: all.map((r) => r.wallMs), maxRssKbAll: Math.max(...all.map((r) => r.maxRssKb)) };
}

const range = (r: CliRun) => wallRange(r.walls);
function wallRange(walls?: number[]): string {
  return walls && walls.length > 1
    ? `${walls.length} runs, ${secs(Math.min(...walls))}–${secs(Math.max(...walls))}`
    : "one run";
}

interface GapReport {
  summary: {
    counts: Record<string, number>;
    timings: { adReadMs: number; entraReadMs: number; joinMs: number; totalMs: number };
    inputs: {
      ad: { requests?: number; users: number; mode: string; method?: string };
      entra: { requests?: number; users: number; mode: string };
    };
  };
  rows: { userPrincipalName: string; category: string }[];
}

/** How the seed's rows line up with syncgap's categories (which gaps it mislabels, which it never sees). */
interface SeedComparison {
  /** syncgap's users out of sync that the seed reported, by syncgap category. */
  reportedByCategory: Record<string, number>;
  /** Out-of-sync users absent from the seed's report, and how many of them have a rewritten (…onmicrosoft.com) UPN. */
  missed: number;
  missedOnmicrosoft: number;
}

function compareWithSeed(rows: GapReport["rows"], seedUpns: string[]): SeedComparison {
  const seen = new Set(seedUpns.map((u) => u.toLowerCase()));
  const gaps = rows.filter((r) => r.category !== "InSync");
  const reportedByCategory: Record<string, number> = {};
  for (const r of gaps) {
    if (seen.has(r.userPrincipalName.toLowerCase()))
      reportedByCategory[r.category] = (reportedByCategory[r.category] ?? 0) + 1;
  }
  const missed = gaps.filter((r) => !seen.has(r.userPrincipalName.toLowerCase()));
  return {
    reportedByCategory,
    missed: missed.length,
    missedOnmicrosoft: missed.filter((r) => /\.onmicrosoft\.com$/i.test(r.userPrincipalName)).length,
  };
}

/** Runs `bin/syncgap` under GNU time (wall time and peak RSS of the command itself). */
function syncgap(args: string[], env: NodeJS.ProcessEnv, outDir: string): Promise<CliRun> {
  rmSync(outDir, { recursive: true, force: true });
  const timeFile = `${outDir}.time`;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-o", timeFile, "-f", "%e %M", SYNCGAP, ...args, "--out", outDir, "-q"], {
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0 && code !== 1) return reject(new Error(`syncgap exited ${code}: ${stderr.slice(-2000)}`));
      const [, rss] = readFileSync(timeFile, "utf8").trim().split("\n").pop()?.split(" ") ?? [];
      const report = JSON.parse(readFileSync(join(outDir, "gap-report.json"), "utf8")) as GapReport;
      resolvePromise({ code, wallMs, maxRssKb: Number(rss), report, stderr });
    });
  });
}

/** ~5% of the synced users get a number edited in the cloud (a DirSync override), spread over the four kinds. */
async function cloudEdits(emu: EmulatorProcess): Promise<Record<string, number>> {
  const made = { valueMismatch: 0, missingInEntra: 0, formatOnly: 0, cloudOnly: 0 };
  const all: { userPrincipalName: string; mobilePhone: string | null }[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await emu.admin.users({ offset, limit: 1000, synced: true });
    all.push(...page.users.map((u) => u.user as unknown as { userPrincipalName: string; mobilePhone: string | null }));
    if (offset + 1000 >= page.total) break;
  }
  let k = 0;
  for (let i = 0; i < all.length; i += 20) {
    const u = all[i];
    const m = u.mobilePhone;
    let mobile: string | null;
    if (!m) {
      mobile = `+1 206 555 ${String(i % 10000).padStart(4, "0")}`;
      made.cloudOnly++;
    } else if (k % 3 === 0) {
      mobile = `+1 206 555 ${String(i % 10000).padStart(4, "0")}`;
      made.valueMismatch++;
    } else if (k % 3 === 1) {
      mobile = null;
      made.missingInEntra++;
    } else {
      const digits = m.replace(/[^\d+]/g, "");
      mobile = digits === m ? `${digits.slice(0, 2)} ${digits.slice(2)}` : digits;
      made.formatOnly++;
    }
    k++;
    await emu.admin.patchUser(u.userPrincipalName, { mobilePhone: mobile, dirSyncOverride: true });
  }
  return made;
}

interface SmallResult {
  users: number;
  label: string;
  delayMs: number;
  syncgap: {
    wallMs: number;
    /** Wall time of each run (the median one is wallMs). */
    walls?: number[];
    analysisMs: number;
    adReadMs?: number;
    entraReadMs?: number;
    maxRssMb: number;
    ldapSearches?: number;
    graphRequests?: number;
    proxyClientWrites?: number;
    counts: Record<string, number>;
    /** How the AD reader read (dirsync or paged). */
    adMethod?: string;
    /** The same command with --ad-read-mode paged, for comparison. */
    paged?: { wallMs: number; analysisMs: number; adReadMs: number; ldapSearches?: number };
  };
  seed: {
    ms: number;
    ldapSearches: number;
    graphRequests: number;
    proxyClientWrites?: number;
    rows: number;
    missingInEntra: number;
    valueMismatch: number;
    syncedUsers: number;
    swallowed: number;
    comparison: SeedComparison;
  };
  ratioWall: number;
  ratioAnalysis: number;
}

async function small(
  a: Args,
): Promise<{ results: SmallResult[]; edits: Record<string, number>; syncErrors: number; entraUsers: number }> {
  const dir = `/tmp/syncgap-samba-dc-${a.address}`;
  log(`Samba DC with ${a.users} generated users on ${a.address} (cached template; the first seeding takes minutes)`);
  const dc: SambaDc = await startSambaDc({ users: a.users, address: a.address, dir, onLog: (l) => log(l) });
  let emu: EmulatorProcess | undefined;
  let proxy: DelayProxy | undefined;
  try {
    emu = await spawnEmulator(
      gapSeed({
        syncSource: ldapSyncSource(dc, [dc.usersDN]),
      }),
    );
    const sync = await emu.admin.sync("Initial");
    log(
      `tenant synced from the DC: ${sync.created} users created, ${sync.errors.length} not synced (${sync.upnRewritten} UPNs rewritten)`,
    );
    const edits = await cloudEdits(emu);
    log(`cloud edits: ${JSON.stringify(edits)}`);
    const env = { ...gapEnv(emu), SYNCGAP_AD_PASSWORD: dc.password };
    const graph = createGraphConnection(emulatorConnection(emu, APP_ID), { env: gapEnv(emu) });
    const results: SmallResult[] = [];
    const adArgs = (url: string) => [
      "--ad-url",
      url,
      "--ad-bind-dn",
      dc.bindDN,
      "--ad-base-dn",
      dc.usersDN,
      "--ad-ca-cert",
      dc.caCertPath,
    ];
    // Warm-up: the DC's and the tenant's caches, tsx's compile cache.
    await syncgap(["gap", ...adArgs(dc.url), "--entra-graph"], env, join(a.out, "warmup"));
    for (const delayMs of [0, ...a.delayMs]) {
      const label = delayMs ? `${delayMs} ms per round trip` : "loopback";
      let url = dc.url;
      if (delayMs) {
        proxy = await startDelayProxy({ listenHost: a.address, targetHost: a.address, targetPort: dc.port, delayMs });
        url = `ldaps://${a.address}:${proxy.port}`;
      }
      log(`${label}: syncgap ×${a.runs}`);
      const measured = (args: string[], dir: string) =>
        medianRun(a.runs, async () => {
          proxy?.resetStats();
          const r = await syncgap(args, env, dir);
          return { ...r, proxyWrites: proxy?.stats.clientWrites };
        });
      const sg = await measured(["gap", ...adArgs(url), "--entra-graph"], join(a.out, `small-${delayMs}ms`));
      const sgWrites = sg.proxyWrites;
      const sgPaged = await measured(
        ["gap", ...adArgs(url), "--entra-graph", "--ad-read-mode", "paged"],
        join(a.out, `small-${delayMs}ms-paged`),
      );
      log(
        `${label}: syncgap ${secs(sg.wallMs)} (analysis ${secs(sg.report.summary.timings.totalMs)}); seed algorithm…`,
      );
      proxy?.resetStats();
      const seed = await runSeedAlgorithm(graph, {
        url,
        bindDN: dc.bindDN,
        password: dc.password,
        caPem: dc.caPem,
        domainRoot: dc.baseDN,
      });
      const seedWrites = proxy?.stats.clientWrites;
      log(`${label}: seed ${secs(seed.ms)}, ${seed.ldapSearches} LDAP searches`);
      writeFileSync(join(a.out, `seed-${delayMs}ms.csv`), seed.csv);
      results.push({
        users: a.users,
        label,
        delayMs,
        syncgap: {
          wallMs: sg.wallMs,
          walls: sg.walls,
          analysisMs: sg.report.summary.timings.totalMs,
          adReadMs: sg.report.summary.timings.adReadMs,
          entraReadMs: sg.report.summary.timings.entraReadMs,
          maxRssMb: sg.maxRssKb / 1024,
          ldapSearches: sg.report.summary.inputs.ad.requests,
          graphRequests: sg.report.summary.inputs.entra.requests,
          proxyClientWrites: sgWrites,
          counts: sg.report.summary.counts,
          adMethod: sg.report.summary.inputs.ad.method,
          paged: {
            wallMs: sgPaged.wallMs,
            analysisMs: sgPaged.report.summary.timings.totalMs,
            adReadMs: sgPaged.report.summary.timings.adReadMs,
            ldapSearches: sgPaged.report.summary.inputs.ad.requests,
          },
        },
        seed: {
          ms: seed.ms,
          ldapSearches: seed.ldapSearches,
          graphRequests: seed.graphRequests,
          proxyClientWrites: seedWrites,
          rows: seed.rows.length,
          missingInEntra: seed.rows.filter((r) => r.SyncGap === "Missing in Entra").length,
          valueMismatch: seed.rows.filter((r) => r.SyncGap === "Value Mismatch").length,
          syncedUsers: seed.syncedUsers,
          swallowed: seed.ldapErrorsSwallowed,
          comparison: compareWithSeed(
            sg.report.rows,
            seed.rows.map((r) => r.UserPrincipalName),
          ),
        },
        ratioWall: seed.ms / sg.wallMs,
        ratioAnalysis: seed.ms / sg.report.summary.timings.totalMs,
      });
      await proxy?.close();
      proxy = undefined;
    }
    return { results, edits, syncErrors: sync.errors.length, entraUsers: sync.created };
  } finally {
    await proxy?.close();
    await emu?.stop();
    await dc.stop({ force: true });
  }
}

interface BigResult {
  users: number;
  full: {
    wallMs: number;
    walls?: number[];
    analysisMs: number;
    maxRssMb: number;
    graphRequests?: number;
    counts: Record<string, number>;
    countsOk: boolean;
  };
  deltaInitial: { wallMs: number; walls?: number[]; analysisMs: number; maxRssMb: number; graphRequests?: number };
  deltaNoChange: {
    wallMs: number;
    walls?: number[];
    analysisMs: number;
    maxRssMb: number;
    graphRequests?: number;
    adMode: string;
  };
  /** The delta state on disk after the first delta run: each file's size in bytes. */
  deltaState?: Record<string, number>;
}

async function big(a: Args): Promise<BigResult> {
  const dataDir = join(a.out, "data");
  mkdirSync(dataDir, { recursive: true });
  const adFile = join(dataDir, `ad-${a.big}.ldif`);
  const tenantFile = join(dataDir, `tenant-${a.big}.ldif`);
  log(`writing ${a.big}-user LDIF exports`);
  await writeAdLdif(adFile, benchUsers(a.big, "ad"));
  await writeAdLdif(tenantFile, benchUsers(a.big, "tenant"));
  const emu = await spawnEmulator(gapSeed({ syncSource: { kind: "ldif", path: tenantFile } }));
  try {
    const sync = await emu.admin.sync("Initial");
    log(`tenant holds ${sync.created} synced users`);
    const env = gapEnv(emu);
    const args = ["gap", "--ad-ldif", adFile, "--entra-graph"];
    await syncgap(args, env, join(a.out, "warmup-big"));
    const full = await medianRun(a.runs, () => syncgap(args, env, join(a.out, "big-full")));
    log(`full: ${secs(full.wallMs)} (${range(full)}), ${((full.maxRssKbAll ?? full.maxRssKb) / 1024).toFixed(0)} MB`);
    const state = join(a.out, "big-delta-state.json");
    for (const f of ["", ".snapshot.ndjson", ".result.json", ".reports"]) rmSync(`${state}${f}`, { force: true });
    const d1 = await syncgap([...args, "--delta-state", state], env, join(a.out, "big-delta-1"));
    const deltaState: Record<string, number> = {};
    for (const name of readdirSync(a.out)) {
      const st = statSync(join(a.out, name));
      if (name.startsWith(basename(state)) && st.isFile()) deltaState[name] = st.size;
    }
    const d2 = await medianRun(a.runs, () =>
      syncgap([...args, "--delta-state", state], env, join(a.out, "big-delta-2")),
    );
    log(`delta: initial ${secs(d1.wallMs)}, no-change re-run ${secs(d2.wallMs)}`);
    const want = expectedCounts(a.big);
    const got = full.report.summary.counts;
    const pick = (r: CliRun) => ({
      wallMs: r.wallMs,
      walls: r.walls,
      analysisMs: r.report.summary.timings.totalMs,
      maxRssMb: (r.maxRssKbAll ?? r.maxRssKb) / 1024,
      graphRequests: r.report.summary.inputs.entra.requests,
    });
    return {
      users: a.big,
      full: { ...pick(full), counts: got, countsOk: Object.entries(want).every(([k, v]) => got[k] === v) },
      deltaInitial: pick(d1),
      deltaNoChange: { ...pick(d2), adMode: d2.report.summary.inputs.ad.mode },
      deltaState,
    };
  } finally {
    await emu.stop();
  }
}

function markdown(meta: Record<string, string>, s?: Awaited<ReturnType<typeof small>>, b?: BigResult): string {
  const out: string[] = [];
  out.push("## Gap analysis: syncgap vs the seed article's algorithm (`bench/gap-vs-seed.ts`)", "");
  out.push(
    `Run ${meta.date} on ${meta.nproc} cores, Node ${meta.node}, ${meta.cpu}; load average at the start ${meta.load} ` +
      `(a shared machine: CPU-bound figures are pessimistic). Command: \`${meta.command}\`.`,
    "",
  );
  if (s) {
    const r0 = s.results[0];
    out.push(
      `### ${r0.users.toLocaleString("en")} users: Samba AD DC + local tenant`,
      "",
      `The tenant synced ${s.entraUsers.toLocaleString("en")} users from the DC over LDAPS (${s.syncErrors} not synced), then ` +
        `${Object.values(s.edits).reduce((x, y) => x + y, 0)} numbers were edited in the cloud (${Object.entries(
          s.edits,
        )
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}). syncgap = the real command, Node start and all five reports included, run ` +
        `${r0.syncgap.walls?.length ?? 1} times per link: the figures are those of the run with the median wall time ` +
        "(all runs' range in the last column); the seed's algorithm runs once, inside the benchmark process (no " +
        "start-up cost).",
      "",
      "| AD link | syncgap (command) | syncgap (analysis) | seed algorithm | speed-up (command / analysis) | LDAP searches syncgap / seed | Graph requests syncgap / seed | client writes through the proxy syncgap / seed | syncgap peak RSS | syncgap command, all runs |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const r of s.results) {
      out.push(
        `| ${r.label} | ${secs(r.syncgap.wallMs)} | ${secs(r.syncgap.analysisMs)} | ${secs(r.seed.ms)} | ${r.ratioWall.toFixed(1)}× / ${r.ratioAnalysis.toFixed(1)}× | ` +
          `${r.syncgap.ldapSearches ?? "?"} / ${r.seed.ldapSearches.toLocaleString("en")} | ${r.syncgap.graphRequests ?? "?"} / ${r.seed.graphRequests} | ` +
          `${r.syncgap.proxyClientWrites ?? "—"} / ${r.seed.proxyClientWrites?.toLocaleString("en") ?? "—"} | ${r.syncgap.maxRssMb.toFixed(0)} MB | ` +
          `${wallRange(r.syncgap.walls)} |`,
      );
    }
    const c = r0.syncgap.counts;
    const cmp = r0.seed.comparison;
    const outOfSync = Object.entries(c).reduce((acc, [k, v]) => (k === "InSync" ? acc : acc + v), 0);
    out.push(
      "",
      `What each found: syncgap ${Object.entries(c)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}. The seed's report has ${r0.seed.rows} rows (${r0.seed.missingInEntra} "Missing in Entra", ` +
        `${r0.seed.valueMismatch} "Value Mismatch"); against syncgap's categories they are ${Object.entries(
          cmp.reportedByCategory,
        )
          .map(([k, v]) => `${v} ${k}`)
          .join(
            ", ",
          )} — so its "Value Mismatch" mixes real mismatches with cloud-only numbers and format differences. ` +
        `${cmp.missed} of the ${outOfSync} users out of sync are not in it at all (${cmp.missedOnmicrosoft} of them have an ` +
        "unverified UPN suffix, which is …onmicrosoft.com in Entra ID, so the per-user UPN lookup finds nobody). " +
        `LDAP errors the seed swallowed: ${r0.seed.swallowed}.`,
      "",
    );
    if (s.results.some((r) => r.syncgap.paged)) {
      out.push(
        `syncgap read AD with ${r0.syncgap.adMethod === "dirsync" ? "DirSync (one search of the domain, kept to the sync-scope OU)" : `a ${r0.syncgap.adMethod ?? "?"} search`}. ` +
          "The same command with `--ad-read-mode paged` (a paged search, 1,000 per page), run right after it:",
        "",
        "| AD link | syncgap, paged (command) | analysis | of which AD read | LDAP searches | speed-up vs the seed (command) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
      );
      for (const r of s.results) {
        const p = r.syncgap.paged;
        if (!p) continue;
        out.push(
          `| ${r.label} | ${secs(p.wallMs)} | ${secs(p.analysisMs)} | ${secs(p.adReadMs)} | ${p.ldapSearches ?? "?"} | ${(r.seed.ms / p.wallMs).toFixed(1)}× |`,
        );
      }
      out.push("");
    }
    const at5 = s.results.find((r) => r.delayMs === 5);
    if (at5) {
      const searches = at5.syncgap.ldapSearches ?? 0;
      out.push(
        `Target ≥ 50× at 5 ms: **${at5.ratioWall >= 50 ? "met" : "not met"}** (${at5.ratioWall.toFixed(1)}× for the command, ` +
          `${at5.ratioAnalysis.toFixed(1)}× for the analysis). syncgap's time here is mostly the AD read — ` +
          `${secs(at5.syncgap.adReadMs ?? 0)} of its ${secs(at5.syncgap.analysisMs)} (Graph ${secs(at5.syncgap.entraReadMs ?? 0)}, in parallel) — ` +
          `not round trips: ${searches} searches cost ${searches * 5} ms at 5 ms each. Most of it is Samba preparing its ` +
          "answer before the first byte (about 0.9 s for 10,000 users; the whole 3.6 MB then arrive within 20–60 ms); " +
          "the rest is syncgap turning the entries into users as they arrive (about 0.25 s, a cold process). Samba, the " +
          "local tenant and syncgap share the same 2 cores here; in production the DC and Graph run elsewhere. The seed " +
          "pays the link once per user, so the ratio grows with the latency" +
          `${s.results.some((r) => r.delayMs > 5) ? " (see the slower rows)" : ""}.`,
        "",
      );
    }
  }
  if (b) {
    out.push(
      `### ${b.users.toLocaleString("en")} users: AD from an LDIF export, Entra ID from the local tenant`,
      "",
      "| run | command wall time | analysis | peak RSS | Graph requests | command, all runs |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      `| full read | ${secs(b.full.wallMs)} | ${secs(b.full.analysisMs)} | ${b.full.maxRssMb.toFixed(0)} MB | ${b.full.graphRequests} | ${wallRange(b.full.walls)} |`,
      `| delta, first run (\`--delta-state\`, writes the snapshot) | ${secs(b.deltaInitial.wallMs)} | ${secs(b.deltaInitial.analysisMs)} | ${b.deltaInitial.maxRssMb.toFixed(0)} MB | ${b.deltaInitial.graphRequests} | one run |`,
      `| delta re-run, nothing changed (AD ${b.deltaNoChange.adMode}) | ${secs(b.deltaNoChange.wallMs)} | ${secs(b.deltaNoChange.analysisMs)} | ${b.deltaNoChange.maxRssMb.toFixed(0)} MB | ${b.deltaNoChange.graphRequests} | ${wallRange(b.deltaNoChange.walls)} |`,
      "",
      "Full read and re-run: the run with the median wall time of those made; peak RSS is the highest of them.",
      "",
      ...(b.deltaState
        ? [
            `Delta state on disk after the first delta run: ${(Object.values(b.deltaState).reduce((x, y) => x + y, 0) / 1e6).toFixed(1)} MB (${Object.entries(
              b.deltaState,
            )
              .map(([f, n]) => `\`${f}\` ${(n / 1e6).toFixed(1)} MB`)
              .join(", ")}).`,
            "",
          ]
        : []),
      `Targets: under 30 s — ${b.full.wallMs < 30_000 ? "met" : "not met"}; under 400 MB peak RSS — ` +
        `${Math.max(b.full.maxRssMb, b.deltaInitial.maxRssMb) < 400 ? "met" : "not met"} (all three runs); a no-change ` +
        `re-run under 10% of a full run — ${b.deltaNoChange.analysisMs / b.full.analysisMs < 0.1 ? "met" : "not met"} for ` +
        `the analysis and the Graph requests; for the command's wall time ${b.deltaNoChange.wallMs / b.full.wallMs < 0.1 ? "met" : "not met"} ` +
        `against the plain full read (${((100 * b.deltaNoChange.wallMs) / b.full.wallMs).toFixed(1)}%) and ` +
        `${b.deltaNoChange.wallMs / b.deltaInitial.wallMs < 0.1 ? "met" : "not met"} against the same command's first run ` +
        `(${((100 * b.deltaNoChange.wallMs) / b.deltaInitial.wallMs).toFixed(1)}%). ` +
        `Counts ${b.full.countsOk ? "match" : "DO NOT match"} the generator's expectation (${Object.entries(
          b.full.counts,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}). Re-run with no changes vs full read: ` +
        `${((100 * b.deltaNoChange.analysisMs) / b.full.analysisMs).toFixed(1)}% of the analysis time, ` +
        `${((100 * (b.deltaNoChange.graphRequests ?? 0)) / (b.full.graphRequests ?? 1)).toFixed(1)}% of the Graph requests, ` +
        `${((100 * b.deltaNoChange.wallMs) / b.full.wallMs).toFixed(1)}% of the command's wall time (that includes starting ` +
        "the command, fingerprinting the export file and writing the five reports, which every run pays).",
      "",
    );
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  mkdirSync(a.out, { recursive: true });
  const meta = {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    nproc: String(availableParallelism()),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown CPU",
    load: load(),
    command: `npx tsx bench/gap-vs-seed.ts ${process.argv.slice(2).join(" ")}`.trim(),
  };
  if (a.renderOnly) {
    const saved = JSON.parse(readFileSync(join(a.out, "gap-vs-seed.json"), "utf8"));
    for (const r of (saved.small?.results ?? []) as SmallResult[]) {
      const rep = JSON.parse(readFileSync(join(a.out, `small-${r.delayMs}ms`, "gap-report.json"), "utf8")) as GapReport;
      r.syncgap.adReadMs ??= rep.summary.timings.adReadMs;
      r.syncgap.entraReadMs ??= rep.summary.timings.entraReadMs;
      if (r.seed.comparison) continue;
      const seedCsv = readFileSync(join(a.out, `seed-${r.delayMs}ms.csv`), "utf8");
      const upns = seedCsv
        .split("\n")
        .slice(1)
        .filter(Boolean)
        .map((l) => l.split(",")[0].replace(/"/g, ""));
      r.seed.comparison = compareWithSeed(rep.rows, upns);
    }
    const md = markdown(saved.meta, saved.small, saved.big);
    writeFileSync(join(a.out, "gap-vs-seed.json"), JSON.stringify(saved, null, 2));
    process.stdout.write(`${md}\n`);
    if (a.docs) writeDocsSection("gap-vs-seed", md, a.docs);
    return;
  }
  const s = a.skipSmall ? undefined : await small(a);
  const b = a.skipBig ? undefined : await big(a);
  const md = markdown(meta, s, b);
  writeFileSync(join(a.out, "gap-vs-seed.json"), JSON.stringify({ meta, small: s, big: b }, null, 2));
  process.stdout.write(`${md}\n`);
  if (a.docs) writeDocsSection("gap-vs-seed", md, a.docs);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[bench] failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
