import { cpSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureBuilt, PROGRAM_FILES } from "../../scripts/bundles.cjs";

const root = path.resolve(__dirname, "..", "..");

/**
 * Copies syncgap's Pulumi program (its entry, project files and the bundles it runs from: scripts/bundles.cjs
 * PROGRAM_FILES, built first) into a fresh temporary folder with the repository's node_modules linked in, so a test
 * can `pulumi config set` and `pulumi stack init` without touching the tree.
 */
export function stageRootProgram(extra: string[] = []): string {
  const failed = ensureBuilt(root);
  if (failed) throw new Error(failed);
  const dir = mkdtempSync(path.join(tmpdir(), "syncgap-stack-"));
  for (const f of [...PROGRAM_FILES, ...extra]) {
    cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}
