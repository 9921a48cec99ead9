/**
 * bin/syncgap runs the bundle dist/syncgap.cjs and rebuilds it when it is missing or older than a file it was built
 * from (scripts/build.mjs), so a source change can never run stale code.
 */
import { readFileSync, statSync, utimesSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json";
import { runCli } from "../support/cli";

const ROOT = resolve(__dirname, "../..");
const BUNDLE = resolve(ROOT, "dist/syncgap.cjs");
const INPUTS = resolve(ROOT, "dist/build.inputs");

describe("the bundled command", () => {
  it("builds the bundle on demand and lists what it was built from", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    const inputs = readFileSync(INPUTS, "utf8").trim().split("\n");
    expect(inputs).toEqual(expect.arrayContaining(["cli/syncgap.ts", "gap/run.ts", "ad/ldapReader.ts"]));
    expect(inputs).toContain("package-lock.json");
    expect(inputs.some((f) => f.startsWith("node_modules/"))).toBe(false);
  });

  it("rebuilds a bundle that is older than its sources", async () => {
    await runCli(["--version"]);
    const old = new Date("2001-01-01T00:00:00Z");
    utimesSync(BUNDLE, old, old);
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(statSync(BUNDLE).mtimeMs).toBeGreaterThan(old.getTime() + 1000);
    // and the rebuilt bundle is the one that ran: it answers like the source does
    const help = await runCli(["gap", "--help"]);
    expect(help.stdout).toContain("--ad-read-mode");
  });

  it("SYNCGAP_FROM_SOURCE=1 runs cli/syncgap.ts through tsx, with the same answers", async () => {
    const a = await runCli(["gap", "--help"]);
    const b = await runCli(["gap", "--help"], { SYNCGAP_FROM_SOURCE: "1" });
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });
});
