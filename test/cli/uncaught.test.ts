/**
 * Any error of the command, also one syncgap did not foresee, ends in exit 2 with one line on stderr: never exit 1
 * (a pipeline reads that as "gaps") and never a stack trace. The error is thrown from a timer that a preloaded module
 * sets (test/fixtures/cli/throw-later.cjs) while `syncgap check` waits for a sync.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { runCli } from "../support/cli";
import { gapEnv, startGapEmulator } from "../support/gapTenant";
import { craftedDirectory } from "../support/gapUsers";

const dir = mkdtempSync(join(tmpdir(), "syncgap-uncaught-"));
const ldif = join(dir, "ad.ldif");
const preload = resolve(__dirname, "../fixtures/cli/throw-later.cjs");
let emu: RunningEmulator;

beforeAll(async () => {
  await writeAdLdif(ldif, craftedDirectory().ad);
  emu = await startGapEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

describe("an error nobody caught", () => {
  it.each([["exception"], ["rejection"]])(
    "an uncaught %s is exit 2 with one line, also under Azure DevOps",
    async (kind) => {
      const r = await runCli(
        [
          "check",
          "--ad-ldif",
          ldif,
          "--entra-graph",
          "--expect-bypass",
          "false",
          "--sync-timeout",
          "30",
          "--poll-interval",
          "1",
          "--out",
          join(dir, kind),
        ],
        { ...gapEnv(emu), NODE_OPTIONS: `--require ${preload}`, SYNCGAP_TEST_THROW: kind, TF_BUILD: "True" },
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("syncgap: could not run"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        kind === "rejection" ? /a promise nobody awaited failed/ : /Cannot read properties of undefined/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toMatch(/^##vso\[task\.complete result=Failed;\]syncgap could not run/m);
    },
  );
});
