/**
 * Reading `pulumi preview` text output (pipelines/scripts/pulumiOutput.ts). Real output of the pinned CLI (v3.274.1):
 * smoke-* on the smoke project (test/fixtures/smoke); syncgap-refresh-drift-exit7.txt and syncgap-policy-exit1.txt
 * from the pipelines' end-to-end run (temporary paths and the port normalized). syncgap-drift-exit7.txt is written
 * in the same shape with two drifted features.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  driftMarkdown,
  driftMessage,
  logIssue,
  parseDrift,
  parsePolicyViolations,
} from "../../pipelines/scripts/pulumiOutput";

const fixture = (name: string) => readFileSync(path.join(__dirname, "fixtures", "pulumi-output", name), "utf8");

describe("drift from pulumi preview --refresh --diff", () => {
  it("reads each property line of an updated resource as tenant value => declared value", () => {
    const items = parseDrift(fixture("syncgap-drift-exit7.txt"));
    expect(items).toEqual([
      {
        resource: "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings directory-feature-settings",
        property: "bypassDirSyncOverridesEnabled",
        live: "false",
        declared: "true",
      },
      {
        resource: "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings directory-feature-settings",
        property: "blockSoftMatchEnabled",
        live: "false",
        declared: "true",
      },
    ]);
    expect(driftMessage(items[0] as (typeof items)[0])).toBe(
      "Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true",
    );
  });

  it("reads syncgap's real drift output: the refresh part (state → live) is not counted, the update part is", () => {
    expect(parseDrift(fixture("syncgap-refresh-drift-exit7.txt"))).toEqual([
      {
        resource: "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings directory-feature-settings",
        property: "bypassDirSyncOverridesEnabled",
        live: "false",
        declared: "true",
      },
    ]);
  });

  it("ignores the stack's outputs and unchanged resources (real CLI output)", () => {
    expect(parseDrift(fixture("smoke-diff-exit7.txt"))).toEqual([
      { resource: "pulumi-nodejs:dynamic/smoke:Echo echo", property: "value", live: "hello", declared: "changed" },
    ]);
    expect(parseDrift(fixture("smoke-nochange-exit0.txt"))).toEqual([]);
  });

  it("writes a logging command whose message survives line breaks and percent signs", () => {
    expect(logIssue("error", "a%b\nc")).toBe("##vso[task.logissue type=error;]a%AZP25b%0Ac");
  });

  it("summarizes the drift as a Markdown table", () => {
    const md = driftMarkdown(parseDrift(fixture("syncgap-drift-exit7.txt")), "contoso");
    expect(md).toContain("## Drift in stack `contoso`");
    expect(md).toContain("| `bypassDirSyncOverridesEnabled` | false | true |");
    expect(driftMarkdown([], "contoso")).toContain("No drift");
  });
});

describe("policy violations from pulumi preview --policy-pack", () => {
  it("reads level, policy, resource and message (real CLI output)", () => {
    expect(parsePolicyViolations(fixture("smoke-policy-exit1.txt"))).toEqual([
      {
        level: "mandatory",
        policy: "echo-value-not-forbidden",
        resource: "pulumi-nodejs:dynamic/smoke:Echo: echo",
        message:
          "The smoke Echo resource must not carry the value 'forbidden'. SMOKE-POLICY: the value 'forbidden' is not allowed; set config `value` to something else.",
      },
    ]);
    expect(parsePolicyViolations(fixture("smoke-nochange-exit0.txt"))).toEqual([]);
  });

  it("reads syncgap's policy pack output, with the severity tag", () => {
    const [v, ...rest] = parsePolicyViolations(fixture("syncgap-policy-exit1.txt"));
    expect(rest).toEqual([]);
    expect(v).toMatchObject({
      level: "mandatory",
      severity: "critical",
      policy: "mobile-authority-flag",
      resource: "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings: directory-feature-settings",
    });
    expect(v?.message).toMatch(
      /^DirectoryFeatureSettings must declare .* declares bypassDirSyncOverridesEnabled = false/,
    );
  });
});
