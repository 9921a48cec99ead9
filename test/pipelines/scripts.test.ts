/**
 * The pipeline scripts against a fake `pulumi` (the real CLI is exercised end to end in e2e.test.ts): drift.sh's
 * exit-code handling and logging commands, and common.sh's handling of the agent's environment. The fake prints a
 * text and writes an event log (`--event-log`) recorded from real runs of the pinned CLI (fixtures/pulumi-events,
 * fixtures/pulumi-output); the scripts must take their verdicts from the events, whatever the text says.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLoggingCommand } from "../../tools/pipelines-runner/logging";

const root = path.resolve(__dirname, "..", "..");
const outputs = path.join(__dirname, "fixtures", "pulumi-output");
const eventLogs = path.join(__dirname, "fixtures", "pulumi-events");

/**
 * A folder with a fake pulumi (and the two companions toolchain.sh checks for) that logs its arguments; `preview`
 * prints the text `output` (a file in fixtures/pulumi-output or fixtures/pulumi-events, or literal text) and copies
 * `events` (fixtures/pulumi-events) to its `--event-log` path; `up` prints `upOutput` and exits `upExit`;
 * `stack output --json` prints `stackOutputs`.
 */
function fakePulumi(
  output: string,
  exit: number,
  stackOutputs: Record<string, unknown> = {},
  opts: { events?: string; upOutput?: string; upExit?: number } = {},
) {
  const dir = mkdtempSync(path.join(tmpdir(), "syncgap-fake-pulumi-"));
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  const log = path.join(dir, "calls.log");
  const text = path.join(dir, "preview.txt");
  const known = [path.join(outputs, output), path.join(eventLogs, output)].find((f) => existsSync(f));
  writeFileSync(text, known ? readFileSync(known, "utf8") : output);
  const events = opts.events ? path.join(eventLogs, opts.events) : path.join(dir, "empty.jsonl");
  if (!opts.events) writeFileSync(events, "");
  writeFileSync(path.join(dir, "up.txt"), opts.upOutput ?? "Resources: 1 updated, 1 unchanged\n");
  writeFileSync(
    path.join(bin, "pulumi"),
    [
      "#!/bin/sh",
      `echo "$*" >> '${log}'`,
      'case "$1" in',
      "  version) echo v3.274.1 ;;",
      `  stack) [ "$2" = output ] && echo '${JSON.stringify(stackOutputs)}'; exit 0 ;;`,
      `  up) cat '${path.join(dir, "up.txt")}'; exit ${opts.upExit ?? 0} ;;`,
      // --event-log PATH: the event log this run "wrote".
      `  preview) prev=""; for a in "$@"; do [ "$prev" = --event-log ] && cp '${events}' "$a"; prev="$a"; done`,
      `    cat '${text}'; exit ${exit} ;;`,
      '  *) echo "fake pulumi: unexpected $*" >&2; exit 99 ;;',
      "esac",
      "",
    ].join("\n"),
  );
  for (const f of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
    if (f !== "pulumi") writeFileSync(path.join(bin, f), "#!/bin/sh\nexit 0\n");
    chmodSync(path.join(bin, f), 0o755);
  }
  return { bin, log, staging: path.join(dir, "staging") };
}

function runScript(
  script: string,
  fake: ReturnType<typeof fakePulumi>,
  env: Record<string, string> = {},
  args: string[] = [],
) {
  const r = spawnSync("bash", [path.join(root, "pipelines", "scripts", script), ...args], {
    cwd: root,
    encoding: "utf8",
    env: {
      PATH: `${fake.bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: process.env.HOME ?? "/root",
      TF_BUILD: "True",
      BUILD_SOURCESDIRECTORY: root,
      BUILD_ARTIFACTSTAGINGDIRECTORY: fake.staging,
      SYNCGAP_STACK: "contoso",
      PULUMI_BACKEND_URL: "file:///nonexistent",
      SYNCGAP_CACHE: path.join(fake.staging, "..", "cache"),
      ...env,
    },
  });
  const commands = r.stdout
    .split("\n")
    .map(parseLoggingCommand)
    .filter((c) => c !== undefined);
  return { ...r, commands };
}

describe("drift.sh", () => {
  it("on exit 7 names each drifted property with its live and declared value, then fails the step", () => {
    const fake = fakePulumi("syncgap-drift-exit7.txt", 7, {}, { events: "syncgap-drift-exit7.jsonl" });
    const r = runScript("drift.sh", fake);
    expect(r.status).toBe(1);
    const errors = r.commands.filter((c) => c.command === "task.logissue" && c.properties.type === "error");
    expect(errors.map((c) => c.message)).toEqual([
      "Drift: blockSoftMatchEnabled is false in the tenant, declared true",
      "Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true",
    ]);
    expect(r.commands.at(-1)).toMatchObject({ command: "task.complete", properties: { result: "Failed" } });
    const summary = r.commands.find((c) => c.command === "task.uploadsummary");
    expect(readFileSync(summary?.message as string, "utf8")).toContain(
      "| `bypassDirSyncOverridesEnabled` | false | true |",
    );
    expect(readFileSync(fake.log, "utf8")).toMatch(
      /preview --refresh --expect-no-changes --diff --stack contoso --event-log \S+\.jsonl --non-interactive --color never/,
    );
  });

  it("takes the drift from the event log: a preview text in another format gives the same messages", () => {
    const garbled = "Vorschau (e2e):\n  * DirectoryFeatureSettings [modify]\n    bypass… false → true\n";
    const fake = fakePulumi(garbled, 7, {}, { events: "syncgap-drift-exit7.jsonl" });
    const r = runScript("drift.sh", fake);
    expect(r.status).toBe(1);
    expect(r.commands.filter((c) => c.command === "task.logissue").map((c) => c.message)).toEqual([
      "Drift: blockSoftMatchEnabled is false in the tenant, declared true",
      "Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true",
    ]);
  });

  it("a stack locked by another update is said as such, with the way out", () => {
    const locked =
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n";
    const r = runScript("drift.sh", fakePulumi(locked, 255));
    expect(r.status).toBe(1);
    const [msg] = r.commands.filter((c) => c.command === "task.logissue").map((c) => c.message);
    expect(msg).toMatch(
      /drift could not be checked\) failed \(exit 255\): stack contoso is locked in file:\/\/\/nonexistent/,
    );
    expect(msg).toContain("pulumi cancel --yes --stack contoso");
  });

  it("on exit 0 reports no drift and succeeds", () => {
    const r = runScript("drift.sh", fakePulumi("smoke-nochange-exit0.txt", 0));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("No drift in stack contoso.");
    expect(r.commands.filter((c) => c.command === "task.logissue")).toEqual([]);
  });

  it("on any other exit code fails as 'could not check', not as drift", () => {
    const r = runScript("drift.sh", fakePulumi("smoke-nochange-exit0.txt", 255));
    expect(r.status).toBe(1);
    const messages = r.commands.filter((c) => c.command === "task.logissue").map((c) => c.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/failed with exit code 255: drift could not be checked/);
  });
});

describe("deploy.sh", () => {
  const declared = { declaredBypassDirSyncOverridesEnabled: true, mobilePhoneAuthority: "onPremises" };

  it("refreshes in pulumi up (so an out-of-band change is seen and put back) and checks the tenant holds the value", () => {
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0, {
      ...declared,
      lastSeenBypassDirSyncOverridesEnabled: true,
    });
    const r = runScript("deploy.sh", fake, {}, ["appOnly"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readFileSync(fake.log, "utf8").split("\n");
    expect(calls).toContain("up --refresh --yes --stack contoso --non-interactive --color never");
    expect(calls).toContain("stack output --json --stack contoso");
    expect(r.stdout).toContain("Stack contoso: the tenant holds bypassDirSyncOverridesEnabled = true, as declared.");
    expect(JSON.parse(readFileSync(path.join(fake.staging, "contoso", "outputs.json"), "utf8"))).toMatchObject(
      declared,
    );
  });

  it("fails the step when, after up, the stack's outputs show the tenant without the declared value", () => {
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0, {
      ...declared,
      lastSeenBypassDirSyncOverridesEnabled: false,
    });
    const r = runScript("deploy.sh", fake, {}, ["appOnly"]);
    expect(r.status).toBe(1);
    const errors = r.commands.filter((c) => c.command === "task.logissue").map((c) => c.message);
    expect(errors).toEqual([
      "after pulumi up of stack contoso, bypassDirSyncOverridesEnabled is not the declared value (declared true, the tenant holds false); see up.txt and outputs.json in the artifact",
    ]);
    expect(r.commands.at(-1)).toMatchObject({ command: "task.complete", properties: { result: "Failed" } });
  });
});

describe("preview.sh", () => {
  it("reports the policy verdict from the policyEvent, and the resource counts from the summary event", () => {
    const garbled = "Richtlinien:\n  • MANDATORY mobile-authority-flag\n";
    const fake = fakePulumi(garbled, 1, {}, { events: "syncgap-policy-exit1.jsonl" });
    const r = runScript("preview.sh", fake);
    expect(r.status).toBe(1);
    const issues = r.commands.filter((c) => c.command === "task.logissue");
    expect(issues[0]?.properties.type).toBe("error");
    expect(issues[0]?.message).toMatch(
      /^Policy mobile-authority-flag \(pulumi-nodejs:dynamic\/syncgap:DirectoryFeatureSettings: directory-feature-settings\): DirectoryFeatureSettings must declare/,
    );
    expect(issues.at(-1)?.message).toMatch(/a mandatory policy violation exits 1/);
    const summary = readFileSync(path.join(fake.staging, "contoso", "preview.md"), "utf8");
    expect(summary).toContain("| mandatory | `mobile-authority-flag` |");
    expect(summary).toContain("Resources: 1 unchanged, 1 to update");
  });
});

describe("deploy.sh when pulumi up fails", () => {
  it("names the state backend when it stopped answering (the pinned CLI's panic in gocloud's azureblob writer)", () => {
    const panic = [
      "@ updating....panic: runtime error: invalid memory address or nil pointer dereference",
      "gocloud.dev/blob/azureblob.(*writer).Close(0x802f205d360)",
      "github.com/pulumi/pulumi/pkg/v3/backend/diy.(*diyBackend).saveCheckpoint(…)",
    ].join("\n");
    const url = "azblob://syncgap-state?domain=127.0.0.1:10000&protocol=http&localemu=true";
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0, {}, { upOutput: panic, upExit: 2 });
    const r = runScript("deploy.sh", fake, { PULUMI_BACKEND_URL: url }, ["appOnly"]);
    expect(r.status).toBe(1);
    const [msg] = r.commands.filter((c) => c.command === "task.logissue").map((c) => c.message);
    expect(msg).toBe(
      `pulumi up of stack contoso failed (exit 2): the Pulumi state backend ${url} could not be reached. The stack's state is what its last successful save wrote; once the backend answers, run \`pulumi cancel --yes --stack contoso\` if the stack is still locked, then re-run (docs/pipelines.md#locks-killed-updates-and-backend-outages)`,
    );
  });

  it("any other failure points to up.txt", () => {
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0, {}, { upOutput: "error: something else", upExit: 255 });
    const r = runScript("deploy.sh", fake, {}, ["appOnly"]);
    expect(r.status).toBe(1);
    expect(r.commands.find((c) => c.command === "task.logissue")?.message).toBe(
      "pulumi up of stack contoso failed (exit 255); see up.txt in the artifact",
    );
  });
});

describe("common.sh", () => {
  it("azblob:// state: the account for the shared key comes from the URL's storage_account; a key without an account fails", () => {
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0);
    const probe = path.join(fake.staging, "..", "probe-azblob.sh");
    writeFileSync(
      probe,
      `. '${path.join(root, "pipelines", "scripts", "common.sh")}'\necho "account=$AZURE_STORAGE_ACCOUNT"\n`,
    );
    const run = (env: Record<string, string>) =>
      spawnSync("bash", [probe], {
        cwd: root,
        encoding: "utf8",
        env: {
          PATH: `${fake.bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
          HOME: process.env.HOME ?? "/root",
          BUILD_SOURCESDIRECTORY: root,
          BUILD_ARTIFACTSTAGINGDIRECTORY: fake.staging,
          SYNCGAP_STACK: "contoso",
          ...env,
        },
      });
    const withAccount = run({
      PULUMI_BACKEND_URL: "azblob://syncgap-state?storage_account=contosostate",
      SYNCGAP_KV_AZURE_STORAGE_KEY: "a2V5",
    });
    expect(withAccount.stdout).toContain("account=contosostate");
    const noAccount = run({ PULUMI_BACKEND_URL: "azblob://syncgap-state", AZURE_STORAGE_KEY: "a2V5" });
    expect(noAccount.status).toBe(1);
    expect(noAccount.stdout).toContain("AZURE_STORAGE_KEY is set but not the account it belongs to");
    expect(noAccount.stdout + noAccount.stderr).not.toContain("a2V5");
  });

  it("fails with a clear message when the state backend is not set (never the Pulumi Cloud by default)", () => {
    const r = runScript("drift.sh", fakePulumi("smoke-nochange-exit0.txt", 0), { PULUMI_BACKEND_URL: "" });
    expect(r.status).toBe(1);
    expect(r.commands[0]?.message).toMatch(/^PULUMI_BACKEND_URL is not set/);
  });

  it("drops unexpanded macros, takes the identity from the service connection and secrets from Key Vault names", () => {
    const fake = fakePulumi("smoke-nochange-exit0.txt", 0);
    const probe = path.join(fake.staging, "..", "probe.sh");
    writeFileSync(
      probe,
      [
        `. '${path.join(root, "pipelines", "scripts", "common.sh")}'`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions
        'echo "token=${SYSTEM_ACCESSTOKEN-unset} secret=${AZURE_CLIENT_SECRET-unset} kept=$KEPT"',
        'echo "client=$SYNCGAP_CLIENT_ID tenant=$SYNCGAP_TENANT_ID"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions
        'echo "passphrase=$PULUMI_CONFIG_PASSPHRASE ad=${SYNCGAP_AD_PASSWORD-unset} kv=${SYNCGAP_KV_PULUMI_CONFIG_PASSPHRASE-gone}"',
        "",
      ].join("\n"),
    );
    const r = spawnSync("bash", [probe], {
      cwd: root,
      encoding: "utf8",
      env: {
        PATH: `${fake.bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: process.env.HOME ?? "/root",
        BUILD_SOURCESDIRECTORY: root,
        BUILD_ARTIFACTSTAGINGDIRECTORY: fake.staging,
        SYNCGAP_STACK: "contoso",
        PULUMI_BACKEND_URL: "file:///nonexistent",
        SYSTEM_ACCESSTOKEN: "$(System.AccessToken)",
        AZURE_CLIENT_SECRET: "$(AZURE_CLIENT_SECRET)",
        KEPT: "a $(b) c",
        AZURESUBSCRIPTION_CLIENT_ID: "client-from-connection",
        tenantId: "tenant-from-spn",
        PULUMI_CONFIG_PASSPHRASE: "$(PULUMI_CONFIG_PASSPHRASE)",
        SYNCGAP_KV_PULUMI_CONFIG_PASSPHRASE: "from-key-vault",
        SYNCGAP_KV_SYNCGAP_AD_PASSWORD: "$(syncgap-ad-password)",
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("token=unset secret=unset kept=a $(b) c");
    expect(r.stdout).toContain("client=client-from-connection tenant=tenant-from-spn");
    // A secret under its Key Vault name stands in for a missing variable-group one.
    expect(r.stdout).toContain("passphrase=from-key-vault ad=unset kv=gone");
  });
});
