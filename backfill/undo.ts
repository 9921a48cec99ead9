import { isUtf8 } from "node:buffer";
/**
 * undo --file backfill-undo.ldif: puts back exactly what apply found, guarded the same way (changes.ts): a user whose
 * value changed since apply wrote it is skipped and listed, never overwritten. Before its first write it writes
 * `backfill-redo.ldif` (the values it replaces), so an undo can itself be undone.
 */
import { readFileSync } from "node:fs";
import { type RunOptions, type RunResult, runGuardedChanges } from "./apply";
import { BackfillError } from "./errors";
import type { AdWriteTarget } from "./ldap";
import { parseChangeFile } from "./ldif";
import { sha256 } from "./planFiles";

export function readUndoFile(path: string): { changes: ReturnType<typeof parseChangeFile>; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new BackfillError("BACKFILL_FILE", `cannot read the undo file ${path}: ${(e as Error).message}`);
  }
  if (!isUtf8(bytes)) throw new BackfillError("BACKFILL_BAD_UNDO", `${path} is not UTF-8 text`);
  return { changes: parseChangeFile(bytes.toString("utf8"), path), sha256: sha256(bytes) };
}

export async function undoFromFile(path: string, target: AdWriteTarget, options: RunOptions = {}): Promise<RunResult> {
  const { changes, sha256: digest } = readUndoFile(path);
  return runGuardedChanges({
    kind: "undo",
    changes,
    pre: [],
    extra: { review: 0, keepAd: 0 },
    source: { path, sha256: digest },
    target,
    backHeader: [
      `syncgap backfill redo file: the values undo replaced (undo file sha256 ${digest})`,
      "Guarded like the undo file: syncgap backfill undo --file THIS puts them back.",
    ],
    options,
  });
}
