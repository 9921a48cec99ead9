import { describe, expect, it } from "vitest";
import { complete, escapeData, escapeProperty, isAzureDevOps, logIssue, uploadSummary } from "../../gap/azdo";

describe("Azure DevOps logging commands", () => {
  it("escapes message data like the agent's task library", () => {
    expect(escapeData("100% done\r\nnext ] ; ")).toBe("100%AZP25 done%0D%0Anext ] ; ");
  });

  it("escapes property values, including ] and ;", () => {
    expect(escapeProperty("a;b]c%\n")).toBe("a%3Bb%5Dc%AZP25%0A");
  });

  it("builds the commands", () => {
    expect(logIssue("error", "3 gaps at 100%")).toBe("##vso[task.logissue type=error;]3 gaps at 100%AZP25");
    // a line break (often from directory data) is made visible, never sent on: see gap/printable.ts
    expect(logIssue("error", "3 gaps\nmore")).toBe("##vso[task.logissue type=error;]3 gaps␊more");
    expect(uploadSummary("/tmp/out/gap-report.md")).toBe("##vso[task.uploadsummary]/tmp/out/gap-report.md");
    expect(complete("Failed", "gaps above threshold")).toBe("##vso[task.complete result=Failed;]gaps above threshold");
  });

  it("detects an agent by TF_BUILD", () => {
    expect(isAzureDevOps({ TF_BUILD: "True" })).toBe(true);
    expect(isAzureDevOps({})).toBe(false);
  });
});
