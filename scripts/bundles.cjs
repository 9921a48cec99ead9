// The bundles syncgap runs from (scripts/build.mjs writes them to dist/), and the check every entry point makes
// before loading one: rebuild when a bundle is missing or older than a file it was built from. Plain CommonJS, so
// bin/syncgap, program.cjs and policies/pack.cjs can require it before anything is built.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** name → dist/<name>.cjs, built from entry. */
const BUNDLES = [
  { name: "syncgap", entry: "cli/syncgap.ts" }, // the command (bin/syncgap)
  // the Graph JSON export read in a worker thread (gap/entra/jsonExportThread.ts finds it beside the bundle that
  // runs the analysis: the CLI's, the policy pack's)
  { name: "entraJsonWorker", entry: "gap/entra/jsonExportWorker.ts" },
  { name: "program", entry: "index.ts" }, // the Pulumi program (program.cjs, Pulumi.yaml's main)
  // the dynamic provider's implementation, which Pulumi's dynamic-provider process loads at call time
  // (providers/directoryFeatureSettings.ts loadImpl)
  { name: "provider", entry: "providers/directoryFeatureSettingsProvider.ts" },
  { name: "policies", entry: "policies/index.ts" }, // the CrossGuard pack (policies/pack.cjs)
  { name: "bootstrap", entry: "bootstrap/index.ts" }, // the pipeline identity's program (bootstrap/program.cjs)
  { name: "pulumiEvents", entry: "pipelines/scripts/pulumiEvents.ts" }, // the pipelines' reader of Pulumi's event log
];

/**
 * What a copy of syncgap's Pulumi program needs to run (the demo and the tests stage one per stack, so that
 * `pulumi stack init` never rewrites the repository's stack files): its entry, the project files, and the bundles.
 * Build first (ensureBuilt): a copy has no sources to rebuild from.
 */
const PROGRAM_FILES = ["Pulumi.yaml", "package.json", "program.cjs", "dist"];

/** dist/<INPUTS_FILE>: the project files the bundles were built from, one per line, relative to the root. */
const INPUTS_FILE = "build.inputs";

/** Every bundle exists and no file they were built from is newer (a missing input counts as newer). */
function fresh(root) {
  try {
    let built = null;
    for (const b of BUNDLES) {
      const t = fs.statSync(path.join(root, "dist", `${b.name}.cjs`), { bigint: true }).mtimeNs;
      if (built === null || t < built) built = t;
    }
    const inputs = fs
      .readFileSync(path.join(root, "dist", INPUTS_FILE), "utf8")
      .split("\n")
      .filter(Boolean);
    return inputs.every((f) => fs.statSync(path.join(root, f), { bigint: true }).mtimeNs <= built);
  } catch {
    return false;
  }
}

/**
 * Builds dist/ when it is stale. Returns null when the bundles are fresh (or were just built), else what went wrong
 * (the build's own errors went to stderr). A folder without the sources (the npm package, a staged copy of the
 * program) has nothing to build and is taken as it is.
 */
function ensureBuilt(root) {
  const sources = ["scripts/build.mjs", ...BUNDLES.map((b) => b.entry)];
  if (!sources.every((f) => fs.existsSync(path.join(root, f)))) return null;
  if (fresh(root)) return null;
  if (!fs.existsSync(path.join(root, "node_modules", "esbuild"))) {
    return `dependencies are missing in ${root}/node_modules: run 'npm ci' in ${root}`;
  }
  const { spawnSync } = require("node:child_process");
  const r = spawnSync(process.execPath, [path.join(root, "scripts", "build.mjs"), "--quiet"], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 120_000,
  });
  if (r.status === 0) return null;
  return r.error
    ? `could not build dist/ (${r.error.message})`
    : "could not build dist/ (the errors are above; `npm run build` shows them again)";
}

module.exports = { BUNDLES, PROGRAM_FILES, INPUTS_FILE, fresh, ensureBuilt };
