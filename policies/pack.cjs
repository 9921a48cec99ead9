// The policy pack's entry (package.json main): runs dist/policies.cjs, the bundle of policies/index.ts that
// scripts/build.mjs writes, rebuilding dist/ first when a policy or anything it loads changed (scripts/bundles.cjs).
// Pulumi's policy runner then loads plain JavaScript: nothing is compiled or type-checked on each preview (`tsc` in
// the README's test command checks the types).
"use strict";
const path = require("node:path");

const root = path.join(__dirname, "..");
const failed = require(path.join(root, "scripts", "bundles.cjs")).ensureBuilt(root);
if (failed) throw new Error(`syncgap: ${failed}`);
require(path.join(root, "dist", "policies.cjs"));
