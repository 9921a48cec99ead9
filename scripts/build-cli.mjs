#!/usr/bin/env node
/**
 * Bundles the `syncgap` command (cli/syncgap.ts and everything it imports, node_modules included) into one file,
 * dist/syncgap.cjs, with esbuild. bin/syncgap runs the bundle and calls this script whenever the bundle is missing or
 * older than any file it was built from (listed in dist/syncgap.inputs), so the bundle is never stale and nobody has
 * to remember a build step. Why: starting through tsx costs ~0.3 s (loading esbuild's service and transpiling each
 * file) and resolving ~500 modules costs more; the bundle starts in under 0.1 s, which matters for a gate that runs
 * every few minutes and for delta re-runs (docs/benchmarks.md).
 *
 *   node scripts/build-cli.mjs [--quiet] [--package]
 *
 * --package also lays out the npm package in dist/package/ (package.json without dependencies: the bundle holds
 * them all, so installing the tarball needs no registry; bin/syncgap, the bundle, the README, the config schema).
 * `npm run pack:cli` packs it into dist/syncgap-<version>.tgz; test/cli/package.test.ts installs that tarball into an
 * empty folder offline and runs `npx syncgap gap` from it.
 *
 * Writes to temporary names and renames, so concurrent builds (parallel test workers) cannot leave a torn file.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
const quiet = process.argv.includes("--quiet");
const asPackage = process.argv.includes("--package");
mkdirSync(out, { recursive: true });
const tmp = `.tmp-${process.pid}`;
const t0 = performance.now();
let result;
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: ["cli/syncgap.ts"],
    outfile: join(out, `syncgap.cjs${tmp}`),
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // whitespace and syntax only: names stay readable in stack traces (and in code that inspects a library's source,
    // like ad/ldaptsDecoding.ts)
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: "linked",
    metafile: true,
    logLevel: "silent",
  });
} catch (e) {
  for (const m of e.errors ?? []) {
    const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
    process.stderr.write(`syncgap: build failed: ${where}${m.text}\n`);
  }
  if (!e.errors) process.stderr.write(`syncgap: build failed: ${e.message ?? e}\n`);
  process.exit(2);
}
// The bundle is stale when any of these is newer: the project's own sources it holds, and the lockfile (which pins
// the node_modules it holds).
const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.startsWith("node_modules/"))
  .concat(["package-lock.json"])
  .map((f) => relative(root, join(root, f)));
writeFileSync(join(out, `syncgap.inputs${tmp}`), `${[...new Set(inputs)].sort().join("\n")}\n`);
renameSync(join(out, `syncgap.cjs${tmp}.map`), join(out, "syncgap.cjs.map"));
renameSync(join(out, `syncgap.inputs${tmp}`), join(out, "syncgap.inputs"));
// last: the bundle's mtime is what bin/syncgap compares against
renameSync(join(out, `syncgap.cjs${tmp}`), join(out, "syncgap.cjs"));
if (!quiet) {
  process.stderr.write(`syncgap: built dist/syncgap.cjs in ${Math.round(performance.now() - t0)} ms\n`);
}

if (asPackage) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const dir = join(out, "package");
  rmSync(dir, { recursive: true, force: true });
  const files = {
    "bin/syncgap": "bin/syncgap",
    "dist/syncgap.cjs": "dist/syncgap.cjs",
    "dist/syncgap.cjs.map": "dist/syncgap.cjs.map",
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
