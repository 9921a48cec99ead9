/**
 * The shell commands in README.md and the getting-started docs: every fenced bash/sh block carries a mark saying how
 * it is checked, and the ones that need no tenant run here.
 *
 *   <!-- runnable -->               the block runs as one `bash -e` script at the repository root and exits 0
 *   <!-- runnable: exits 1 0 -->    each command line runs on its own and exits with these codes, in order
 *   <!-- covered: test/x.test.ts --> another test runs exactly this (too slow, or it installs things, to repeat)
 *   <!-- needs: … -->               it needs what this machine does not have (a tenant, a DC, Azure)
 *
 * A block without a mark fails the test, so a new command cannot slip in unchecked. What a block leaves running in
 * the background (`… &`) is stopped with its process group.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const DOCS = ["README.md", "docs/run-in-your-tenant.md", "docs/emulator.md", "docs/configuration.md"];

interface Block {
  doc: string;
  line: number;
  mark: string | undefined;
  code: string;
}

function blocks(doc: string): Block[] {
  const lines = readFileSync(path.join(root, doc), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(bash|sh)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(indent));
    const mark = /^\s*<!-- (.+?) -->\s*$/.exec(lines[i - 1] ?? "")?.[1];
    out.push({ doc, line: i + 1, mark, code: body.join("\n") });
    i = j;
  }
  return out;
}

const all = DOCS.flatMap(blocks);
const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: process.env.HOME ?? "/root" };

/** Runs a script in a process group of its own; when it exits, whatever it left in the background is stopped. */
function bash(script: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("error", reject);
    // 'exit', not 'close': a background job keeps the pipes open
    child.on("exit", (status) => {
      clearTimeout(timer);
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        // nothing left in the group
      }
      resolve({ status, output });
    });
  });
}

describe("shell commands in the docs", () => {
  it("every block says how it is checked", () => {
    const ok = /^(runnable(: exits( \d+)+)?|covered: \S+|needs: .+)$/;
    const unmarked = all.filter((b) => !b.mark || !ok.test(b.mark));
    expect(unmarked.map((b) => `${b.doc}:${b.line}`)).toEqual([]);
    expect(all.filter((b) => b.mark?.startsWith("runnable")).length).toBeGreaterThanOrEqual(2);
  });

  it("the tests named by covered: exist", () => {
    for (const b of all.filter((x) => x.mark?.startsWith("covered: "))) {
      const file = (b.mark as string).slice("covered: ".length);
      expect(existsSync(path.join(root, file)), `${b.doc}:${b.line} names ${file}`).toBe(true);
    }
  });

  for (const b of all.filter((x) => x.mark?.startsWith("runnable"))) {
    it(`${b.doc}:${b.line} runs`, async () => {
      const exits = /^runnable: exits ((?: ?\d+)+)$/
        .exec(b.mark as string)?.[1]
        .split(" ")
        .map(Number);
      if (!exits) {
        const r = await bash(`set -e\n${b.code}`);
        expect(r.status, r.output).toBe(0);
        return;
      }
      const commands = b.code
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"));
      expect(commands.length, "one exit code per command").toBe(exits.length);
      for (const [k, cmd] of commands.entries()) {
        const r = await bash(cmd);
        expect(r.status, `${cmd}\n${r.output}`).toBe(exits[k]);
      }
    });
  }
});
