import { cpSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");

/** What the repository's Pulumi program needs at run time (no stack files: each test makes its own stack). */
const PROGRAM_FILES = ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json", "providers", "graph", "schemas"];

/**
 * Copies syncgap's Pulumi program (index.ts and what it loads) into a fresh temporary folder with the repository's
 * node_modules linked in, so a test can `pulumi config set` and `pulumi stack init` without touching the tree.
 */
export function stageRootProgram(extra: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), "syncgap-stack-"));
  for (const f of [...PROGRAM_FILES, ...extra]) {
    cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}
