/**
 * Benchmark of syncgap's AD side:
 *   1. a Samba AD DC seeded with N generated users (default 10,000; seeded offline, cached as a template), read with
 *      the LDAP reader over LDAPS with DirSync (the default on a DC that offers it) and with a paged search in pages
 *      of 1,000 (AD's MaxPageSize) and of 200: users/s, search requests, time;
 *   2. the floor beside each: OpenLDAP's `ldapsearch` (Debian ldap-utils, installed with Samba) reading the same
 *      users and attributes from the same DC in the same way (a DirSync search of the naming context; a paged search
 *      of the OU), its output written to /dev/null, in turns with syncgap's reads;
 *   3. the whole command, `syncgap gap` as users run it (the bundle, all reports) on the DC and an Entra ID export of
 *      the same users, against the floor of its AD read: ldapsearch's DirSync read plus a bare Node start;
 *   4. the export-file readers on a 100,000-user LDIF (ldifde style) and CSV (recommended PowerShell export).
 * Prints the figures and rewrites its own section of docs/benchmarks.md.
 *
 *   tsx bench/ad-read.ts [--users 10000] [--file-users 100000] [--runs 3] [--address 127.0.0.10] [--keep]
 *
 * Runs as root on Debian with Node 22. The DC listens on its own loopback address (default 127.0.0.10; Samba's ports
 * are fixed, and the test suite's DC owns 127.0.0.1). --keep leaves the DC running afterwards.
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readAdCsvFile } from "../ad/csvFileSource";
import { DIRSYNC_MAX_BYTES, DIRSYNC_OBJECT_SECURITY } from "../ad/dirSyncControl";
import { guidBytesToString, guidStringToBytes, sidBytesToString, UAC_ACCOUNTDISABLE } from "../ad/ids";
import { createLdapAdSource } from "../ad/ldapReader";
import { DEFAULT_USER_FILTER } from "../ad/ldapReadOptions";
import { readLdifFile } from "../ad/ldifFileSource";
import { ldifAttr } from "../ad/ldifWriter";
import type { AdSource, AdUser } from "../ad/types";
import { AD_USER_ATTRIBUTES } from "../ad/userMapping";
import { generatedUser, prng, seedUserDn } from "../test/fixtures/ad/seedData";
import { type SambaDc, startSambaDc } from "../test/support/sambaDc";
import { writeDocsSection } from "./docsSection";
import { median, wholeNumber } from "./stats";

const DEFAULT_USERS = 10_000;
const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: String(DEFAULT_USERS) },
    "file-users": { type: "string", default: "100000" },
    runs: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
    address: { type: "string", default: "127.0.0.10" },
  },
});
const USERS = wholeNumber("users", args.users);
const FILE_USERS = wholeNumber("file-users", args["file-users"]);
const RUNS = wholeNumber("runs", args.runs);
const KEEP = args.keep;
const ADDRESS = args.address;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function drain(src: AdSource): Promise<{ users: number; pages: number; ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let users = 0;
  let pages = 0;
  for await (const page of src.pages()) {
    users += page.length;
    pages++;
  }
  const cpu = process.cpuUsage(c0);
  return { users, pages, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The same read with OpenLDAP's ldapsearch: TLS checked against the DC's CA (LDAPTLS_CACERT), the password from the
 * DC's password in a file of its own (-y takes the file whole, so no trailing newline; never on the command line), the reader's filter and attributes, output to /dev/null (it
 * decodes and prints every entry; the bench counts the entries it printed). DirSync: one search of the naming context
 * with the reader's flags and reply size (ldapsearch sends no follow-up for MoreResults, so the count shows whether one
 * reply held every user).
 */
async function ldapsearch(
  dc: SambaDc,
  mode: "dirsync" | "paged1000" | "paged200",
  pwFile: string,
): Promise<{ ms: number; entries: number }> {
  const args = ["-H", dc.url, "-x", "-D", dc.bindUPN, "-y", pwFile, "-LLL", "-o", "ldif-wrap=no"];
  if (mode === "dirsync") args.push("-b", dc.baseDN, "-E", `!dirSync=${DIRSYNC_OBJECT_SECURITY}/${DIRSYNC_MAX_BYTES}`);
  else args.push("-b", dc.usersDN, "-E", `pr=${mode === "paged1000" ? 1000 : 200}/noprompt`);
  args.push(DEFAULT_USER_FILTER, ...AD_USER_ATTRIBUTES);
  const t0 = performance.now();
  const child = spawn("ldapsearch", args, {
    env: { ...process.env, LDAPTLS_CACERT: dc.caCertPath, LDAPTLS_REQCERT: "demand" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let entries = 0;
  let tail = "\n"; // so the first entry's "dn:" counts too
  child.stdout.setEncoding("latin1");
  child.stdout.on("data", (d: string) => {
    const text = tail + d;
    // `dn: ` or, for a DN that is not plain ASCII, `dn:: ` and its base64
    for (let i = text.indexOf("\ndn:"); i !== -1; i = text.indexOf("\ndn:", i + 1)) entries++;
    tail = text.slice(-5);
  });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`ldapsearch (${mode}) exited ${code}: ${err.trim().slice(0, 500)}`);
  return { ms, entries };
}

/** Runs a command to its end: ms, or an error naming the exit code it should not have had. */
async function timed(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  okCodes: number[] = [0],
): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code === null || !okCodes.includes(code))
    throw new Error(`${args.slice(0, 2).join(" ")} exited ${code}: ${err.trim().slice(0, 500)}`);
  return performance.now() - t0;
}

/** Writes an export-style LDIF and the matching recommended-export CSV for n generated users. */
async function writeExports(dir: string, n: number): Promise<{ ldif: string; csv: string }> {
  const ldif = join(dir, "users.ldf");
  const csv = join(dir, "users.csv");
  const l = createWriteStream(ldif);
  const c = createWriteStream(csv);
  const put = async (s: NodeJS.WritableStream, text: string) => {
    if (!s.write(text)) await once(s, "drain");
  };
  const r = prng(99);
  const bytes = (k: number) => Buffer.from(Array.from({ length: k }, () => Math.floor(r() * 256)));
  await put(l, "version: 1\n");
  await put(
    c,
    '"DistinguishedName","UserPrincipalName","SamAccountName","DisplayName","mobile","otherMobile","ObjectGUID","objectSid","mS-DS-ConsistencyGuid","userAccountControl","Enabled","whenChanged","uSNChanged"\r\n',
  );
  const q = (s: string | undefined) => `"${(s ?? "").replace(/"/g, '""')}"`;
  for (let i = 0; i < n; i++) {
    const u = generatedUser(7, i, n);
    const guid = bytes(16);
    const sid = Buffer.concat([Buffer.from("010500000000000515000000", "hex"), bytes(12), Buffer.alloc(4)]);
    sid.writeUInt32LE(1100 + i, 24);
    const uac = u.disabled ? 514 : 512;
    const lines = [ldifAttr("dn", seedUserDn(u)), "changetype: add", "objectClass: top", "objectClass: person"];
    lines.push("objectClass: organizationalPerson", "objectClass: user", ldifAttr("sAMAccountName", u.sAMAccountName));
    if (u.userPrincipalName) lines.push(ldifAttr("userPrincipalName", u.userPrincipalName));
    if (u.displayName) lines.push(ldifAttr("displayName", u.displayName));
    if (u.mobile) lines.push(ldifAttr("mobile", u.mobile));
    for (const m of u.otherMobile ?? []) lines.push(ldifAttr("otherMobile", m));
    lines.push(`userAccountControl: ${uac}`, "whenChanged: 20261127022806.0Z", `uSNChanged: ${4000 + i}`);
    lines.push(ldifAttr("objectGUID", guid), ldifAttr("objectSid", sid));
    if (u.consistencyGuid) lines.push(ldifAttr("mS-DS-ConsistencyGuid", guidStringToBytes(u.consistencyGuid)));
    await put(l, `\n${lines.join("\n")}\n`);
    const row = [
      seedUserDn(u),
      u.userPrincipalName,
      u.sAMAccountName,
      u.displayName,
      u.mobile,
      (u.otherMobile ?? []).join(";"),
      guidBytesToString(guid),
      sidBytesToString(sid),
      u.consistencyGuid ? guidStringToBytes(u.consistencyGuid).toString("base64") : "",
      String(uac),
      uac & UAC_ACCOUNTDISABLE ? "False" : "True",
      "11/27/2026 2:28:06 AM",
      String(4000 + i),
    ];
    await put(c, `${row.map(q).join(",")}\r\n`);
  }
  l.end();
  c.end();
  await Promise.all([once(l, "finish"), once(c, "finish")]);
  return { ldif, csv };
}

async function main(): Promise<void> {
  const log: string[] = [];
  const load = loadavg()[0]!.toFixed(1);
  const t0 = performance.now();
  const dc = await startSambaDc({
    users: USERS,
    address: ADDRESS,
    onLog: (line) => {
      log.push(line);
      console.error(line);
    },
  });
  const startMs = performance.now() - t0;
  const seeded = log.find((l) => l.includes("seeded"))?.match(/in ([\d.]+) s/)?.[1];
  const provisioned = log.find((l) => l.includes("provisioned"))?.match(/in ([\d.]+) s/)?.[1];
  const started = log.find((l) => l.includes("started samba"))?.match(/in ([\d.]+) s/)?.[1];
  const reusedTemplate = log.some((l) => l.includes("reusing template"));
  try {
    const expected = USERS + 22; // generated + demo users in OU=Corp Users
    const pwDir = mkdtempSync(join(tmpdir(), "syncgap-bench-pw-"));
    const pwFile = join(pwDir, "password");
    writeFileSync(pwFile, dc.password, { mode: 0o600 });
    const modes = [
      { key: "dirsync", label: "DirSync (default)", readMode: "dirsync", pageSize: 1000 },
      { key: "paged1000", label: "paged, pageSize 1000", readMode: "paged", pageSize: 1000 },
      { key: "paged200", label: "paged, pageSize 200", readMode: "paged", pageSize: 200 },
    ] as const;
    const results: Record<string, { users: number; pages: number; requests: number; ms: number; cpuMs: number }[]> = {};
    const floor: Record<string, number[]> = {};
    for (const mode of modes) {
      results[mode.key] = [];
      floor[mode.key] = [];
      for (let run = 0; run < RUNS; run++) {
        const ls = await ldapsearch(dc, mode.key, pwFile);
        // DirSync reads the whole naming context (the bind account, Administrator, … too); paged reads the OU
        if (mode.key === "dirsync" ? ls.entries < expected : ls.entries !== expected)
          throw new Error(`ldapsearch (${mode.key}) printed ${ls.entries} entries, expected ${expected}`);
        const f = ls.ms;
        floor[mode.key]!.push(f);
        const src = createLdapAdSource({
          url: dc.url,
          caPem: dc.caPem,
          bindDN: dc.bindUPN,
          password: dc.password,
          baseDNs: [dc.usersDN],
          pageSize: mode.pageSize,
          readMode: mode.readMode,
        });
        const r = { ...(await drain(src)), requests: src.stats.requests };
        if (r.users !== expected) throw new Error(`read ${r.users} users, expected ${expected}`);
        if (src.stats.method !== mode.readMode) throw new Error(`read with ${src.stats.method}, not ${mode.readMode}`);
        results[mode.key]!.push(r);
        console.error(
          `LDAP ${mode.label} run ${run + 1}: ${r.users} users, ${r.requests} requests, ${r.ms.toFixed(0)} ms (ldapsearch ${f.toFixed(0)} ms)`,
        );
      }
    }

    // The whole command against its floor: `syncgap gap` (the bundle, as users run it) reading the DC with DirSync and
    // an Entra ID export of the same users, beside ldapsearch's DirSync read plus a bare Node start.
    const dir = mkdtempSync(join(tmpdir(), "syncgap-bench-ad-"));
    const entraJson = join(dir, "entra.json");
    const dcUsers: AdUser[] = [];
    for await (const page of createLdapAdSource({
      url: dc.url,
      caPem: dc.caPem,
      bindDN: dc.bindUPN,
      password: dc.password,
      baseDNs: [dc.usersDN],
    }).pages())
      dcUsers.push(...page);
    writeFileSync(
      entraJson,
      JSON.stringify(
        dcUsers.map((u, i) => ({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          userPrincipalName: u.userPrincipalName ?? `${u.sAMAccountName}@${dc.domain}`,
          mobilePhone: i % 10 === 0 ? null : (u.mobile ?? null),
          onPremisesImmutableId: u.immutableId ?? null,
          onPremisesSyncEnabled: true,
          accountEnabled: u.enabled,
        })),
      ),
    );
    const commandRuns: number[] = [];
    const commandFloor: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const ls = await ldapsearch(dc, "dirsync", pwFile);
      const bare = await timed(process.execPath, ["-e", "0"], {});
      commandFloor.push(ls.ms + bare);
      const cmd = await timed(
        process.execPath,
        [
          join(__dirname, "../bin/syncgap"),
          "gap",
          "--ad-url",
          dc.url,
          "--ad-bind-dn",
          dc.bindUPN,
          "--ad-base-dn",
          dc.usersDN,
          "--ad-ca-cert",
          dc.caCertPath,
          "--entra-json",
          entraJson,
          "--out",
          join(dir, "reports"),
          "--quiet",
        ],
        { SYNCGAP_AD_PASSWORD: dc.password },
        [0, 1],
      );
      commandRuns.push(cmd);
      const t = JSON.parse(readFileSync(join(dir, "reports", "gap-report.json"), "utf8")).summary.timings;
      console.error(
        `syncgap gap run ${run + 1}: ${cmd.toFixed(0)} ms (AD ${t.adReadMs}, Entra ${t.entraReadMs}, join ${t.joinMs}, analysis ${t.totalMs}; ldapsearch + node -e 0: ${(ls.ms + bare).toFixed(0)} ms)`,
      );
    }
    const tw = performance.now();
    const files = await writeExports(dir, FILE_USERS);
    console.error(`wrote ${FILE_USERS} users as LDIF and CSV in ${((performance.now() - tw) / 1000).toFixed(1)} s`);
    const ldifRuns: number[] = [];
    const csvRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const a = await drain(readLdifFile(files.ldif));
      const b = await drain(readAdCsvFile(files.csv));
      if (a.users !== FILE_USERS || b.users !== FILE_USERS) throw new Error("export readers lost users");
      ldifRuns.push(a.ms);
      csvRuns.push(b.ms);
      console.error(`files run ${run + 1}: LDIF ${a.ms.toFixed(0)} ms, CSV ${b.ms.toFixed(0)} ms`);
    }
    const ldifMb = statSync(files.ldif).size / 1e6;
    const csvMb = statSync(files.csv).size / 1e6;
    rmSync(dir, { recursive: true, force: true });
    rmSync(pwDir, { recursive: true, force: true });

    const commandRatios = commandRuns.map((c, i) => c / commandFloor[i]!).sort((a, b) => a - b);
    const ms = (key: string) => median(results[key]!.map((r) => r.ms));
    const ldapRows = modes
      .map((m) => {
        const t = ms(m.key);
        const first = results[m.key]![0]!;
        const ratios = results[m.key]!.map((r, i) => r.ms / floor[m.key]![i]!).sort((a, b) => a - b);
        const f = median(floor[m.key]!);
        return `| LDAP, ${m.label}: search requests / time / **users/s** | ${first.requests} / ${(t / 1000).toFixed(2)} s / **${fmt((expected / t) * 1000)}** |\n| ldapsearch, same read: time / **syncgap ÷ ldapsearch** (median, range of the ${RUNS} paired runs) | ${(f / 1000).toFixed(2)} s / **${median(ratios).toFixed(2)}×** (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}×) |\n| reader CPU time, ${m.label} (the rest is Samba and waiting) | ${(median(results[m.key]!.map((r) => r.cpuMs)) / 1000).toFixed(2)} s |`;
      })
      .join("\n");
    const date = new Date().toISOString().slice(0, 10);
    const cpu = cpus()[0]?.model.trim() ?? "?";
    const section = `
## AD read${USERS === DEFAULT_USERS ? "" : `, ${fmt(USERS)} users`} (\`bench/ad-read.ts${USERS === DEFAULT_USERS ? "" : ` --users ${USERS}`}\`)

Reads every user of the sync-scope OU of a local Samba AD DC (${ADDRESS}, LDAPS, bind as a plain user) with
\`createLdapAdSource\`, with DirSync and with a paged search, each beside the floor: OpenLDAP's \`ldapsearch\` reading the
same users and attributes from the same DC the same way (TLS verified, output to /dev/null), run in turns with syncgap's
reads, and the whole \`syncgap gap\` command against ldapsearch's read plus a bare Node start. Then it parses a ${fmt(FILE_USERS)}-user LDIF and CSV export with
\`readLdifFile\` / \`readAdCsvFile\`. Median of ${RUNS} runs. Samba and the reader share the same ${cpus().length} cores.

| figure | value |
| --- | --- |
| date | ${date} |
| machine | ${cpus().length} CPU (nproc), ${cpu}, Node ${process.version} |
| load average (1 min) when the run started | ${load} (the machine is shared; figures are lower bounds) |
| DC users read (generated + demo) | ${fmt(expected)} |
| DC start (template ${reusedTemplate ? "reused from cache" : `built: provision ${provisioned} s, seed ${seeded} s`}, samba start ${started} s) | ${(startMs / 1000).toFixed(1)} s |
${ldapRows}
| whole command: \`syncgap gap\` (bundle) reading the DC with DirSync and a ${fmt(dcUsers.length)}-user Entra ID export, all reports / **÷ (ldapsearch DirSync read + bare \`node -e 0\`)** (median, range of the ${RUNS} paired runs) | ${(median(commandRuns) / 1000).toFixed(2)} s / **${median(commandRatios).toFixed(2)}×** (${commandRatios[0]!.toFixed(2)}–${commandRatios.at(-1)!.toFixed(2)}×) |
| LDIF export, ${fmt(FILE_USERS)} users (${ldifMb.toFixed(0)} MB): time / users/s | ${(median(ldifRuns) / 1000).toFixed(2)} s / ${fmt((FILE_USERS / median(ldifRuns)) * 1000)} |
| CSV export, ${fmt(FILE_USERS)} users (${csvMb.toFixed(0)} MB): time / users/s | ${(median(csvRuns) / 1000).toFixed(2)} s / ${fmt((FILE_USERS / median(csvRuns)) * 1000)} |

Samba serves a paged search by gathering the GUIDs of the whole result before the first page (the first page of 10k
users takes about 0.7 s) and then fetching every entry of every page again by GUID, checking access per attribute;
DirSync is one pass over the domain's users, filtered to the OU by the reader. DirSync's 3 search requests are the
rootDSE, the base DN's existence check and the DirSync search itself; a paged read sends one per page. ${
      USERS === DEFAULT_USERS
        ? "Building the 10k-user template (provision plus offline `ldbadd` of 10,052 entries) took about 5 minutes once; later runs reuse it."
        : `The ${fmt(USERS)}-user template was built once beforehand (\`scripts/samba-dc.sh template --users ${USERS}\`); later runs reuse it.`
    }

Run: \`tsx bench/ad-read.ts [--users ${USERS}] [--file-users ${FILE_USERS}] [--runs ${RUNS}]\` (root; installs and starts
Samba through \`scripts/samba-dc.sh\`; the first run for a user count provisions and seeds, later runs reuse the cached
template).
`;
    console.log(section);
    // one section per DC size, so the 10k and the 100k figures stand side by side
    writeDocsSection(USERS === DEFAULT_USERS ? "ad-read" : `ad-read-${USERS}`, section);
  } finally {
    if (!KEEP) await dc.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
