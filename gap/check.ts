/**
 * The post-deploy gate (`syncgap check`): after `pulumi up`, is the tenant's switch what the stack declares, has a
 * sync run since, and are the mobile numbers in line?
 *   1. read `features.bypassDirSyncOverridesEnabled` (graph/onPremisesSynchronization) and compare with the declared value
 *      (`--expect-bypass`, or the stack output `declaredBypassDirSyncOverridesEnabled`);
 *   2. wait for the next sync: poll `GET /organization` until `onPremisesLastSyncDateTime` is later than `since`
 *      (sync runs every 30 minutes by default; https://learn.microsoft.com/graph/api/resources/organization);
 *   3. run the gap analysis and apply the thresholds.
 */
import { execFile } from "node:child_process";
import type { Client } from "@microsoft/microsoft-graph-client";
import { describeGraphError, permissionHint } from "../graph/errors";
import { getDirectorySync } from "../graph/onPremisesSynchronization";
import { errorText, GapInputError } from "./errors";

export { EXIT } from "./verdict";

export async function readBypassFlag(client: Client): Promise<boolean | null> {
  try {
    const sync = await getDirectorySync(client);
    const v = sync.features.bypassDirSyncOverridesEnabled;
    return typeof v === "boolean" ? v : null;
  } catch (e) {
    throw new GapInputError("Entra ID directory sync settings", errorText(e), undefined, { cause: e });
  }
}

/** When directory sync last ran (null: never, or the tenant is not synced). */
export async function readLastSync(client: Client): Promise<Date | null> {
  let body: { value?: { onPremisesLastSyncDateTime?: string | null }[] };
  try {
    body = await client
      .api("/organization")
      .select(["id", "onPremisesLastSyncDateTime", "onPremisesSyncEnabled"])
      .get();
  } catch (e) {
    throw new GapInputError(
      "Entra ID organization",
      describeGraphError("GET /organization", e, permissionHint("organizationRead")).message,
      undefined,
      {
        cause: e,
      },
    );
  }
  const org = body?.value?.[0];
  if (!org) throw new GapInputError("Entra ID organization", "GET /organization returned no organization");
  const v = org.onPremisesLastSyncDateTime;
  if (!v) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new GapInputError("Entra ID organization", `onPremisesLastSyncDateTime "${v}" is not a date`);
  return d;
}

export interface WaitOptions {
  since: Date;
  timeoutMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onPoll?: (p: { lastSync: Date | null; elapsedMs: number; timeoutMs: number; polls: number }) => void;
}

export interface WaitResult {
  synced: boolean;
  lastSync: Date | null;
  polls: number;
  waitedMs: number;
}

/** Polls until a sync later than `since` is recorded, or the timeout passes. */
export async function waitForSync(client: Client, opts: WaitOptions): Promise<WaitResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const start = now();
  let polls = 0;
  for (;;) {
    const lastSync = await readLastSync(client);
    polls++;
    const elapsedMs = now() - start;
    opts.onPoll?.({ lastSync, elapsedMs, timeoutMs: opts.timeoutMs, polls });
    if (lastSync && lastSync.getTime() > opts.since.getTime())
      return { synced: true, lastSync, polls, waitedMs: elapsedMs };
    if (elapsedMs >= opts.timeoutMs) return { synced: false, lastSync, polls, waitedMs: elapsedMs };
    await sleep(Math.min(opts.pollMs, Math.max(0, opts.timeoutMs - elapsedMs)));
  }
}

/**
 * Reads the declared value from the Pulumi stack's outputs as JSON (`pulumi stack output --json`: the whole outputs
 * object, the command the Automation API's `stack.outputs()` runs, without its `--show-secrets`), never the CLI's
 * text. Why not the Automation API itself (`LocalWorkspace.selectStack(…).outputs()`): it runs the same CLI command,
 * and would pull @pulumi/pulumi's automation module into the `syncgap` bundle (dist/syncgap.cjs) for one call.
 * A stack without the output (never deployed, or a program that does not export it) is reported as such.
 */
export async function declaredBypassFromStack(opts: {
  stack?: string;
  cwd?: string;
  pulumi?: string;
}): Promise<boolean> {
  const args = ["stack", "output", "--json", "--non-interactive", ...(opts.stack ? ["--stack", opts.stack] : [])];
  const source = `Pulumi stack ${opts.stack ?? "(selected)"}${opts.cwd ? ` in ${opts.cwd}` : ""}`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      opts.pulumi ?? "pulumi",
      args,
      { cwd: opts.cwd, timeout: 120_000, maxBuffer: 1 << 20 },
      (err, out, errOut) => {
        if (err) {
          const detail = String(errOut || err.message)
            .trim()
            .split("\n")
            .slice(-3)
            .join(" ");
          reject(
            new GapInputError(
              source,
              `pulumi ${args.join(" ")} failed: ${detail}`,
              "run it after pulumi up, or pass --expect-bypass true|false",
            ),
          );
        } else resolve(out);
      },
    );
  });
  let outputs: unknown;
  try {
    outputs = JSON.parse(stdout);
  } catch {
    throw new GapInputError(source, `pulumi ${args.join(" ")} did not print JSON: ${stdout.slice(0, 80)}`);
  }
  if (!outputs || typeof outputs !== "object" || !("declaredBypassDirSyncOverridesEnabled" in outputs)) {
    throw new GapInputError(
      source,
      "the stack has no output declaredBypassDirSyncOverridesEnabled",
      "run pulumi up of this stack first, or pass --expect-bypass true|false",
    );
  }
  const v = (outputs as Record<string, unknown>).declaredBypassDirSyncOverridesEnabled;
  if (typeof v !== "boolean") {
    throw new GapInputError(
      source,
      `the output declaredBypassDirSyncOverridesEnabled is ${JSON.stringify(v)}, not true or false`,
    );
  }
  return v;
}
