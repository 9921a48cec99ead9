import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiSession, stageProject } from "../support/pulumi";

// Proves the real Pulumi CLI, syncgap's Node.js language host and the dynamic-provider shim work together,
// on a temporary file backend. No mocks: every command below is the real `pulumi` binary.
const smoke = path.join(__dirname, "..", "fixtures", "smoke");

describe("Pulumi CLI smoke (file backend)", () => {
  const session = new PulumiSession(stageProject(path.join(smoke, "program")));
  const pack = stageProject(path.join(smoke, "policy"));

  beforeAll(async () => {
    await session.expect(["stack", "init", "smoke"]);
  });
  afterAll(() => session.dispose());

  it("reports the pinned version", async () => {
    const r = await session.expect(["version"]);
    expect(r.stdout.trim()).toMatch(/^v3\.(27[4-9]|2[89]\d|[3-9]\d\d)\.\d+/);
  });

  it("up creates the dynamic resource and exports its outputs", async () => {
    const r = await session.expect(["up", "--yes", "--skip-preview"]);
    expect(r.output).toContain("pulumi-nodejs:dynamic/smoke:Echo");
    const out = await session.expect(["stack", "output", "--json"]);
    expect(JSON.parse(out.stdout)).toEqual({ value: "hello", length: 5 });
  });

  it("preview after up shows no changes (--expect-no-changes exits 0)", async () => {
    const r = await session.expect(["preview", "--expect-no-changes"]);
    expect(r.output).toMatch(/2 unchanged/);
  });

  it("preview --expect-no-changes exits non-zero when config changes", async () => {
    await session.expect(["config", "set", "value", "changed"]);
    const r = await session.run(["preview", "--expect-no-changes"]);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/1 to update/);
    await session.expect(["config", "set", "value", "hello"]);
  });

  it("a mandatory policy fails the preview with its message, and passes a compliant stack", async () => {
    const ok = await session.run(["preview", "--policy-pack", pack]);
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).not.toContain("SMOKE-POLICY");

    await session.expect(["config", "set", "value", "forbidden"]);
    const bad = await session.run(["preview", "--policy-pack", pack]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("echo-value-not-forbidden");
    expect(bad.output).toContain("SMOKE-POLICY: the value 'forbidden' is not allowed");
    await session.expect(["config", "set", "value", "hello"]);
  });

  it("destroy removes the resource", async () => {
    const r = await session.expect(["destroy", "--yes", "--skip-preview"]);
    expect(r.output).toMatch(/deleted/);
    const s = await session.expect(["stack", "--show-urns"]);
    expect(s.output).not.toContain("dynamic/smoke:Echo");
  });
});
