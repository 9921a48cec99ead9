/**
 * A live Graph read at a million users: syncgap's own Entra reader (gap/entra/graphReader.ts readSyncedUsers, through
 * graph/client.ts with its retry middleware) pages every synced user out of the local tenant (`$top=999`, ~1,000
 * requests), under Graph's throttling model for identity and access (emulator/limits.ts: a resource-unit bucket per
 * app and tenant, https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits):
 *
 *   - "Graph's quota, L": the bucket Graph gives a tenant of this size (L, above 500 users: 8,000 resource units
 *     per 10 s; a `GET /users` page with `$select` costs 1 unit), which is what a real tenant's read meets;
 *   - "Graph's quota, S": the smallest bucket Graph gives any tenant (S, under 50 users: 3,500 per 10 s), the budget
 *     to plan for when the tenant's size class is not known;
 *   - "tight budget": a bucket far below that (--tight RU per 10 s), so that the read is throttled and has to wait
 *     out the 429s' Retry-After: the figure then shows that the reader follows the budget rather than the server's
 *     speed, and finishes.
 *
 *   npx tsx bench/graph-read.ts [--users 1000000] [--tight 500] [--docs docs/benchmarks.md]
 *
 * The local tenant runs as its own process (test/support/emulatorProcess.ts), seeded through its admin API.
 * Figures: users/s, requests, 429s, the reader's retries, and the peak RSS of both processes, next to the ceiling
 * the quota sets (pages per second the bucket allows × 999 users). Not a test.
 */
import { parseArgs } from "node:util";
import { requestCost, tenantSizeQuota } from "../emulator/limits";
import { readSyncedUsers } from "../gap/entra/graphReader";
import { createGraphConnection } from "../graph/client";
import { spawnEmulator } from "../test/support/emulatorProcess";
import { writeDocsSection } from "./docsSection";
import { load, machine, peakRssMb, wholeNumber } from "./stats";

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000000" },
    tight: { type: "string", default: "500" },
    docs: { type: "string" },
  },
});
const USERS = wholeNumber("users", args.users);
const TIGHT_RU = wholeNumber("tight", args.tight);
const WINDOW_S = 10;
/** A page of the read: `GET /users` with `$select` and `$top=999` (emulator/limits.ts holds Learn's cost table). */
const PAGE_COST_RU = requestCost("GET", "users", { $select: "id", $top: "999" });

/** The tenant size class a quota belongs to (emulator/limits.ts tenantSizeQuota). */
function sizeClass(quota: number): string {
  return quota === tenantSizeQuota(1)
    ? "S tenant (under 50 users)"
    : quota === tenantSizeQuota(50)
      ? "M tenant (50–500 users)"
      : "L tenant (above 500 users)";
}

interface Round {
  budget: string;
  bucketRu: number;
  users: number;
  requests: number;
  throttled: number;
  seconds: number;
  usersPerSecond: number;
  ceilingUsersPerSecond: number;
  /** The least time the budget lets this read take: the bucket starts full, then refills at its rate. */
  fastestSeconds: number;
  retries: number;
}

async function main(): Promise<void> {
  const emu = await spawnEmulator();
  try {
    const { admin, started: env } = emu;
    const t0 = performance.now();
    const seeded = await admin.generateUsers({ count: USERS, prefix: "bench" });
    const seedSeconds = (performance.now() - t0) / 1000;
    // the client secret stays in this process's environment, where the credential reads it
    process.env.AZURE_CLIENT_SECRET = env.AZURE_CLIENT_SECRET;
    const settings = {
      cloud: "global" as const,
      tenantId: env.AZURE_TENANT_ID,
      clientId: env.AZURE_CLIENT_ID,
      authMethod: "clientSecret" as const,
      authorityHost: env.SYNCGAP_EMULATOR_URL,
      graphEndpoint: env.SYNCGAP_EMULATOR_URL,
      caCertPath: emu.caCertPath,
    };
    const loadBefore = load();
    const rounds: Round[] = [];
    for (const [budget, bucketRu] of [
      [`Graph's quota, ${sizeClass(tenantSizeQuota(USERS))}`, tenantSizeQuota(USERS)],
      [`Graph's quota, ${sizeClass(tenantSizeQuota(1))}`, tenantSizeQuota(1)],
      ["tight budget", TIGHT_RU],
    ] as const) {
      await admin.setOptions({ throttling: { enabled: true, bucketSize: bucketRu, windowSeconds: WINDOW_S } });
      await admin.clearRequests();
      const conn = createGraphConnection(settings);
      const start = performance.now();
      const users = await readSyncedUsers(conn);
      const seconds = (performance.now() - start) / 1000;
      const log = await admin.requests({ area: "graph" });
      const throttled = log.filter((e) => e.status === 429).length;
      rounds.push({
        budget,
        bucketRu,
        users: users.length,
        requests: log.length,
        throttled,
        seconds,
        usersPerSecond: Math.round(users.length / seconds),
        ceilingUsersPerSecond: Math.round((bucketRu / WINDOW_S / PAGE_COST_RU) * 999),
        fastestSeconds: Math.max(0, (log.length - throttled) * PAGE_COST_RU - bucketRu) / (bucketRu / WINDOW_S),
        retries: conn.stats.retries,
      });
      console.log(JSON.stringify(rounds.at(-1)));
    }
    const figures = {
      when: new Date().toISOString().slice(0, 16).replace("T", " "),
      machine: machine(),
      load: `${loadBefore} before, ${load()} after`,
      seeded: seeded.total,
      seedSeconds,
      rssEmulatorMb: peakRssMb(emu.pid),
      rssReaderMb: peakRssMb(process.pid),
    };
    console.log(JSON.stringify(figures));
    if (args.docs) writeSection(figures, rounds, args.docs);
  } finally {
    await emu.stop();
  }
}

function writeSection(
  f: { when: string; machine: string; load: string; seeded: number; seedSeconds: number } & Record<string, unknown>,
  rounds: Round[],
  docs: string,
): void {
  const n = (x: number) => x.toLocaleString("en-US");
  const section = [
    "## A live Graph read at a million users (`bench/graph-read.ts`)",
    "",
    `${f.when} UTC, ${f.machine}, load average ${f.load}; \`npx tsx bench/graph-read.ts --users ${USERS} --tight ${TIGHT_RU} --docs ${docs}\`. syncgap's Entra reader (\`gap/entra/graphReader.ts\` through \`graph/client.ts\`, retry middleware included) pages the synced users of the local tenant (${n(f.seeded)} users seeded) (\`$top=999\`, \`$filter=onPremisesSyncEnabled eq true\`, \`$select\`) under Graph's throttling model for identity and access (a resource-unit bucket per app and tenant; a page costs ${PAGE_COST_RU} unit). The ceiling is what the bucket allows once it is empty: its units per ${WINDOW_S} s ÷ the page's cost × 999 users; the bucket starts full, so the least time the budget lets the whole read take is (requests served × cost − bucket) ÷ its refill rate (a throttled request costs nothing).`,
    "",
    "| budget | bucket (RU per 10 s) | users read | requests | 429s | time | users/s | ceiling the budget sets (users/s) | least time the budget allows | reader's retries |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rounds.map(
      (r) =>
        `| ${r.budget} | ${n(r.bucketRu)} | ${n(r.users)} | ${n(r.requests)} | ${n(r.throttled)} | ${r.seconds.toFixed(1)} s | **${n(r.usersPerSecond)}** | ${n(r.ceilingUsersPerSecond)} | ${r.fastestSeconds.toFixed(1)} s | ${n(r.retries)} |`,
    ),
    "",
    `Peak RSS: the local tenant ${f.rssEmulatorMb} MB (it holds the ${n(f.seeded)} users), the reader ${f.rssReaderMb} MB. Seeding through the admin API took ${f.seedSeconds.toFixed(1)} s.`,
    "",
    ...rounds.map((r) =>
      r.throttled > 0
        ? `- ${r.budget}: throttled ${n(r.throttled)} times; every 429 was retried after its Retry-After and the read finished with every user in ${r.seconds.toFixed(1)} s, against the ${r.fastestSeconds.toFixed(1)} s the budget allows at best (${((100 * r.fastestSeconds) / r.seconds).toFixed(0)}% of the read's time was the budget's).`
        : `- ${r.budget}: no request throttled; the read ran at ${Math.round((100 * r.usersPerSecond) / r.ceilingUsersPerSecond)}% of the ceiling the budget sets, so what bound it was how fast pages were served, not the budget.`,
    ),
  ].join("\n");
  writeDocsSection("graph-read", section, docs);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
