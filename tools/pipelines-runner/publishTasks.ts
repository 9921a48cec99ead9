/**
 * The tasks that keep what a job produced with the run record: PublishPipelineArtifact@1 copies the target path
 * into the run's artifacts folder (pipeline artifacts only); PublishTestResults@2 finds JUnit files, checks they
 * parse and counts tests, failures, errors and skips (JUnit only).
 */
import { cpSync, existsSync, globSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { TaskHost, TaskResult, TestRun } from "./taskHost";
import { bool, readInputs, resolveIn, TaskInputError } from "./taskInputs";

// --------------------------------------------------------------------------------- PublishPipelineArtifact@1

function listFiles(dir: string): string[] {
  return statSync(dir).isFile()
    ? [path.basename(dir)]
    : globSync("**/*", { cwd: dir }).filter((f) => statSync(path.join(dir, f)).isFile());
}

export async function publishArtifact(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("PublishPipelineArtifact@1", raw, {
    names: ["targetPath", "artifact", "publishLocation", "fileSharePath", "parallel", "parallelCount", "properties"],
    aliases: { path: "targetPath", artifactName: "artifact", artifactType: "publishLocation" },
  });
  if ((inputs.publishLocation ?? "pipeline") !== "pipeline") {
    throw new TaskInputError("PublishPipelineArtifact@1: the local runner publishes to the pipeline only");
  }
  const name = inputs.artifact;
  if (!name) throw new TaskInputError("PublishPipelineArtifact@1: give the artifact a name (input artifact)");
  const source = resolveIn(host.defaultWorkingDirectory, inputs.targetPath ?? ".");
  if (!existsSync(source)) {
    host.log(`##[error]Path does not exist: ${source}`);
    return "Failed";
  }
  const dest = path.join(host.artifactsDir, name);
  if (existsSync(dest)) {
    host.log(`##[error]Artifact ${name} already exists for this run`);
    return "Failed";
  }
  cpSync(source, statSync(source).isFile() ? path.join(dest, path.basename(source)) : dest, { recursive: true });
  const files = listFiles(dest);
  host.recordArtifact({ name, path: dest, files });
  host.log(`PublishPipelineArtifact@1 (local runner): ${files.length} file(s) from ${source} → artifact ${name}`);
  return "Succeeded";
}

// ------------------------------------------------------------------------------------- PublishTestResults@2

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type XmlNode = Record<string, unknown>;

/** Counts a JUnit file's test cases, failures, errors and skips (testsuites → testsuite → testcase). */
export function countJUnit(xml: string): { total: number; failed: number; errors: number; skipped: number } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => ["testsuite", "testcase"].includes(name),
  }).parse(xml) as XmlNode;
  const suites: XmlNode[] = [];
  const collect = (node: XmlNode | undefined) => {
    for (const s of asArray(node?.testsuite as XmlNode | XmlNode[] | undefined)) {
      suites.push(s);
      collect(s);
    }
  };
  if (doc.testsuites) collect(doc.testsuites as XmlNode);
  else if (doc.testsuite) collect(doc);
  else throw new Error("no <testsuites> or <testsuite> element: not a JUnit file");
  const counts = { total: 0, failed: 0, errors: 0, skipped: 0 };
  for (const s of suites) {
    for (const c of asArray(s.testcase as XmlNode | XmlNode[] | undefined)) {
      counts.total++;
      if (typeof c !== "object" || c === null) continue;
      if ("failure" in c) counts.failed++;
      else if ("error" in c) counts.errors++;
      else if ("skipped" in c) counts.skipped++;
    }
  }
  return counts;
}

export async function publishTestResults(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("PublishTestResults@2", raw, {
    names: [
      "testResultsFormat",
      "testResultsFiles",
      "searchFolder",
      "mergeTestResults",
      "failTaskOnFailedTests",
      "failTaskOnFailureToPublishResults",
      "failTaskOnMissingResultsFile",
      "testRunTitle",
      "buildPlatform",
      "buildConfiguration",
      "publishRunAttachments",
    ],
    aliases: { testRunner: "testResultsFormat", platform: "buildPlatform", configuration: "buildConfiguration" },
  });
  if ((inputs.testResultsFormat ?? "JUnit").toLowerCase() !== "junit") {
    throw new TaskInputError("PublishTestResults@2: the local runner reads JUnit results only");
  }
  const folder = resolveIn(host.defaultWorkingDirectory, inputs.searchFolder ?? ".");
  const patterns = (inputs.testResultsFiles ?? "**/TEST-*.xml").split(/\r?\n/).map((s) => s.trim());
  const files = [
    ...new Set(
      patterns.filter(Boolean).flatMap((p) => (path.isAbsolute(p) ? globSync(p) : globSync(p, { cwd: folder }))),
    ),
  ].map((f) => resolveIn(folder, f));
  if (files.length === 0) {
    const msg = `No test result files matching ${patterns.join(", ")} were found in ${folder}.`;
    if (bool(inputs.failTaskOnMissingResultsFile)) {
      host.log(`##[error]${msg}`);
      return "Failed";
    }
    host.warn(msg);
    return "Succeeded";
  }
  const run: TestRun = { title: inputs.testRunTitle ?? "JUnit", files, total: 0, failed: 0, errors: 0, skipped: 0 };
  for (const f of files) {
    try {
      const c = countJUnit(readFileSync(f, "utf8"));
      run.total += c.total;
      run.failed += c.failed;
      run.errors += c.errors;
      run.skipped += c.skipped;
    } catch (e) {
      const msg = `Failed to read ${f}: ${(e as Error).message}`;
      if (bool(inputs.failTaskOnFailureToPublishResults)) {
        host.log(`##[error]${msg}`);
        return "Failed";
      }
      host.warn(msg);
    }
  }
  host.recordTestRun(run);
  host.log(
    `PublishTestResults@2 (local runner): ${run.title}: ${run.total} test(s), ${run.failed} failed, ` +
      `${run.errors} error(s), ${run.skipped} skipped, from ${files.length} file(s)`,
  );
  if (bool(inputs.failTaskOnFailedTests) && run.failed + run.errors > 0) {
    host.log(`##[error]There are one or more test failures.`);
    return "Failed";
  }
  return "Succeeded";
}
