// bin/syncgap's entry for the bundled command. It runs dist/syncgap.cjs (scripts/build-cli.mjs builds it from
// cli/syncgap.ts) with Node's on-disk compile cache on (Node 22.1+: the next start reads V8's code for the bundle
// instead of compiling it again). Development and tests can run cli/syncgap.ts directly with tsx.
//
// Before that, unless bin/syncgap's setup path just ran (SYNCGAP_LAUNCH=ready): on a Node older than 22.12, or with a
// bundle that is missing or older than a file it was built from (dist/syncgap.inputs), bin/syncgap's setup path runs
// instead (it brings the pinned Node 22, builds the bundle, or falls back to tsx) and its exit is this one's.
// Written for any Node that can start it, so an old one gets as far as handing over.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bundle = path.join(root, "dist", "syncgap.cjs");

function nodeOk() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

function fresh() {
  try {
    const built = fs.statSync(bundle, { bigint: true }).mtimeNs;
    const inputs = fs
      .readFileSync(path.join(root, "dist", "syncgap.inputs"), "utf8")
      .split("\n")
      .filter(Boolean);
    // newer than the bundle, or missing (statSync throws): stale
    return inputs.every((f) => fs.statSync(path.join(root, f), { bigint: true }).mtimeNs <= built);
  } catch {
    return false;
  }
}

function handOver() {
  const { spawnSync } = require("node:child_process");
  const r = spawnSync("bash", [path.join(root, "bin", "syncgap"), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, SYNCGAP_LAUNCH: "setup" },
  });
  if (r.error) {
    process.stderr.write(`syncgap: cannot run bin/syncgap's setup: ${r.error.message}\n`);
    process.exit(2);
  }
  if (r.signal) process.kill(process.pid, r.signal);
  process.exit(r.status === null ? 1 : r.status);
}

const launched = process.env.SYNCGAP_LAUNCH === "ready";
delete process.env.SYNCGAP_LAUNCH;
if (!launched && !(nodeOk() && fresh())) {
  handOver();
} else {
  const { enableCompileCache } = require("node:module");
  if (enableCompileCache) enableCompileCache();
  require("../dist/syncgap.cjs").run();
}
