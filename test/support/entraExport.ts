/** The error a Graph JSON export file fails with (readEntraJsonFile), for the export-reader tests. */
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
