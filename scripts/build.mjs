#!/usr/bin/env node
/**
 * The one build: esbuild bundles each of syncgap's entry points (the BUNDLES table) into dist/, one CommonJS file
 * each with the project's own code and its dependencies. Everything that runs syncgap runs these files, never the
 * TypeScript sources: the `syncgap` command (bin/syncgap), the Pulumi program (program.cjs, Pulumi.yaml's main), the
 * dynamic provider's implementation (loaded by Pulumi's dynamic-provider process at call time), the CrossGuard pack
 * (policies/pack.cjs), the bootstrap program (bootstrap/program.cjs) and the pipelines' reader of Pulumi's event log. Types are checked by `tsc` (the README's test
 * command), not at run time.
 *
 *   node scripts/build.mjs [--quiet] [--package]
 *
 * The README's commands build first (scripts/toolchain.sh sg_build); every entry point also calls
 * scripts/ensureBuilt.cjs, which rebuilds when a bundle is missing or older than a file it was built from (listed in
 * dist/build.inputs), so a source change never runs stale code and nobody has to remember a build step.
 *
 * --package also lays out the CLI's npm package in dist/package/ (package.json without dependencies: the bundle holds
 * them all, so installing the tarball needs no registry; bin/syncgap, the bundle, the README, the config schema).
 * `npm run pack:cli` packs it into dist/syncgap-<version>.tgz; test/cli/package.test.ts installs that tarball into an
 * empty folder offline and runs `npx syncgap gap` from it.
 *
 * Writes to a temporary folder and renames, so concurrent builds (parallel test workers) cannot leave a torn file.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUNDLES, INPUTS_FILE } from "./bundles.cjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
const quiet = process.argv.includes("--quiet");
const asPackage = process.argv.includes("--package");
mkdirSync(out, { recursive: true });
const tmp = join(out, `.tmp-${process.pid}`);
const t0 = performance.now();
let result;
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(BUNDLES.map((b) => [b.name, b.entry])),
    outdir: tmp,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Pulumi's SDKs stay outside the bundles: the language host and the policy runner load @pulumi/pulumi from
    // node_modules, and the program, the providers' SDKs and the pack must share that one runtime per process.
    external: ["@pulumi/*"],
    // whitespace and syntax only: names stay readable in stack traces (and in code that inspects a library's source,
    // like ad/ldaptsDecoding.ts)
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: "linked",
    metafile: true,
    logLevel: "silent",
  });
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  for (const m of e.errors ?? []) {
    const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
    process.stderr.write(`syncgap: build failed: ${where}${m.text}\n`);
  }
  if (!e.errors) process.stderr.write(`syncgap: build failed: ${e.message ?? e}\n`);
  process.exit(2);
}
// The bundles are stale when any of these is newer: the project's own sources they hold, and the lockfile (which
// pins the node_modules they hold).
const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.startsWith("node_modules/"))
  .concat(["package-lock.json"])
  .map((f) => relative(root, join(root, f)));
writeFileSync(join(out, `${INPUTS_FILE}.tmp-${process.pid}`), `${[...new Set(inputs)].sort().join("\n")}\n`);
renameSync(join(out, `${INPUTS_FILE}.tmp-${process.pid}`), join(out, INPUTS_FILE));
for (const b of BUNDLES) renameSync(join(tmp, `${b.name}.cjs.map`), join(out, `${b.name}.cjs.map`));
// last: the bundles' mtimes are what scripts/ensureBuilt.cjs compares against
for (const b of BUNDLES) renameSync(join(tmp, `${b.name}.cjs`), join(out, `${b.name}.cjs`));
rmSync(tmp, { recursive: true, force: true });
if (!quiet) {
  process.stderr.write(
    `syncgap: built ${BUNDLES.map((b) => `dist/${b.name}.cjs`).join(", ")} in ${Math.round(performance.now() - t0)} ms\n`,
  );
}

if (asPackage) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const dir = join(out, "package");
  rmSync(dir, { recursive: true, force: true });
  const files = {
    "bin/syncgap": "bin/syncgap",
    "dist/syncgap.cjs": "dist/syncgap.cjs",
    "dist/syncgap.cjs.map": "dist/syncgap.cjs.map",
    "dist/entraJsonWorker.cjs": "dist/entraJsonWorker.cjs",
    "dist/entraJsonWorker.cjs.map": "dist/entraJsonWorker.cjs.map",
    "README.md": "README.md",
    "schemas/syncgap-config.schema.json": "schemas/syncgap-config.schema.json",
  };
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(root, from), join(dir, to));
  }
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    bin: { syncgap: "bin/syncgap" },
    engines: pkg.engines,
    files: Object.keys(files),
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (!quiet) process.stderr.write(`syncgap: laid out the npm package in ${relative(root, dir)}/\n`);
}
