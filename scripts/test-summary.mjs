// Prints one plain closing line for CI log readers ("N passed, N failed"), from vitest's JSON report.
import { existsSync, readFileSync } from "node:fs";

const [file, rc] = process.argv.slice(2);
if (!existsSync(file)) {
  console.log(`tests: 0 passed, 1 failed (vitest wrote no report; exit code ${rc})`);
  process.exit(0);
}
const r = JSON.parse(readFileSync(file, "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
