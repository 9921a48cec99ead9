import { describe, expect, it } from "vitest";
import {
  type ExpressionContext,
  ExpressionError,
  evaluate,
  evaluateCondition,
  toText,
  type Value,
} from "../../tools/pipelines-runner/expressions";

const ctx = (names: Record<string, Value>, status?: ExpressionContext["status"]): ExpressionContext => ({
  lookup: (n) => names[n],
  status,
});
const vars = ctx({
  variables: { "Build.Reason": "PullRequest", "Build.SourceBranch": "refs/heads/main", empty: "" },
  parameters: { install: "toolchain", tenants: [{ stack: "contoso-eu" }], flag: true, count: 3 },
});

describe("expressions (the subset the pipelines use)", () => {
  it("reads parameters and variables by property and by index", () => {
    expect(evaluate("parameters.install", vars)).toBe("toolchain");
    expect(evaluate("variables['Build.Reason']", vars)).toBe("PullRequest");
    expect(evaluate("parameters.tenants[0].stack", vars)).toBe("contoso-eu");
    expect(evaluate("parameters.missing", vars)).toBeNull();
  });

  it("compares strings ignoring case, and converts the right side to the left side's type", () => {
    expect(evaluate("eq(variables['Build.Reason'], 'pullrequest')", vars)).toBe(true);
    expect(evaluate("ne(parameters.install, 'pulumiTask')", vars)).toBe(true);
    expect(evaluate("eq(parameters.flag, 'true')", vars)).toBe(true);
    expect(evaluate("eq(parameters.count, '3')", vars)).toBe(true);
    expect(evaluate("in(variables['Build.Reason'], 'IndividualCI', 'PullRequest')", vars)).toBe(true);
    expect(evaluate("notIn(variables['Build.Reason'], 'Schedule')", vars)).toBe(true);
  });

  it("has the string functions the templates use", () => {
    expect(evaluate("replace(parameters.tenants[0].stack, '-', '_')", vars)).toBe("contoso_eu");
    expect(evaluate("format('{0}-{1}', 'a', parameters.count)", vars)).toBe("a-3");
    expect(evaluate("startsWith(variables['Build.SourceBranch'], 'refs/heads/')", vars)).toBe(true);
    expect(evaluate("coalesce(variables.empty, 'fallback')", vars)).toBe("fallback");
    expect(evaluate("'it''s'", vars)).toBe("it's");
  });

  it("short-circuits and/or and reads truthiness as documented", () => {
    expect(evaluate("and(false, unknownFunction())", vars)).toBe(false);
    expect(evaluate("or(true, unknownFunction())", vars)).toBe(true);
    expect(evaluate("not(variables.empty)", vars)).toBe(true);
  });

  it("prints booleans as True/False, as Azure Pipelines does in text", () => {
    expect(toText(true)).toBe("True");
    expect(toText(false)).toBe("False");
    expect(toText(null)).toBe("");
    expect(() => toText({ a: 1 })).toThrow(/object cannot be used as text/);
  });

  it("offers status functions only in run-time conditions", () => {
    expect(() => evaluate("succeeded()", vars)).toThrow(/only allowed in a run-time condition/);
    const status = {
      succeeded: () => false,
      failed: () => true,
      succeededOrFailed: () => true,
      always: () => true,
      canceled: () => false,
    };
    expect(evaluateCondition("failed()", ctx({}, status))).toBe(true);
    expect(evaluateCondition("and(succeeded(), eq('a', 'a'))", ctx({}, status))).toBe(false);
  });

  it("fails loudly on what it does not implement", () => {
    expect(() => evaluate("counter('x', 1)", vars)).toThrow(ExpressionError);
    expect(() => evaluate("counter('x', 1)", vars)).toThrow(/does not implement the function counter/);
    expect(() => evaluate("dependencies.a.result", vars)).toThrow(/unknown name 'dependencies'/);
    expect(() => evaluate("eq('a'", vars)).toThrow(/expected '\)'/);
  });
});
