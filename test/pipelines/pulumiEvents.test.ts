/**
 * Reading Pulumi's results as events (pipelines/scripts/pulumiEvents.ts), compared with what the text parser the
 * pipelines used before (test/pipelines/support/previewText.ts) made of the same runs: the messages must not change.
 *   - fixtures/pulumi-events/syncgap-*: one run each of the pinned CLI (v3.274.1) on syncgap's program against the
 *     local tenant, with the text output (.txt) and the `--event-log` (.jsonl) of that same run. Debug diagnostics
 *     are left out and the serialized dynamic provider (`__provider`) is replaced by a placeholder; nothing else
 *     was edited. The drift run: after `pulumi up` declaring bypassDirSyncOverridesEnabled and
 *     blockSoftMatchEnabled true, both were turned off in the tenant, then `pulumi preview --refresh
 *     --expect-no-changes --diff --event-log`. The policy run: `syncgap:mobilePhoneAuthority cloud` previewed with
 *     the policy pack configured for authority onPremises.
 *   - the smoke project (test/fixtures/smoke) is run here and now with the real CLI, text and events side by side.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logIssue } from "../../gap/azdo";
import {
  changesFromEvents,
  changesMarkdown,
  driftFromEvents,
  driftMarkdown,
  driftMessage,
  type EngineEvent,
  lastSuccessfulUpdate,
  main,
  outputsVerdict,
  parseEventLog,
  policyFromEvents,
  policyIssue,
} from "../../pipelines/scripts/pulumiEvents";
import { PulumiSession, stageProject } from "../support/pulumi";
import { parseDrift, parsePolicyViolations } from "./support/previewText";

const fixture = (name: string) => readFileSync(path.join(__dirname, "fixtures", "pulumi-events", name), "utf8");
const fixturePath = (name: string) => path.join(__dirname, "fixtures", "pulumi-events", name);
const SETTINGS = "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings";

/** Today's (pre-issue-19) drift messages, from the text. */
const textDriftMessages = (text: string) => parseDrift(text).map(driftMessage);
/** Today's policy logging-command messages, from the text (the format preview.sh printed). */
const textPolicyMessages = (text: string) =>
  parsePolicyViolations(text).map((v) => ({
    type: v.level === "advisory" ? "warning" : "error",
    message: `Policy ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`,
  }));

describe("drift from the event log of pulumi preview --refresh --expect-no-changes", () => {
  const events = parseEventLog(fixture("syncgap-drift-exit7.jsonl"));

  it("names each drifted property with the tenant's value and the declared one", () => {
    expect(driftFromEvents(events)).toEqual([
      {
        resource: `${SETTINGS} directory-feature-settings`,
        property: "blockSoftMatchEnabled",
        live: "false",
        declared: "true",
      },
      {
        resource: `${SETTINGS} directory-feature-settings`,
        property: "bypassDirSyncOverridesEnabled",
        live: "false",
        declared: "true",
      },
    ]);
  });

  it("gives the text parser's message for the same run, and the one it missed (the refresh part and outputs are not drift)", () => {
    const fromText = textDriftMessages(fixture("syncgap-drift-exit7.txt"));
    // The CLI pads property names to align the colons (`~ blockSoftMatchEnabled        : false => true`); the old
    // regex wanted `name:` and silently dropped every drifted property but the longest-named one.
    expect(fromText).toEqual(["Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true"]);
    const fromEvents = driftFromEvents(events).map(driftMessage);
    expect(fromEvents).toEqual(expect.arrayContaining(fromText));
    expect(fromEvents).toContain("Drift: blockSoftMatchEnabled is false in the tenant, declared true");
  });

  it("does not read the text at all: a preview whose display changed yields the same messages", () => {
    // What a future CLI might print instead: other arrows, other headers, no "~ name: old => new" lines.
    const garbled = fixture("syncgap-drift-exit7.txt")
      .replace(/=>/g, "→")
      .replace(/\(update\)/g, "[modify]")
      .replace(/~/g, "*");
    expect(textDriftMessages(garbled)).toEqual([]); // the old parser would have found no drift
    expect(driftFromEvents(events).map(driftMessage)).toEqual([
      "Drift: blockSoftMatchEnabled is false in the tenant, declared true",
      "Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true",
    ]);
  });

  it("uses detailedDiff when a provider gives one (added, deleted and nested properties)", () => {
    const step: EngineEvent = {
      resourcePreEvent: {
        metadata: {
          op: "update",
          urn: "urn:pulumi:s::p::azure-native:storage:StorageAccount::acct",
          type: "azure-native:storage:StorageAccount",
          old: { inputs: { sku: { name: "Standard_LRS" }, minimumTlsVersion: "TLS1_0", tags: { a: "1" } } },
          new: { inputs: { sku: { name: "Standard_GRS" }, allowBlobPublicAccess: false, tags: {} } },
          detailedDiff: {
            "sku.name": { kind: "update", inputDiff: true },
            allowBlobPublicAccess: { kind: "add", inputDiff: true },
            minimumTlsVersion: { kind: "delete", inputDiff: true },
          },
        },
      },
    };
    expect(driftFromEvents([step]).map(driftMessage)).toEqual([
      "Drift: sku.name is Standard_LRS in the tenant, declared Standard_GRS",
      "Drift: allowBlobPublicAccess is not set in the tenant, declared false",
      "Drift: minimumTlsVersion is TLS1_0 in the tenant, no longer declared",
    ]);
  });

  it("counts the preview's resource changes from its summary event", () => {
    expect(changesFromEvents(events)).toEqual({ same: 1, update: 1 });
    expect(changesMarkdown(changesFromEvents(events))).toBe("Resources: 1 unchanged, 1 to update\n");
    expect(changesMarkdown(undefined)).toMatch(/did not finish/);
  });

  it("refuses a truncated event log instead of reporting no drift", () => {
    const cut = fixture("syncgap-drift-exit7.jsonl").slice(0, 500);
    expect(() => parseEventLog(cut)).toThrow(/line 1 is not JSON|not JSON/);
  });

  it("summarizes the drift as a Markdown table", () => {
    const md = driftMarkdown(driftFromEvents(events), "contoso");
    expect(md).toContain("## Drift in stack `contoso`");
    expect(md).toContain("| `bypassDirSyncOverridesEnabled` | false | true |");
    expect(driftMarkdown([], "contoso")).toContain("No drift");
  });
});

describe("policy verdicts from policyEvent", () => {
  const events = parseEventLog(fixture("syncgap-policy-exit1.jsonl"));

  it("reads level, severity, policy, pack, resource and message", () => {
    const [v, ...rest] = policyFromEvents(events);
    expect(rest).toEqual([]);
    expect(v).toMatchObject({
      level: "mandatory",
      severity: "critical",
      policy: "mobile-authority-flag",
      pack: "syncgap",
      resource: `${SETTINGS}: directory-feature-settings`,
    });
    expect(v?.message).toMatch(
      /^DirectoryFeatureSettings must declare .* declares bypassDirSyncOverridesEnabled = false/,
    );
  });

  it("gives the same logging commands as the text parser did for the same run", () => {
    const fromText = textPolicyMessages(fixture("syncgap-policy-exit1.txt"));
    expect(fromText).toHaveLength(1);
    expect(policyFromEvents(events).map(policyIssue)).toEqual(fromText);
  });

  it("does not depend on the text: a Policies section in another layout changes nothing", () => {
    const garbled = fixture("syncgap-policy-exit1.txt").replace(/- \[mandatory\]/g, "• MANDATORY");
    expect(textPolicyMessages(garbled)).toEqual([]);
    expect(policyFromEvents(events).map(policyIssue)).toEqual(textPolicyMessages(fixture("syncgap-policy-exit1.txt")));
  });

  it("an advisory or excepted violation is a warning; a disabled one is nothing", () => {
    const ev = (enforcementLevel: string, extra: object = {}): EngineEvent => ({
      policyEvent: { message: "m\n", policyName: "p", enforcementLevel, ...extra },
    });
    expect(policyFromEvents([ev("advisory")]).map(policyIssue)).toEqual([{ type: "warning", message: "Policy p: m" }]);
    expect(policyFromEvents([ev("warning")]).map((v) => v.level)).toEqual(["advisory"]);
    expect(policyFromEvents([ev("none")])).toEqual([]);
    expect(
      policyFromEvents([ev("mandatory", { exceptions: [{ id: "EXC-1", reason: "r" }] })]).map(policyIssue),
    ).toEqual([{ type: "warning", message: "Policy p: m (excepted: EXC-1)" }]);
  });
});

describe("JSON output: stack history and stack outputs", () => {
  it("finds the end of the last successful update (history is newest first)", () => {
    const history = [
      { kind: "refresh", result: "succeeded", endTime: "2026-01-03T00:00:00Z" },
      { kind: "update", result: "failed", endTime: "2026-01-02T00:00:00Z" },
      { kind: "update", result: "succeeded", endTime: "2026-01-01T00:00:00Z" },
    ];
    expect(lastSuccessfulUpdate(history)).toBe("2026-01-01T00:00:00Z");
    expect(lastSuccessfulUpdate([])).toBeUndefined();
    expect(() => lastSuccessfulUpdate({ not: "a list" })).toThrow(/did not return a list/);
  });

  it("passes outputs only when the tenant holds the declared boolean", () => {
    expect(
      outputsVerdict({ declaredBypassDirSyncOverridesEnabled: true, lastSeenBypassDirSyncOverridesEnabled: true }),
    ).toEqual({ ok: true, value: true });
    expect(
      outputsVerdict({ declaredBypassDirSyncOverridesEnabled: true, lastSeenBypassDirSyncOverridesEnabled: false }),
    ).toEqual({ ok: false, detail: "declared true, the tenant holds false" });
    expect(outputsVerdict({})).toEqual({ ok: false, detail: "declared undefined, the tenant holds undefined" });
  });

  it("the command line prints the logging commands and `found N`", () => {
    const lines: string[] = [];
    expect(main(["drift", fixturePath("syncgap-drift-exit7.jsonl")], (s) => lines.push(s))).toBe(0);
    expect(lines.join("")).toBe(
      `${logIssue("error", "Drift: blockSoftMatchEnabled is false in the tenant, declared true")}\n` +
        `${logIssue("error", "Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true")}\nfound 2\n`,
    );
    expect(logIssue("error", "a%b\nc")).toBe("##vso[task.logissue type=error;]a%AZP25b␊c");
  });

  it("--evidence adds who changed the switch and when to its drift line and the summary", () => {
    const lines: string[] = [];
    const md = path.join(os.tmpdir(), `syncgap-drift-${process.pid}.md`);
    const evidence =
      "bypassDirSyncOverridesEnabled true → false changed at 2026-12-02T01:00:00.000Z by user eve@corp.example.test";
    main(["drift", fixturePath("syncgap-drift-exit7.jsonl"), "--evidence", evidence, "--markdown", md], (s) =>
      lines.push(s),
    );
    const [soft, bypass] = lines.join("").split("\n");
    expect(soft).not.toContain("eve@");
    expect(bypass).toBe(
      logIssue("error", `Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true — ${evidence}`),
    );
    expect(readFileSync(md, "utf8")).toContain(`Audit evidence: ${evidence}`);
  });
});

describe("the real CLI on the smoke project: text and events of the same run agree", () => {
  const smoke = path.join(__dirname, "..", "fixtures", "smoke");
  // --event-log is accepted only with PULUMI_DEBUG_COMMANDS=true (as the Automation API sets it).
  const session = new PulumiSession(stageProject(path.join(smoke, "program")), { PULUMI_DEBUG_COMMANDS: "true" });
  const pack = stageProject(path.join(smoke, "policy"));
  const log = (name: string) => path.join(session.homeDir, `${name}.jsonl`);

  beforeAll(async () => {
    await session.expect(["stack", "init", "smoke"]);
    await session.expect(["up", "--yes", "--skip-preview"]);
  });
  afterAll(() => session.dispose());

  it("drift: one changed property, the same message from text and events; none when nothing changed", async () => {
    await session.expect(["config", "set", "value", "changed"]);
    const r = await session.run(["preview", "--refresh", "--expect-no-changes", "--diff", "--event-log", log("drift")]);
    expect(r.code, r.output).not.toBe(0);
    const events = parseEventLog(readFileSync(log("drift"), "utf8"));
    expect(driftFromEvents(events).map(driftMessage)).toEqual([
      "Drift: value is hello in the tenant, declared changed",
    ]);
    expect(driftFromEvents(events).map(driftMessage)).toEqual(textDriftMessages(r.output));
    await session.expect(["config", "set", "value", "hello"]);
    const clean = await session.run(["preview", "--refresh", "--expect-no-changes", "--event-log", log("clean")]);
    expect(clean.code, clean.output).toBe(0);
    expect(driftFromEvents(parseEventLog(readFileSync(log("clean"), "utf8")))).toEqual([]);
  });

  it("policy: the mandatory violation, the same logging command from text and events", async () => {
    await session.expect(["config", "set", "value", "forbidden"]);
    const r = await session.run(["preview", "--policy-pack", pack, "--event-log", log("policy")]);
    expect(r.code).toBe(1);
    const issues = policyFromEvents(parseEventLog(readFileSync(log("policy"), "utf8"))).map(policyIssue);
    expect(issues).toEqual([
      {
        type: "error",
        message:
          "Policy echo-value-not-forbidden (pulumi-nodejs:dynamic/smoke:Echo: echo): The smoke Echo resource must " +
          "not carry the value 'forbidden'. SMOKE-POLICY: the value 'forbidden' is not allowed; set config `value` " +
          "to something else.",
      },
    ]);
    expect(issues).toEqual(textPolicyMessages(r.output));
    await session.expect(["config", "set", "value", "hello"]);
  });
});
