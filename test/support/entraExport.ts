/** Graph JSON export helpers for the export-reader tests. */
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
