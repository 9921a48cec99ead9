// bin/syncgap's entry for the bundled command: turns on Node's on-disk compile cache (Node 22.1+: the next start reads
// V8's code for the bundle instead of compiling it again), then runs dist/syncgap.cjs, which scripts/build-cli.mjs
// builds from cli/syncgap.ts. Development and tests can run cli/syncgap.ts directly with tsx.
const { enableCompileCache } = require("node:module");
if (enableCompileCache) enableCompileCache();
require("../dist/syncgap.cjs").run();
