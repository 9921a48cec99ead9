/**
 * Benchmark of the back-fill (docs/backfill.md), two parts:
 *   1. planning: `syncgap backfill plan` against `syncgap gap` on the same inputs — an LDIF export of N generated
 *      AD users (default 100,000) and a Graph JSON export of the tenant (bench/data.ts: 10 CloudOnly, 20
 *      ValueMismatch, 10 FormatOnly per 1,000) — both as the CLI runs them, alternated, several runs; wall time and
 *      peak RSS (GNU time), and the ratio plan/gap (the target: at most 1.2×);
 *   2. applying: W guarded writes (default 10,000) of AD `mobile` against a Samba AD DC, by `syncgap backfill apply`
 *      and, on the same DC and users, by OpenLDAP's `ldapmodify -c` reading the LDIF `syncgap backfill emit` writes
 *      (the floor: the same modifies, sent one after another by a C client); each followed by its undo, so every run
 *      starts from the same values. Writes per second side by side.
 * Prints the figures and rewrites its own section of docs/benchmarks.md.
 *
 *   tsx bench/backfill.ts [--users 100000] [--writes 10000] [--runs 3] [--address 127.0.0.11] [--skip-plan] [--skip-apply]
 *
 * Runs as root on Debian with Node 22 (Samba and ldap-utils: scripts/samba-dc.sh install). The DC listens on its own
 * loopback address (default 127.0.0.11).
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { Client } from "ldapts";
import { guidStringToBytes, sidBytesToString, sidStringToBytes } from "../ad/ids";
import { createLdapAdSource } from "../ad/ldapReader";
import { ldifAttr } from "../ad/ldifWriter";
import { applyPlan, emitFiles, rowDigest, undoFromFile } from "../backfill";
import { planJson, recount, sha256 } from "../backfill/planFiles";
import { type BackfillPlan, PLAN_FORMAT, PLAN_VERSION, type PlanRow } from "../backfill/types";
import { grantWriteMobile, type SambaDc, startSambaDc } from "../test/support/sambaDc";
import { benchUsers } from "./data";
import { writeDocsSection } from "./docsSection";
import { median, range, wholeNumber } from "./stats";

const run = promisify(execFile);
const root = resolve(__dirname, "..");

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    writes: { type: "string", default: "10000" },
    runs: { type: "string", default: "3" },
    address: { type: "string", default: "127.0.0.11" },
    "skip-plan": { type: "boolean", default: false },
    "skip-apply": { type: "boolean", default: false },
  },
});
const USERS = wholeNumber("users", args.users);
const WRITES = wholeNumber("writes", args.writes);
const RUNS = wholeNumber("runs", args.runs);
const ADDRESS = args.address;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function put(s: NodeJS.WritableStream, text: string): Promise<void> {
  if (!s.write(text)) await once(s, "drain");
}

/** The LDIF export of the AD view and the Graph JSON export (one array of users) of the tenant view. */
async function writeInputs(dir: string, n: number): Promise<{ ldif: string; json: string }> {
  const ldif = join(dir, "ad.ldf");
  const json = join(dir, "entra.json");
  const l = createWriteStream(ldif);
  await put(l, "version: 1\n");
  for (const u of benchUsers(n, "ad")) {
    const lines = [
      ldifAttr("dn", u.distinguishedName),
      "changetype: add",
      "objectClass: user",
      ldifAttr("sAMAccountName", u.sAMAccountName as string),
      ldifAttr("userPrincipalName", u.userPrincipalName as string),
      ldifAttr("displayName", u.displayName as string),
      ...(u.mobile ? [ldifAttr("mobile", u.mobile)] : []),
      ...(u.otherMobile ?? []).map((m) => ldifAttr("otherMobile", m)),
      `userAccountControl: ${u.enabled ? 512 : 514}`,
      ldifAttr("objectGUID", guidStringToBytes(u.objectGuid as string)),
      ldifAttr("objectSid", sidStringToBytes(u.objectSid as string)),
    ];
    await put(l, `\n${lines.join("\n")}\n`);
  }
  const ldifDone = once(l, "finish");
  l.end();
  const j = createWriteStream(json);
  await put(j, "[");
  let first = true;
  let i = 0;
  for (const u of benchUsers(n, "tenant")) {
    const user = {
      id: `0e0e0000-0000-4000-8000-${String(i++).padStart(12, "0")}`,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName,
      mobilePhone: u.mobile ?? null,
      onPremisesImmutableId: u.immutableId,
      onPremisesSecurityIdentifier: u.objectSid,
      onPremisesSamAccountName: u.sAMAccountName,
      onPremisesSyncEnabled: true,
      accountEnabled: u.enabled,
    };
    await put(j, `${first ? "" : ","}\n${JSON.stringify(user)}`);
    first = false;
  }
  await put(j, "\n]\n");
  const jsonDone = once(j, "finish");
  j.end();
  await Promise.all([ldifDone, jsonDone]);
  return { ldif, json };
}

/** One CLI run under GNU time: wall seconds and peak RSS (MB). */
function timed(args: string[], allow: number[]): Promise<{ wall: number; rssMb: number }> {
  return new Promise((ok, fail) => {
    const timeFile = join(tmpdir(), `syncgap-bench-time-${process.pid}`);
    const child = spawn("/usr/bin/time", ["-f", "%e %M", "-o", timeFile, join(root, "bin", "syncgap"), ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => {
      if (code === null || !allow.includes(code)) return fail(new Error(`syncgap ${args[0]} exited ${code}: ${err}`));
      // GNU time puts "Command exited with non-zero status N" first when the exit code is not 0
      const last = readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "";
      const [wall, kb] = last.split(/\s+/).map(Number);
      ok({ wall: wall as number, rssMb: (kb as number) / 1024 });
    });
  });
}

async function planVsGap(log: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "syncgap-bench-backfill-"));
  try {
    const { ldif, json } = await writeInputs(dir, USERS);
    const inputs = ["--ad-ldif", ldif, "--entra-json", json];
    // warm-up: the bundle and its compile cache, the files in the page cache
    await timed(["gap", ...inputs, "--quiet", "--out", join(dir, "gap")], [1]);
    const gap: { wall: number; rssMb: number }[] = [];
    const plan: { wall: number; rssMb: number }[] = [];
    for (let r = 0; r < RUNS; r++) {
      gap.push(await timed(["gap", ...inputs, "--quiet", "--out", join(dir, "gap")], [1]));
      plan.push(await timed(["backfill", "plan", ...inputs, "--out", join(dir, "plan")], [0]));
      log.push(`run ${r + 1}: gap ${gap[r]?.wall} s, plan ${plan[r]?.wall} s`);
    }
    const rows = JSON.parse(readFileSync(join(dir, "plan", "backfill-plan.json"), "utf8")).rows.length;
    const ratios = gap.map((g, r) => (plan[r]?.wall as number) / g.wall);
    return [
      `Load: ${fmt(USERS)} AD users (LDIF export) and the tenant's synced users (Graph JSON export, one array), ` +
        `${fmt(rows)} of them in the plan (CloudOnly, ValueMismatch, FormatOnly). ${RUNS} runs each, alternated, after one warm-up.`,
      "",
      "| command | wall (median) | wall (range) | peak RSS (median) |",
      "| --- | --- | --- | --- |",
      `| \`syncgap gap\` (5 reports) | ${median(gap.map((x) => x.wall)).toFixed(2)} s | ${range(gap.map((x) => x.wall))} s | ${fmt(median(gap.map((x) => x.rssMb)))} MB |`,
      `| \`syncgap backfill plan\` (JSON + CSV) | ${median(plan.map((x) => x.wall)).toFixed(2)} s | ${range(plan.map((x) => x.wall))} s | ${fmt(median(plan.map((x) => x.rssMb)))} MB |`,
      "",
      `plan / gap: **${median(ratios).toFixed(2)}×** (range ${range(ratios)}×; target ≤ 1.2×).`,
    ].join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plan that writes a new number into each of `n` users of the DC (decision cloud), as the plan command would. */
async function writePlan(dc: SambaDc, n: number): Promise<BackfillPlan> {
  const src = createLdapAdSource({
    url: dc.url,
    bindDN: dc.bindDN,
    password: dc.password,
    baseDNs: [dc.usersDN],
    caPem: dc.caPem,
    readMode: "paged",
  });
  const readAt = new Date().toISOString();
  const rows: PlanRow[] = [];
  for await (const page of src.pages()) {
    for (const u of page) {
      if (rows.length >= n || !u.objectGuid) continue;
      const entraMobile = `+1206${String(5_000_000 + rows.length).padStart(7, "0")}`;
      const row = {
        userPrincipalName: u.userPrincipalName ?? u.distinguishedName,
        category: (u.mobile ? "ValueMismatch" : "CloudOnly") as PlanRow["category"],
        distinguishedName: u.distinguishedName,
        objectGuid: u.objectGuid,
        entraId: null,
        adMobile: u.mobile ?? null,
        entraMobile,
        e164: entraMobile,
        readAt,
      };
      rows.push({ ...row, decision: "cloud", rowDigest: rowDigest(row) });
    }
  }
  if (rows.length < n)
    throw new Error(`the DC holds ${rows.length} users with an objectGUID; --writes ${n} needs more`);
  return recount({
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    tool: { name: "syncgap", version: "bench" },
    readAt,
    generatedAt: readAt,
    inputs: { ad: dc.url, entra: "bench" },
    options: { prefer: "cloud", normalise: false, defaultRegion: "US" },
    coverage: "bench",
    counts: { rows: 0, write: 0, review: 0, keepAd: 0, problems: 0 },
    rows,
  });
}

async function ldapmodify(dc: SambaDc, file: string): Promise<void> {
  await run("ldapmodify", ["-c", "-H", dc.url, "-D", dc.bindDN, "-y", dc.passwordFile, "-f", file], {
    env: { ...process.env, LDAPTLS_CACERT: dc.caCertPath },
    maxBuffer: 256 * 1024 * 1024,
  });
}

async function applyRates(log: string[]): Promise<string> {
  const dc = await startSambaDc({ address: ADDRESS, users: WRITES + 500 });
  const dir = mkdtempSync(join(tmpdir(), "syncgap-bench-apply-"));
  try {
    const { searchEntries } = await (async () => {
      const c = new Client({ url: dc.url, tlsOptions: { ca: dc.caPem }, timeout: 30_000 });
      await c.bind(dc.bindDN, dc.password);
      try {
        return await c.search(dc.bindDN, {
          scope: "base",
          attributes: ["objectSid"],
          explicitBufferAttributes: ["objectSid"],
        });
      } finally {
        await c.unbind();
      }
    })();
    await grantWriteMobile(dc, dc.usersDN, sidBytesToString(searchEntries[0]?.objectSid as Buffer));
    const plan = await writePlan(dc, WRITES);
    const text = planJson(plan);
    const planPath = join(dir, "backfill-plan.json");
    writeFileSync(planPath, text);
    const source = { path: planPath, sha256: sha256(text) };
    const emitted = await emitFiles(plan, source.sha256, dir);
    const env = { ...process.env, SYNCGAP_AD_PASSWORD: dc.password };
    const target = { url: dc.url, bindDN: dc.bindDN, caCertPath: dc.caCertPath };
    const ours: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const undoPath = join(dir, `undo-${r}.ldif`);
      let t0 = performance.now();
      const applied = await applyPlan(plan, source, target, {
        env,
        backPath: undoPath,
        reportPath: join(dir, `report-${r}.json`),
      });
      const s = (performance.now() - t0) / 1000;
      if (applied.report.counts.applied !== WRITES) {
        throw new Error(`apply wrote ${applied.report.counts.applied} of ${WRITES}: ${applied.report.error ?? ""}`);
      }
      ours.push(WRITES / s);
      await undoFromFile(undoPath, target, {
        env,
        backPath: join(dir, `redo-${r}.ldif`),
        reportPath: join(dir, `undo-report-${r}.json`),
      });
      t0 = performance.now();
      await ldapmodify(dc, emitted.ldif);
      floor.push(WRITES / ((performance.now() - t0) / 1000));
      await ldapmodify(dc, emitted.undoLdif);
      log.push(
        `run ${r + 1}: syncgap ${fmt(ours[r] as number)} writes/s, ldapmodify ${fmt(floor[r] as number)} writes/s`,
      );
    }
    const ratio = ours.map((o, r) => o / (floor[r] as number));
    return [
      `Load: ${fmt(WRITES)} users of a Samba AD DC (LDAPS on ${ADDRESS}), each written once (a guarded modify: delete the ` +
        `value seen, add the new one) and put back by its undo before the next run. ${RUNS} runs.`,
      "",
      "| writer | writes/s (median) | range |",
      "| --- | --- | --- |",
      `| \`syncgap backfill apply\` (reads each user by objectGUID first, undo file fsync'd before the first write, report) | ${fmt(median(ours))} | ${fmt(Math.min(...ours))}–${fmt(Math.max(...ours))} |`,
      `| \`ldapmodify -c\` of the emitted \`backfill-changes.ldif\` (the same modifies, no read) | ${fmt(median(floor))} | ${fmt(Math.min(...floor))}–${fmt(Math.max(...floor))} |`,
      "",
      `syncgap / ldapmodify: **${median(ratio).toFixed(2)}×** (range ${range(ratio)}×).`,
    ].join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dc.stop();
  }
}

async function main(): Promise<void> {
  const log: string[] = [];
  const parts = [
    "## Back-fill (`bench/backfill.ts`)",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "CPU"} (load ${loadavg()[0]?.toFixed(2)} at start), Node ${process.version}. ` +
      "`npx tsx bench/backfill.ts` (as root: Samba).",
  ];
  if (!args["skip-plan"]) parts.push("", "### Planning against a gap run", "", await planVsGap(log));
  if (!args["skip-apply"]) parts.push("", "### Applying against Samba", "", await applyRates(log));
  for (const l of log) console.log(l);
  const section = parts.join("\n");
  console.log(section);
  writeDocsSection("backfill", section);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
