/**
 * Command line of the local tenant.
 *
 *   tsx emulator/cli.ts start [--port N] [--seed FILE] [--ad-ldif FILE] [--state-dir DIR] [--json] [--write-env FILE]
 *       Starts the emulator and prints endpoints, the CA path, the tenant id and sample credentials as shell
 *       `export` lines (eval-able) or, with --json, one JSON object; --write-env also writes the export lines to FILE
 *       (mode 0600, complete once it exists), for a shell that started it in the background. The variables are the
 *       ones syncgap reads (SYNCGAP_GRAPH_ENDPOINT, SYNCGAP_AUTHORITY_HOST, SYNCGAP_CA_CERT, AZURE_*), so
 *       `syncgap gap --entra-graph` after sourcing them reads this tenant. Stays up until SIGINT/SIGTERM.
 *   tsx emulator/cli.ts sync [--initial]      one sync cycle (Start-ADSyncSyncCycle -PolicyType Delta|Initial)
 *   tsx emulator/cli.ts info | reset | requests | options [--set JSON]
 *   tsx emulator/cli.ts advance-clock SECONDS   age delta tokens (7-day lifetime) and date audit records ahead
 *   tsx emulator/cli.ts reset-delta-tokens      a "synchronization reset": every delta token gets 410 Gone
 *   tsx emulator/cli.ts set-feature NAME=true|false… [--as UPN | --as-app APPID]   out-of-band change, audited
 *   tsx emulator/cli.ts flip [NAME] [--as UPN]   turn one feature (default bypassDirSyncOverridesEnabled) to its
 *       opposite out of band: what someone in the portal or PowerShell does, to rehearse drift detection
 *   tsx emulator/cli.ts cloud-managed USER [--off] [--as UPN]   move a user's source of authority to the cloud (or back)
 *   tsx emulator/cli.ts audit                   the directory audit log
 *       Admin calls against a running emulator, found through SYNCGAP_EMULATOR_URL, SYNCGAP_EMULATOR_ADMIN_KEY and
 *       NODE_EXTRA_CA_CERTS (what `start` prints) or --url/--admin-key/--ca.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command } from "commander";
import { AdminClient } from "./adminClient";
import { loadSeedFile } from "./seed/validate";
import { DEFAULT_SEED_PATH, startEmulator } from "./server/startEmulator";

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function adminFrom(opts: { url?: string; adminKey?: string; ca?: string }): AdminClient {
  const url = opts.url ?? process.env.SYNCGAP_EMULATOR_URL;
  const key = opts.adminKey ?? process.env.SYNCGAP_EMULATOR_ADMIN_KEY;
  const ca = opts.ca ?? process.env.SYNCGAP_EMULATOR_CA ?? process.env.NODE_EXTRA_CA_CERTS;
  if (!url || !key || !ca) {
    throw new Error(
      "need --url/--admin-key/--ca or SYNCGAP_EMULATOR_URL, SYNCGAP_EMULATOR_ADMIN_KEY and NODE_EXTRA_CA_CERTS (eval the output of `start`)",
    );
  }
  return new AdminClient(url, key, { caCertPath: ca });
}

const program = new Command();
program.name("emulator").description("syncgap local Microsoft Entra ID tenant (Graph v1.0 + identity platform)");

program
  .command("start")
  .description("start the local tenant and print how to reach it")
  .option("--port <n>", "port on 127.0.0.1 (default: a free port)", (v) => Number.parseInt(v, 10))
  .option("--seed <file>", "seed JSON file (default: emulator/seeds/contoso.json)")
  .option("--state-dir <dir>", "keep the CA and signing key here (stable trust across restarts)")
  .option("--token-lifetime <seconds>", "access token lifetime", (v) => Number.parseInt(v, 10))
  .option("--admin-key <key>", "admin key (default: random)")
  .option("--json", "print one JSON object instead of shell export lines")
  .option("--ad-ldif <file>", "directory sync reads AD from this LDIF export instead of the seed's own users")
  .option("--write-env <file>", "also write the export lines to this file (mode 0600) once the tenant is up")
  .action(
    async (opts: {
      port?: number;
      seed?: string;
      stateDir?: string;
      tokenLifetime?: number;
      adminKey?: string;
      json?: boolean;
      writeEnv?: string;
      adLdif?: string;
    }) => {
      // --ad-ldif: the same users on both sides of a gap run (`syncgap gap --ad-ldif FILE --entra-graph`)
      const seed = opts.adLdif
        ? {
            ...loadSeedFile(opts.seed ?? DEFAULT_SEED_PATH),
            syncSource: { kind: "ldif" as const, path: resolve(opts.adLdif) },
          }
        : opts.seed;
      const emu = await startEmulator({
        port: opts.port,
        seed,
        stateDir: opts.stateDir,
        tokenLifetimeSeconds: opts.tokenLifetime,
        adminKey: opts.adminKey,
        log: (line) => process.stderr.write(`[emulator] ${line}\n`),
      });
      const tenant = emu.state.tenant;
      const app = [...tenant.apps.values()].find((a) => a.secrets.length);
      const admin = tenant.users.list.find(
        (u) => u.signIn && u.directoryRoles.includes("62e90394-69f5-4237-9190-012177145e10"),
      );
      const values: Record<string, string> = {
        SYNCGAP_EMULATOR_URL: emu.baseUrl,
        AZURE_AUTHORITY_HOST: emu.authorityHost,
        SYNCGAP_GRAPH_BASE_URL: emu.graphBaseUrl,
        // what syncgap's CLI, provider and policies read (graph/connection.ts): Graph's origin, the authority, the CA
        SYNCGAP_GRAPH_ENDPOINT: emu.baseUrl,
        SYNCGAP_AUTHORITY_HOST: emu.authorityHost,
        SYNCGAP_CA_CERT: emu.caCertPath,
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        SYNCGAP_EMULATOR_CA: emu.caCertPath,
        AZURE_TENANT_ID: emu.tenantId,
        SYNCGAP_EMULATOR_ADMIN_KEY: emu.adminKey,
      };
      // Sample credentials of the seeded tenant, printed on purpose: they exist only in this local emulator.
      if (app) {
        values.AZURE_CLIENT_ID = app.appId;
        values.AZURE_CLIENT_SECRET = app.secrets[0].value;
      }
      if (admin?.signIn) {
        values.AZURE_USERNAME = admin.data.userPrincipalName;
        values.AZURE_PASSWORD = admin.signIn.password;
      }
      const lines = [
        `# syncgap local tenant "${tenant.displayName}" (pid ${process.pid}).`,
        "# LOCAL ONLY: the client secret and password below are sample credentials of this emulator's seed.",
        ...Object.entries(values).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      ];
      if (opts.writeEnv) {
        // written whole, then renamed: a shell waiting for the file never reads half of it
        mkdirSync(dirname(opts.writeEnv), { recursive: true });
        const tmp = `${opts.writeEnv}.${process.pid}.tmp`;
        writeFileSync(tmp, `${lines.join("\n")}\n`, { mode: 0o600 });
        renameSync(tmp, opts.writeEnv);
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...values, localOnly: true, pid: process.pid })}\n`);
      } else {
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      const stop = async (signal: string) => {
        process.stderr.write(`[emulator] ${signal}: stopping\n`);
        await emu.stop();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    },
  );

const conn = (c: Command) =>
  c
    .option("--url <url>", "emulator base URL (default $SYNCGAP_EMULATOR_URL)")
    .option("--admin-key <key>", "admin key (default $SYNCGAP_EMULATOR_ADMIN_KEY)")
    .option("--ca <file>", "CA certificate file (default $SYNCGAP_EMULATOR_CA or $NODE_EXTRA_CA_CERTS)");

conn(
  program
    .command("sync")
    .description("run one directory sync cycle")
    .option("--initial", "full (Initial) instead of Delta"),
).action(async (opts: { initial?: boolean; url?: string; adminKey?: string; ca?: string }) => {
  const r = await adminFrom(opts).sync(opts.initial ? "Initial" : "Delta");
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
});
conn(program.command("info").description("show the running emulator's tenant, apps and options")).action(
  async (opts) => {
    process.stdout.write(`${JSON.stringify(await adminFrom(opts).info(), null, 2)}\n`);
  },
);
conn(program.command("reset").description("reset the tenant to its seed")).action(async (opts) => {
  process.stdout.write(`${JSON.stringify(await adminFrom(opts).reset())}\n`);
});
conn(program.command("requests").description("print the request log")).action(async (opts) => {
  process.stdout.write(`${JSON.stringify(await adminFrom(opts).requests(), null, 2)}\n`);
});
conn(
  program
    .command("options")
    .description("show or change tenant options")
    .option("--set <json>", "options to change, as JSON"),
).action(async (opts: { set?: string; url?: string; adminKey?: string; ca?: string }) => {
  const admin = adminFrom(opts);
  const r = opts.set ? await admin.setOptions(JSON.parse(opts.set)) : await admin.getOptions();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
});

conn(
  program
    .command("advance-clock")
    .description("move the emulator's clock forward (delta tokens expire after 7 days; audit records are dated by it)")
    .argument("<seconds>", "seconds to add (e.g. 691200 for 8 days)"),
).action(async (seconds: string, opts) => {
  const n = Number(seconds);
  if (!Number.isFinite(n) || n < 0) throw new Error(`seconds must be a number ≥ 0, not '${seconds}'`);
  process.stdout.write(`${JSON.stringify(await adminFrom(opts).advanceClock(n))}\n`);
});
conn(program.command("reset-delta-tokens").description("answer every delta token issued so far with 410 Gone")).action(
  async (opts) => {
    process.stdout.write(`${JSON.stringify(await adminFrom(opts).resetDeltaTokens())}\n`);
  },
);
conn(
  program
    .command("set-feature")
    .description("change sync features out of band, as a named user or app (writes the audit record)")
    .argument("<assignments...>", "NAME=true|false|null")
    .option("--as <upn>", "the user who makes the change")
    .option("--as-app <appId>", "the app that makes the change"),
).action(
  async (
    assignments: string[],
    opts: { as?: string; asApp?: string; url?: string; adminKey?: string; ca?: string },
  ) => {
    const features: Record<string, boolean | null> = {};
    for (const a of assignments) {
      const m = /^([A-Za-z0-9]+)=(true|false|null)$/.exec(a);
      if (!m) throw new Error(`expected NAME=true|false|null, not '${a}'`);
      features[m[1]] = m[2] === "null" ? null : m[2] === "true";
    }
    const as = opts.as ? { userPrincipalName: opts.as } : opts.asApp ? { appId: opts.asApp } : undefined;
    process.stdout.write(`${JSON.stringify(await adminFrom(opts).setFeatures(features, as), null, 2)}\n`);
  },
);
conn(
  program
    .command("flip")
    .description("turn one sync feature to its opposite out of band (audited), e.g. to rehearse drift detection")
    .argument("[name]", "feature name", "bypassDirSyncOverridesEnabled")
    .option("--as <upn>", "the user who makes the change (default: the emulator's admin)"),
).action(async (name: string, opts: { as?: string; url?: string; adminKey?: string; ca?: string }) => {
  const admin = adminFrom(opts);
  const { features } = await admin.syncObject();
  if (!(name in features)) throw new Error(`no sync feature '${name}': one of ${Object.keys(features).join(", ")}`);
  const before = features[name];
  const after = !before;
  const r = await admin.setFeatures({ [name]: after }, opts.as ? { userPrincipalName: opts.as } : undefined);
  process.stdout.write(`${JSON.stringify({ feature: name, before, after: r.features[name] }, null, 2)}\n`);
});
conn(
  program
    .command("cloud-managed")
    .description("move a user's source of authority to the cloud (beta onPremisesSyncBehavior.isCloudManaged)")
    .argument("<user>", "object id or userPrincipalName")
    .option("--off", "move it back to AD (the next sync takes it over)")
    .option("--as <upn>", "the user who makes the change"),
).action(async (user: string, opts: { off?: boolean; as?: string; url?: string; adminKey?: string; ca?: string }) => {
  const as = opts.as ? { userPrincipalName: opts.as } : undefined;
  process.stdout.write(`${JSON.stringify(await adminFrom(opts).setCloudManaged(user, !opts.off, as), null, 2)}\n`);
});
conn(program.command("audit").description("print the directory audit log")).action(async (opts) => {
  process.stdout.write(`${JSON.stringify(await adminFrom(opts).audit(), null, 2)}\n`);
});

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`emulator: ${e.message}\n`);
  process.exit(1);
});
