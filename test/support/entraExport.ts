/** Graph JSON export helpers for the export-reader tests. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { readEntraJsonFile } from "../../gap/entra/jsonExport";
import { GapInputError } from "../../gap/errors";

export function entraExportFailure(path: string): GapInputError {
  try {
    readEntraJsonFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(GapInputError);
    return e as GapInputError;
  }
  throw new Error("expected a failure");
}

/** A fresh temporary folder and a writer of numbered files in it, for exports built in a test. */
export function tempFiles(prefix: string): { dir: string; write: (content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  const write = (content: string | Buffer) => {
    const p = join(dir, `f${++n}.json`);
    writeFileSync(p, content);
    return p;
  };
  return { dir, write };
}

/** The i-th synced user of a Graph export, as `GET /users` with `$select` returns it. */
export function graphExportUser(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    userPrincipalName: `user${i}@corp.example.test`,
    mobilePhone: `+1425555${String(i % 10000).padStart(4, "0")}`,
    onPremisesSyncEnabled: true,
    ...over,
  };
}
