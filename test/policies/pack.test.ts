import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { DIRECTORY_FEATURE_SETTINGS_TYPE } from "../../policies/lib/directoryFeatureSettings";
import { syncgapPolicies } from "../../policies/rules";

const root = path.resolve(__dirname, "..", "..");
const configDir = path.join(root, "policies", "config");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

describe("syncgap policy pack", () => {
  it("targets the provider's type token", () => {
    expect(DIRECTORY_FEATURE_SETTINGS_TYPE).toBe("pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings");
  });

  it("has five uniquely named policies, each with its metadata and a config schema", () => {
    const names = syncgapPolicies.map((p) => p.name);
    expect(names).toEqual([
      "mobile-authority-flag",
      "one-settings-resource-per-tenant",
      "settings-retained-on-delete",
      "mobile-gap-impact",
      "pipeline-identity-least-privilege",
    ]);
    for (const p of syncgapPolicies) {
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(LEVELS, p.name).toContain(p.enforcementLevel);
      expect(p.url, p.name).toMatch(/^https:\/\//);
      expect(p.configSchema, p.name).toBeDefined();
      // @pulumi/policy refuses a schema that declares enforcementLevel itself.
      expect(Object.keys(p.configSchema?.properties ?? {}), p.name).not.toContain("enforcementLevel");
    }
  });

  it("documents every policy in docs/policies.md", () => {
    const doc = readFileSync(path.join(root, "docs", "policies.md"), "utf8");
    for (const p of syncgapPolicies) expect(doc, p.name).toContain(`## ${p.name}`);
  });

  it.each(readdirSync(configDir).filter((f) => f.endsWith(".json")))(
    "config example %s validates against the policies' schemas",
    (file) => {
      const config = JSON.parse(readFileSync(path.join(configDir, file), "utf8")) as Record<string, unknown>;
      const ajv = new Ajv({ allErrors: true, strict: false });
      for (const [policyName, value] of Object.entries(config)) {
        if (policyName === "all") continue;
        const policy = syncgapPolicies.find((p) => p.name === policyName);
        expect(policy, `${file}: unknown policy ${policyName}`).toBeDefined();
        if (typeof value === "string") {
          expect(LEVELS).toContain(value);
          continue;
        }
        const { enforcementLevel, ...props } = value as Record<string, unknown>;
        if (enforcementLevel !== undefined) expect(LEVELS).toContain(enforcementLevel);
        const schema = { type: "object", additionalProperties: false, ...policy?.configSchema };
        const valid = ajv.validate(schema, props);
        expect(valid, `${file} ${policyName}: ${ajv.errorsText()}`).toBe(true);
      }
    },
  );

  it("keeps secrets out of the config examples", () => {
    for (const file of readdirSync(configDir)) {
      const text = readFileSync(path.join(configDir, file), "utf8");
      expect(text, file).not.toMatch(/"(password|secret|clientSecret|token)"\s*:/i);
    }
  });
});
