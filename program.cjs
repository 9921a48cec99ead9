// The Pulumi program's entry (Pulumi.yaml's main): runs dist/program.cjs, the bundle of index.ts that
// scripts/build.mjs writes, rebuilding dist/ first when index.ts or anything it loads changed (scripts/bundles.cjs).
// Pulumi loads this file with plain Node, no TypeScript at run time; the exports are the stack's outputs.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

// a staged copy of the program (the demo, the tests) holds the bundles without scripts/ to rebuild them
const bundles = path.join(__dirname, "scripts", "bundles.cjs");
const failed = fs.existsSync(bundles) ? require(bundles).ensureBuilt(__dirname) : null;
if (failed) throw new Error(`syncgap: ${failed}`);
module.exports = require("./dist/program.cjs");
