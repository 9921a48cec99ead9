/**
 * The README's main command (`bash scripts/demo.sh` runs this with Node 22 and the Pulumi CLI on PATH):
 * syncgap's whole loop on the embedded default — the local tenant — without root and without a real tenant.
 *
 *   1. start the local tenant (emulator/seeds/contoso.json) whose directory sync reads the bundled AD export
 *      (test/fixtures/ad/demo.ldif), and run an initial sync;
 *   2. edit some synced users' mobile numbers in the cloud, as a Global Administrator through Graph: each edit
 *      is a DirSync override, so AD's number stops flowing (the problem syncgap exists for);
 *   3. `syncgap gap`: the gap report *before* (out/demo/before);
 *   4. `pulumi preview --policy-pack policies`: the pull-request gate, with the impact of the change;
 *   5. `pulumi up`: bypassDirSyncOverridesEnabled=true (AD authoritative);
 *   6. a sync cycle (Initial, as Microsoft recommends after turning the switch on);
 *   7. `syncgap check`: the post-deploy gate, reports *after* (out/demo/after).
 * Pulumi state goes to a file backend in out/demo/state; nothing reaches the internet.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { emulatorConnection, emulatorEnv, startEmulator } from "../emulator";
import { validateConnection } from "../providers/connection";
import { createGraphConnection } from "../providers/graphClient";

const root = path.resolve(__dirname, "..");
const out = path.join(root, "out", "demo");
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

const step = (n: number, text: string) => console.log(`\n\x1b[1m[${n}/7] ${text}\x1b[0m`);

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

  step(1, "Local tenant: start, and sync the bundled AD export");
  const emu = await startEmulator({ seed: { ...seed, syncSource: { kind: "ldif", path: ldif } } });
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

    const gapArgs = ["--ad-ldif", ldif, "--entra-graph", "--default-region", "US", "--quiet"];
    step(3, "Gap report before (exit 1 means gaps were found)");
    await run(path.join(root, "bin", "syncgap"), ["gap", ...gapArgs, "--out", path.join(out, "before")], {
      env,
      allow: [1],
    });
    const before = summary(path.join(out, "before"));

    // The stack runs from a copy, so `pulumi stack init` never rewrites the repository's Pulumi.dev.yaml.
    const project = path.join(out, "project");
    for (const f of [
      "index.ts",
      "Pulumi.yaml",
      "Pulumi.dev.yaml",
      "package.json",
      "tsconfig.json",
      "providers",
      "schemas",
    ]) {
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
          "mobile-gap-impact": { enforcementLevel: "advisory", maxOverwrites: 0, ad: { kind: "ldif", path: ldif } },
        },
        null,
        2,
      ),
    );
    await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: project, env });

    step(4, "Pull-request gate: pulumi preview with the policy pack");
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

    step(5, "pulumi up: bypassDirSyncOverridesEnabled = true (on-prem AD authoritative)");
    const deployedAt = new Date().toISOString();
    await run("pulumi", ["up", "--refresh", "--yes", "--skip-preview", "--non-interactive"], { cwd: project, env });

    step(6, "Directory sync (Initial, as Microsoft recommends after turning the switch on)");
    console.log(`  ${JSON.stringify(await emu.admin.sync("Initial"))}`);

    step(7, "Post-deploy gate: syncgap check");
    await run(
      path.join(root, "bin", "syncgap"),
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
    console.log(`\nPulumi state: ${path.join(out, "state")} (stack dev, passphrase "syncgap-local-demo")`);
    console.log(`Reports: ${path.join(out, "before")} and ${path.join(out, "after")}`);
    console.log(`HTML report: ${path.join(out, "after", "gap-report.html")}`);
  } finally {
    await emu.stop();
  }
}

main().catch((e) => {
  console.error(`\ndemo failed: ${(e as Error).message}`);
  process.exit(1);
});
