/**
 * The npm package: `npm run pack:cli` (scripts/build.mjs --package, then `npm pack`) gives a tarball that
 * installs offline into an empty folder (no runtime dependencies: the bundle holds them) and whose `syncgap` runs
 * with plain node — through npx on a clean PATH (node's bin dir + /usr/bin:/bin), and with node alone on PATH.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import pkg from "../../package.json";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import { craftedDirectory } from "../support/gapUsers";

const root = path.resolve(__dirname, "../..");
const nodeBin = path.dirname(process.execPath);
const work = mkdtempSync(path.join(tmpdir(), "syncgap-pkg-"));
const project = path.join(work, "project");
const home = path.join(work, "home");
const cleanEnv = {
  PATH: `${nodeBin}:/usr/bin:/bin`,
  HOME: home,
  npm_config_cache: path.join(home, ".npm"),
  npm_config_update_notifier: "false",
};
let tarball: string;

beforeAll(async () => {
  mkdirSync(project, { recursive: true });
  mkdirSync(home, { recursive: true });
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs"), "--quiet", "--package"], { cwd: root });
  const packed = execFileSync("npm", ["pack", path.join(root, "dist/package"), "--pack-destination", work, "--json"], {
    cwd: root,
    env: cleanEnv,
    encoding: "utf8",
  });
  // npm and npx are found on the clean PATH (next to node, or the system's in /usr/bin, run by this node)
  tarball = path.join(work, JSON.parse(packed)[0].filename);
  const { ad, entra } = craftedDirectory();
  await writeAdLdif(path.join(project, "ad.ldif"), ad);
  writeFileSync(path.join(project, "entra.json"), JSON.stringify(entra));
  const install = spawnSync("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], {
    cwd: project,
    env: cleanEnv,
    encoding: "utf8",
  });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
}, 180_000);

describe("the npm package", () => {
  it("has no runtime dependencies and a node launcher", () => {
    const manifest = JSON.parse(readFileSync(path.join(project, "node_modules/syncgap/package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "syncgap", version: pkg.version, bin: { syncgap: "bin/syncgap" } });
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(path.join(project, "node_modules")).filter((d) => !d.startsWith("."))).toEqual(["syncgap"]);
    expect(readFileSync(path.join(project, "node_modules/syncgap/bin/syncgap"), "utf8")).toMatch(
      /^#!\/usr\/bin\/env node\n/,
    );
  });

  it("npx syncgap gap on export files: exit 1 for the gaps, all five reports", () => {
    const r = spawnSync(
      "npx",
      ["--offline", "syncgap", "gap", "--ad-ldif", "ad.ldif", "--entra-json", "entra.json", "--out", "reports"],
      { cwd: project, env: cleanEnv, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 3 gaps in MissingInEntra, ValueMismatch, CloudOnly/);
    for (const ext of ["csv", "json", "xml", "md", "html"]) {
      expect(existsSync(path.join(project, "reports", `gap-report.${ext}`)), ext).toBe(true);
    }
    const report = JSON.parse(readFileSync(path.join(project, "reports/gap-report.json"), "utf8"));
    expect(report.summary.gate).toMatchObject({ passed: false, gaps: 3 });
  });

  it("runs with node alone on PATH (no shell), reading ./syncgap.yaml", () => {
    writeFileSync(
      path.join(project, "syncgap.yaml"),
      "ad:\n  ldif: ad.ldif\nentra:\n  json: entra.json\nthresholds:\n  maxGaps: 3\nreports:\n  out: from-config\n",
    );
    const r = spawnSync(process.execPath, [path.join(project, "node_modules/syncgap/bin/syncgap"), "gap", "-q"], {
      cwd: project,
      env: { PATH: nodeBin, HOME: home },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0); // 3 gaps, 3 tolerated
    expect(existsSync(path.join(project, "from-config", "gap-report.json"))).toBe(true);
  });
});
