import { createHash } from "node:crypto";
import { globSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { Value } from "../../tools/pipelines-runner/expressions";
import { DEFAULT_SCHEMA, PipelineSchema, type SchemaKind } from "../../tools/pipelines-runner/schema";

const root = path.resolve(__dirname, "..", "..");
const files = [
  "azure-pipelines.yml",
  ...globSync("pipelines/**/*.yml", { cwd: root }),
  ...globSync("test/pipelines/fixtures/**/*.yml", { cwd: root }),
]
  .filter((f) => !f.endsWith("unknown-task.yml")) // a negative control, below
  .sort();

const load = (f: string) => YAML.parse(readFileSync(path.join(root, f), "utf8")) as Value;
const kindOf = (doc: Value): SchemaKind | undefined => {
  const d = doc as Record<string, unknown>;
  if ("trigger" in d || "pr" in d || "schedules" in d || "pool" in d) return undefined; // a pipeline
  if ("stages" in d) return "stagesTemplate";
  if ("jobs" in d) return "jobsTemplate";
  if ("steps" in d) return "stepsTemplate";
  return undefined;
};

let schema: PipelineSchema;
beforeAll(() => {
  schema = new PipelineSchema();
});

describe("the schema copy", () => {
  it("is Microsoft's service-schema.json as recorded in its README (sha256)", () => {
    const sha = createHash("sha256").update(readFileSync(DEFAULT_SCHEMA)).digest("hex");
    expect(readFileSync(path.join(path.dirname(DEFAULT_SCHEMA), "README.md"), "utf8")).toContain(sha);
  });
});

describe("every pipeline YAML validates against the Azure Pipelines schema", () => {
  it("finds the pipeline, the templates and the runner's fixtures", () => {
    expect(files).toContain("azure-pipelines.yml");
    expect(files).toContain("pipelines/templates/deploy-stage.yml");
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const f of files) {
    it(`${f} (root schema)`, () => {
      const r = schema.validate(load(f));
      expect(r.errors).toEqual([]);
      expect(r.valid).toBe(true);
    });
    const kind = kindOf(YAML.parse(readFileSync(path.join(root, f), "utf8")));
    if (kind) {
      it(`${f} (${kind})`, () => {
        const r = schema.validate(load(f), kind);
        expect(r.errors).toEqual([]);
      });
    }
  }
});

describe("the validation catches mistakes (negative controls)", () => {
  const pipeline = (steps: unknown[]) => ({ trigger: "none", steps }) as Value;

  it("an unknown step property", () => {
    const r = schema.validate(pipeline([{ bash: "echo", displayname: "typo" }]));
    expect(r.valid).toBe(false);
  });

  it("an unknown task, while Pulumi@1 (the one marketplace task added) passes", () => {
    expect(schema.validate(pipeline([{ task: "NoSuchTask@9" }])).valid).toBe(false);
    expect(schema.validate(load("test/pipelines/fixtures/unknown-task.yml")).valid).toBe(false);
    expect(schema.validate(pipeline([{ task: "Pulumi@1", inputs: { stack: "s", command: "preview" } }])).valid).toBe(
      true,
    );
  });

  it("a built-in task's unknown or missing input", () => {
    expect(schema.validate(pipeline([{ task: "Cache@2", inputs: { key: "k" } }])).valid).toBe(false);
    expect(schema.validate(pipeline([{ task: "Cache@2", inputs: { key: "k", path: "p", bogus: "x" } }])).valid).toBe(
      false,
    );
    expect(
      schema.validate(pipeline([{ task: "AzureCLI@2", inputs: { azureSubscription: "x", scriptType: "fish" } }])).valid,
    ).toBe(false);
  });

  // The strings below are Azure Pipelines template expressions, not JavaScript template placeholders.
  it("a mistake inside an each or if branch (lifting does not hide it)", () => {
    const doc = {
      trigger: "none",
      steps: [{ "${{ each x in parameters.list }}": [{ bash: "echo", bogus: true }] }],
    } as Value;
    expect(schema.validate(doc).valid).toBe(false);
    const ok = { trigger: "none", steps: [{ "${{ if true }}": [{ bash: "echo" }] }] } as Value;
    expect(schema.validate(ok).valid).toBe(true);
  });

  it("a job name that is not a reference name", () => {
    const doc = { jobs: [{ job: "preview-contoso.x", steps: [{ bash: "echo" }] }] } as Value;
    expect(schema.validate(doc).valid).toBe(false);
  });
});
