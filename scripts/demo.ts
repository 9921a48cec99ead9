/**
 * The README's main command (`bash scripts/demo.sh` runs this with Node 22 and the Pulumi CLI on PATH):
 * syncgap's whole loop on the embedded default — the local tenant — without root and without a real tenant.
 *
 *   1. start the local tenant (emulator/seeds/contoso.json) whose directory sync reads AD — a real Samba AD DC with
 *      the demo users when this machine can run one (root: Samba listens on 389/636; scripts/samba-dc.sh installs
 *      it), else the bundled export of the same users (test/fixtures/ad/demo.ldif) — and run an initial sync;
 *   2. edit some synced users' mobile numbers in the cloud, as a Global Administrator through Graph: each edit
 *      is a DirSync override, so AD's number stops flowing (the problem syncgap exists for);
 *   3. `syncgap gap`: the gap report *before* (out/demo/before), and how many cloud numbers AD authority would lose;
 *   4. with the DC: `syncgap backfill plan` (every cloud number kept, as a reviewer would decide) and
 *      `syncgap backfill apply` with an account granted only "Write mobile" (docs/backfill.md); an export cannot be
 *      written, so without the DC these steps say so and the loss is shown instead;
 *   5. `pulumi preview --policy-pack policies`: the pull-request gate, with the impact of the change (in no-loss mode
 *      against the applied plan, with the DC);
 *   6. `pulumi up`: bypassDirSyncOverridesEnabled=true (AD authoritative);
 *   7. a sync cycle (Initial, as Microsoft recommends after turning the switch on);
 *   8. `syncgap check`: the post-deploy gate, reports *after* (out/demo/after), and the cloud numbers of before
 *      compared with Entra ID's after: how many were lost.
 * Pulumi state goes to a file backend in out/demo/state; nothing reaches the internet.
 *
 * `--keep` leaves the local tenant running afterwards (until Ctrl-C or SIGTERM), with its CA kept in
 * out/demo/emulator, writes everything another shell needs into out/demo/tenant.env (PATH with node and pulumi, the
 * file backend, the passphrase, the tenant's endpoints and local-only sample credentials) and prints the commands
 * to preview, drift (`emulator/cli.ts flip`: the switch turned out of band) and repair. Without it the tenant stops
 * at the end, so Pulumi commands against the demo stack have nothing to talk to; the last lines say so.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "ldapts";
import { sidBytesToString } from "../ad/ids";
import { emulatorConnection, emulatorEnv, ldapSyncSource, startEmulator } from "../emulator";
import { PhoneNormalizer } from "../gap/phone";
import { createGraphConnection } from "../graph/client";
import { validateConnection } from "../graph/connection";
import { grantWriteMobile, type SambaDc, startSambaDc } from "../test/support/sambaDc";
import { ensureBuilt, PROGRAM_FILES } from "./bundles.cjs";

const root = path.resolve(__dirname, "..");
const keep = process.argv.includes("--keep");
// SYNCGAP_DEMO_OUT: another folder for the demo's state, reports and project (a test's own, next to a demo run)
const out = process.env.SYNCGAP_DEMO_OUT ? path.resolve(process.env.SYNCGAP_DEMO_OUT) : path.join(root, "out", "demo");
const ldif = path.join(root, "test", "fixtures", "ad", "demo.ldif");
const seed = JSON.parse(readFileSync(path.join(root, "emulator", "seeds", "contoso.json"), "utf8"));
const admin = seed.users.find((u: { directoryRoles?: string[] }) => u.directoryRoles?.includes("Global Administrator"));
const app = seed.applications[0];

/** Cloud edits made in step 2: (user, number typed in the portal; null clears it). */
const CLOUD_EDITS: [string, string | null][] = [
  ["alice.baker@corp.example.test", "+1 206 555 0199"], // another number: ValueMismatch
  ["carol.diaz@corp.example.test", "+14255550777"], // AD has none: CloudOnly
  ["bob.chen@corp.example.test", "+14255550101"], // AD has +1 425 555 0101: FormatOnly
  ["ken.jones@corp.example.test", null], // cleared in the cloud: MissingInEntra
];

const STEPS = 8;
const step = (n: number, text: string) => console.log(`\n\x1b[1m[${n}/${STEPS}] ${text}\x1b[0m`);
/** The sync scope of the DC's demo users (test/fixtures/ad/seedData.ts). */
const DEMO_OU = "OU=Demo,OU=Corp Users,DC=corp,DC=example,DC=test";

/** A Samba DC with the demo users when this machine can run one (root), else undefined and why not. */
async function demoDc(): Promise<SambaDc | undefined> {
  if (process.env.SYNCGAP_DEMO_AD === "ldif") return undefined;
  if (process.getuid?.() !== 0) {
    console.log(
      "  (not root: Samba's LDAP ports need it, so AD is the bundled export and the back-fill, which writes to a DC, is skipped)",
    );
    return undefined;
  }
  try {
    return await startSambaDc({ address: "127.0.0.6", users: 0 });
  } catch (e) {
    console.log(
      `  (no Samba DC: ${(e as Error).message.split("\n")[0]}; AD is the bundled export, the back-fill is skipped)`,
    );
    return undefined;
  }
}

/** The account's own objectSid (it may read itself), for the "Write mobile" grant. */
async function ownSid(dc: SambaDc): Promise<string> {
  const client = new Client({ url: dc.url, tlsOptions: { ca: dc.caPem }, timeout: 30_000 });
  try {
    await client.bind(dc.bindDN, dc.password);
    const { searchEntries } = await client.search(dc.bindDN, {
      scope: "base",
      attributes: ["objectSid"],
      explicitBufferAttributes: ["objectSid"],
    });
    return sidBytesToString(searchEntries[0]?.objectSid as Buffer);
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Entra ID's mobile numbers by UPN (the cloud side of "was a number lost?"). */
async function entraMobiles(admin: {
  users(p: { synced: boolean; limit: number }): Promise<{ users: { user: Record<string, unknown> }[] }>;
}) {
  const { users } = await admin.users({ synced: true, limit: 10_000 });
  return new Map(
    users
      .map((u) => u.user as { userPrincipalName: string; mobilePhone?: string | null })
      .filter((u) => u.mobilePhone)
      .map((u) => [u.userPrincipalName, u.mobilePhone as string]),
  );
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; allow?: number[] } = {}) {
  console.log(`$ ${[cmd, ...args].join(" ")}`);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, env: opts.env, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code) => {
      const allowed = opts.allow ?? [0];
      if (code !== null && allowed.includes(code)) resolve(code);
      else reject(new Error(`${cmd} ${args[0]} exited ${code} (expected ${allowed.join(" or ")})`));
    });
  });
}

function summary(dir: string): Record<string, number> {
  const report = JSON.parse(readFileSync(path.join(dir, "gap-report.json"), "utf8"));
  return report.summary.counts;
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  step(1, "Local tenant: start, and sync from AD");
  const dc = await demoDc();
  const syncSource = dc ? ldapSyncSource(dc, [DEMO_OU]) : ({ kind: "ldif", path: ldif } as const);
  console.log(dc ? `  AD: Samba AD DC ${dc.url} (${DEMO_OU})` : `  AD: the export ${path.relative(root, ldif)}`);
  // --keep: the CA and signing key live in out/demo/emulator, so the paths in tenant.env stay valid as long as the
  // tenant runs
  const emu = await startEmulator({
    seed: { ...seed, syncSource },
    ...(keep ? { stateDir: path.join(out, "emulator") } : {}),
  });
  try {
    const first = await emu.admin.sync("Initial");
    console.log(`local tenant ${emu.tenantId} at ${emu.baseUrl}; initial sync: ${JSON.stringify(first)}`);

    // Everything below talks to the emulator the way it would talk to Microsoft: same clients, other URLs,
    // the emulator's CA trusted (never TLS verification off).
    const signIn = { clientId: app.appId, authMethod: "usernamePassword", username: admin.userPrincipalName } as const;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...emulatorEnv(emu, signIn),
      AZURE_PASSWORD: admin.password, // the emulator's seeded, local-only admin
      PULUMI_BACKEND_URL: `file://${path.join(out, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "syncgap-local-demo",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      ...(dc ? { SYNCGAP_AD_PASSWORD: dc.password } : {}),
    };
    mkdirSync(path.join(out, "state"), { recursive: true });

    step(2, "Cloud edits of synced users' mobile numbers (each one a DirSync override)");
    process.env.AZURE_PASSWORD = admin.password;
    const { client } = createGraphConnection(validateConnection(emulatorConnection(emu, signIn)));
    for (const [upn, number] of CLOUD_EDITS) {
      await client.api(`/users/${encodeURIComponent(upn)}`).patch({ mobilePhone: number });
      console.log(`  PATCH /users/${upn} mobilePhone=${JSON.stringify(number)}`);
    }
    await emu.admin.sync("Delta");
    console.log("  a delta sync ran: the overrides keep the cloud values (bypassDirSyncOverridesEnabled is false)");

    const adArgs = dc
      ? ["--ad-url", dc.url, "--ad-bind-dn", dc.bindDN, "--ad-base-dn", DEMO_OU, "--ad-ca-cert", dc.caCertPath]
      : ["--ad-ldif", ldif];
    const gapArgs = [...adArgs, "--entra-graph", "--default-region", "US", "--quiet"];
    const syncgap = path.join(root, "bin", "syncgap");
    step(3, "Gap report before (exit 1 means gaps were found)");
    await run(syncgap, ["gap", ...gapArgs, "--out", path.join(out, "before")], { env, allow: [1] });
    const before = summary(path.join(out, "before"));
    const cloudBefore = await entraMobiles(emu.admin);
    console.log(
      `  turning AD authority on now would lose ${(before.CloudOnly ?? 0) + (before.ValueMismatch ?? 0)} cloud-entered numbers ` +
        `(${before.CloudOnly ?? 0} cleared: AD has none; ${before.ValueMismatch ?? 0} overwritten: AD has another)`,
    );

    const planDir = path.join(out, "backfill");
    step(4, "Back-fill: plan, review, apply (the cloud numbers go into AD first)");
    if (dc) {
      // --prefer cloud stands in for the reviewer who opens backfill-plan.csv in Excel and keeps every cloud number
      await run(syncgap, ["backfill", "plan", ...adArgs, "--entra-graph", "--prefer", "cloud", "--out", planDir], {
        env,
      });
      await grantWriteMobile(dc, DEMO_OU, await ownSid(dc));
      console.log(`  granted ${dc.bindDN} "Write mobile" on ${DEMO_OU} (samba-tool dsacl), nothing more`);
      await run(
        syncgap,
        [
          "backfill",
          "apply",
          "--plan",
          path.join(planDir, "backfill-plan.json"),
          "--ad-url",
          dc.url,
          "--ad-bind-dn",
          dc.bindDN,
          "--ad-ca-cert",
          dc.caCertPath,
        ],
        { env },
      );
    } else {
      console.log("  skipped: the back-fill writes to a DC, and this run reads an export (run as root for a Samba DC)");
    }

    // The stack runs from a copy, so `pulumi stack init` never rewrites the repository's Pulumi.dev.yaml.
    const project = path.join(out, "project");
    const failed = ensureBuilt(root);
    if (failed) throw new Error(failed);
    for (const f of [...PROGRAM_FILES, "Pulumi.dev.yaml"]) {
      cpSync(path.join(root, f), path.join(project, f), { recursive: true });
    }
    if (!existsSync(path.join(project, "node_modules"))) {
      symlinkSync(path.join(root, "node_modules"), path.join(project, "node_modules"), "dir");
    }
    const policyConfig = path.join(out, "policy-config.json");
    writeFileSync(
      policyConfig,
      JSON.stringify(
        {
          "mobile-authority-flag": { authority: "onPremises" },
          "mobile-gap-impact": dc
            ? {
                // no-loss mode: every number the switch would lose must be settled by the applied plan
                enforcementLevel: "mandatory",
                noLoss: { plan: path.join(planDir, "backfill-plan.json") },
                ad: { kind: "ldap", url: dc.url, bindDN: dc.bindDN, baseDNs: [DEMO_OU], caCertPath: dc.caCertPath },
              }
            : { enforcementLevel: "advisory", maxOverwrites: 0, ad: { kind: "ldif", path: ldif } },
        },
        null,
        2,
      ),
    );
    await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: project, env });

    step(5, "Pull-request gate: pulumi preview with the policy pack");
    await run(
      "pulumi",
      [
        "preview",
        "--non-interactive",
        "--policy-pack",
        path.join(root, "policies"),
        "--policy-pack-config",
        policyConfig,
      ],
      { cwd: project, env },
    );

    step(6, "pulumi up: bypassDirSyncOverridesEnabled = true (on-prem AD authoritative)");
    const deployedAt = new Date().toISOString();
    await run("pulumi", ["up", "--refresh", "--yes", "--skip-preview", "--non-interactive"], { cwd: project, env });

    step(7, "Directory sync (Initial, as Microsoft recommends after turning the switch on)");
    console.log(`  ${JSON.stringify(await emu.admin.sync("Initial"))}`);

    step(8, "Post-deploy gate: syncgap check");
    await run(
      syncgap,
      [
        "check",
        ...gapArgs,
        "--expect-bypass",
        "true",
        "--since",
        deployedAt,
        "--poll-interval",
        "1",
        "--sync-timeout",
        "60",
        "--out",
        path.join(out, "after"),
      ],
      { env },
    );
    const after = summary(path.join(out, "after"));

    console.log("\nGap by category, before → after:");
    for (const k of Object.keys({ ...before, ...after })) {
      console.log(`  ${k.padEnd(15)} ${String(before[k] ?? 0).padStart(4)} → ${after[k] ?? 0}`);
    }
    const cloudAfter = await entraMobiles(emu.admin);
    // the same number in another spelling (FormatOnly: AD's wins) is kept, not lost
    const phones = new PhoneNormalizer("US");
    const same = (a: string, b: string | undefined) =>
      b !== undefined && phones.normalize(a).key === phones.normalize(b).key;
    const lost = [...cloudBefore].filter(([upn, n]) => !same(n, cloudAfter.get(upn))).map(([upn]) => upn);
    console.log(
      `\nCloud numbers of before still in Entra ID after: ${cloudBefore.size - lost.length} of ${cloudBefore.size}; lost: ${lost.length}` +
        (lost.length ? ` (${lost.join(", ")}${dc ? "" : ": no back-fill without a DC"})` : ""),
    );
    if (dc) console.log(`Back-fill plan, apply report and undo file: ${planDir}`);
    console.log(`Reports: ${path.join(out, "before")} and ${path.join(out, "after")}`);
    console.log(`HTML report: ${path.join(out, "after", "gap-report.html")}`);
    console.log(`\nPulumi project of the demo: ${project} (stack dev)`);
    console.log(`Pulumi state: ${path.join(out, "state")} (file backend, passphrase "syncgap-local-demo")`);
    if (!keep) {
      console.log(
        "The local tenant has stopped, so Pulumi commands against this stack have nothing to talk to: run\n" +
          "  bash scripts/demo.sh --keep\nto keep it running and get the commands to preview, drift and repair.",
      );
      return;
    }
    const tenantEnv = path.join(out, "tenant.env");
    const shared: Record<string, string> = {
      PATH: [path.dirname(process.execPath), ...(process.env.PATH ?? "").split(path.delimiter)]
        .filter((d, i, all) => d && all.indexOf(d) === i)
        .join(path.delimiter),
      ...Object.fromEntries(
        Object.entries(env).filter(
          ([k, v]) =>
            v !== undefined && (/^(SYNCGAP_|PULUMI_)/.test(k) || ["NODE_EXTRA_CA_CERTS", "AZURE_PASSWORD"].includes(k)),
        ) as [string, string][],
      ),
      SYNCGAP_EMULATOR_URL: emu.baseUrl,
      SYNCGAP_EMULATOR_ADMIN_KEY: emu.adminKey,
      SYNCGAP_EMULATOR_CA: emu.caCertPath,
    };
    const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    writeFileSync(
      tenantEnv,
      [
        "# The demo's local tenant and Pulumi stack (LOCAL ONLY: the password is the emulator's sample admin's).",
        ...Object.entries(shared).map(([k, v]) => `export ${k}=${q(v)}`),
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    const emulatorCli = path.join(root, "emulator", "cli.ts");
    console.log(
      [
        "",
        `The local tenant keeps running (${emu.baseUrl}) until Ctrl-C here. In another shell:`,
        "",
        `  . ${tenantEnv}`,
        `  cd ${project}`,
        "  pulumi preview --refresh --expect-no-changes      # exit 0: the tenant matches the declaration",
        `  ${tsx} ${emulatorCli} flip                          # someone turns the switch off out of band`,
        "  pulumi preview --refresh --expect-no-changes      # exit 7: drift (what the nightly pipeline reports)",
        "  pulumi up --refresh --yes                         # repair: the switch is PATCHed back",
        "",
        `ready: ${tenantEnv}`,
      ].join("\n"),
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    console.log("stopping the local tenant");
  } finally {
    await emu.stop();
    await dc?.stop();
  }
}

main().catch((e) => {
  console.error(`\ndemo failed: ${(e as Error).message}`);
  process.exit(1);
});
