// The bootstrap program's entry (Pulumi.yaml's main): runs dist/bootstrap.cjs, the bundle of bootstrap/index.ts that
// scripts/build.mjs writes, rebuilding dist/ first when a source changed (scripts/bundles.cjs). Plain Node at run
// time, as for syncgap's own program (../program.cjs); the exports are the stack's outputs.
"use strict";
const path = require("node:path");

const root = path.join(__dirname, "..");
const failed = require(path.join(root, "scripts", "bundles.cjs")).ensureBuilt(root);
if (failed) throw new Error(`syncgap: ${failed}`);
module.exports = require(path.join(root, "dist", "bootstrap.cjs"));
