/**
 * One table of settings (cli/settings.ts): docs/configuration.md shows exactly it, the committed JSON Schema is the
 * one built from it, the example in the docs passes that schema, and every option of gap/impact/check is in it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema, loadConfig } from "../../cli/config";
import { SETTINGS, settingsMarkdown } from "../../cli/settings";
import { buildProgram } from "../../cli/syncgap";

const root = path.resolve(__dirname, "../..");
const doc = readFileSync(path.join(root, "docs/configuration.md"), "utf8");

describe("the settings table", () => {
  it("docs/configuration.md holds the table cli/settings.ts generates (regenerate: syncgap settings)", () => {
    const m = /<!-- settings:begin -->\n([\s\S]*?)<!-- settings:end -->/.exec(doc);
    expect(m?.[1]).toBe(settingsMarkdown());
  });

  it("schemas/syncgap-config.schema.json is the schema built from it (regenerate: syncgap settings --schema)", () => {
    const committed = JSON.parse(readFileSync(path.join(root, "schemas/syncgap-config.schema.json"), "utf8"));
    expect(committed).toEqual(configSchema());
  });

  it("the example syncgap.yaml in the docs is valid", () => {
    const m = /```yaml\n(# syncgap\.yaml[\s\S]*?)```/.exec(doc);
    expect(m).not.toBeNull();
    const f = path.join(mkdtempSync(path.join(tmpdir(), "syncgap-doc-")), "syncgap.yaml");
    writeFileSync(f, m?.[1] ?? "");
    const { values } = loadConfig(f);
    expect(values).toMatchObject({ adUrl: "ldaps://dc1.corp.example:636", entraGraph: true, maxGaps: 0 });
  });

  it("lists every option of gap, impact and check, and nothing they do not have", () => {
    const program = buildProgram(() => {});
    const inTable = new Set(SETTINGS.map((s) => s.flag));
    for (const name of ["gap", "impact", "check"]) {
      const cmd = program.commands.find((c) => c.name() === name);
      const flags = (cmd?.options ?? []).map((o) => o.long as string);
      expect(
        flags.filter((f) => !inTable.has(f)),
        `${name} options missing from cli/settings.ts`,
      ).toEqual([]);
      const own = SETTINGS.filter((s) => !s.commands || s.commands.includes(name as "gap")).map((s) => s.flag);
      expect(
        own.filter((f) => !flags.includes(f)),
        `cli/settings.ts rows ${name} does not have`,
      ).toEqual([]);
    }
  });

  it("keys are unique, and a key's top level is one of the file's sections", () => {
    const keys = SETTINGS.flatMap((s) => (s.key ? [s.key] : []));
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys)
      expect(["ad", "entra", "thresholds", "reports", "check", "defaultRegion"]).toContain(k.split(".")[0]);
  });
});
