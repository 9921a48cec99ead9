/**
 * Benchmark: page 200,000 users out of the local tenant through the real clients.
 *
 * Starts the emulator as its own process (test/support/emulatorProcess.ts), bulk-creates the users through the
 * admin API, then pages them all with @microsoft/microsoft-graph-client's PageIterator (`$top=999`, `$select`) using an
 * @azure/identity ClientSecretCredential. Prints users/s, requests and the peak RSS of both processes, and writes a
 * section into docs/benchmarks.md (other sections are kept).
 *
 *   tsx bench/emulator-paging.ts [--users N]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { trustEmulatorCa } from "../emulator/trust";
import { spawnEmulator } from "../test/support/emulatorProcess";
import { writeDocsSection } from "./docsSection";
import { machine, peakRssMb, wholeNumber } from "./stats";

const { values: args } = parseArgs({ options: { users: { type: "string", default: "200000" } } });
const USERS = wholeNumber("users", args.users);
const SELECT = ["id", "userPrincipalName", "mobilePhone", "onPremisesImmutableId", "onPremisesSyncEnabled"];

async function main(): Promise<void> {
  const emu = await spawnEmulator();
  try {
    const { admin, started: env } = emu;
    trustEmulatorCa(readFileSync(emu.caCertPath, "utf8"));

    const t0 = performance.now();
    const seeded = await admin.generateUsers({ count: USERS, prefix: "bench" });
    const seedMs = performance.now() - t0;
    await admin.clearRequests();

    const credential = new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, {
      authorityHost: env.AZURE_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
    });
    const client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, {
        scopes: ["https://graph.microsoft.com/.default"],
      }),
      baseUrl: `${env.SYNCGAP_EMULATOR_URL}/`,
      customHosts: new Set([new URL(env.SYNCGAP_EMULATOR_URL).hostname]),
    });
    await credential.getToken("https://graph.microsoft.com/.default"); // token fetch not timed

    const start = performance.now();
    let users = 0;
    let withMobile = 0;
    const first = await client.api("/users").select(SELECT).top(999).get();
    const it = new PageIterator(client, first, (u: { mobilePhone: string | null }) => {
      users++;
      if (u.mobilePhone) withMobile++;
      return true;
    });
    await it.iterate();
    const ms = performance.now() - start;
    const requests = (await admin.requests({ area: "graph" })).length;
    const serverRss = peakRssMb(emu.pid);
    const clientRss = peakRssMb(process.pid);
    const rate = Math.round(users / (ms / 1000));

    const figures = {
      date: new Date().toISOString().slice(0, 10),
      machine: machine(),
      usersSeeded: seeded.total,
      usersPaged: users,
      withMobile,
      requests,
      seconds: Number((ms / 1000).toFixed(2)),
      usersPerSecond: rate,
      seedSeconds: Number((seedMs / 1000).toFixed(2)),
      peakRssEmulatorMb: serverRss,
      peakRssClientMb: clientRss,
    };
    console.log(JSON.stringify(figures, null, 2));
    const pass = rate >= 20_000 && serverRss < 500 && clientRss < 500;
    console.log(
      `target ≥ 20,000 users/s and peak RSS < 500 MB per process: ${pass ? "met" : "NOT met"} (both processes together: ${serverRss + clientRss} MB)`,
    );
    writeSection(figures, pass);
  } finally {
    await emu.stop();
  }
}

function writeSection(f: Record<string, unknown>, pass: boolean): void {
  const section = [
    "## Emulator paging (`bench/emulator-paging.ts`)",
    "",
    `Pages every user of the local tenant through \`@microsoft/microsoft-graph-client\` \`PageIterator\` (\`$top=999\`, \`$select=${SELECT.join(",")}\`) with an \`@azure/identity\` ClientSecretCredential; the emulator runs as its own process (\`tsx emulator/cli.ts start\`). Target: ≥ 20,000 users/s, peak RSS < 500 MB per process (the client process holds tsx, @azure/identity and the Graph client).`,
    "",
    "| figure | value |",
    "| --- | --- |",
    `| date | ${f.date} |`,
    `| machine | ${f.machine} |`,
    `| users paged / seeded | ${f.usersPaged} / ${f.usersSeeded} |`,
    `| Graph requests | ${f.requests} |`,
    `| time | ${f.seconds} s |`,
    `| **users/s** | **${f.usersPerSecond}** |`,
    `| peak RSS, emulator process | ${f.peakRssEmulatorMb} MB |`,
    `| peak RSS, client process | ${f.peakRssClientMb} MB |`,
    `| peak RSS, both together | ${Number(f.peakRssEmulatorMb) + Number(f.peakRssClientMb)} MB |`,
    `| bulk seed (admin API, server-side generation) | ${f.seedSeconds} s |`,
    `| target met (≥ 20,000 users/s, < 500 MB per process) | ${pass ? "yes" : "no"} |`,
    "",
    "Run: `tsx bench/emulator-paging.ts [--users N]` (Node 22).",
  ].join("\n");
  writeDocsSection("emulator-paging", section);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
