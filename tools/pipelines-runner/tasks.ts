/**
 * The tasks syncgap's pipelines use, emulated as far as a local run needs and no further. Each emulation says
 * what it does not do; an input it does not know, or a task it does not know, fails the step.
 *
 * - Cache@2: key from `|`-separated segments (quoted text, file paths hashed, globs), restore from a local cache
 *   store, save after a successful job when the key missed. https://learn.microsoft.com/azure/devops/pipelines/release/caching
 * - PublishPipelineArtifact@1: copies the target path into the run's artifacts folder.
 * - PublishTestResults@2: finds JUnit files, checks they parse and counts tests, failures and errors.
 * - AzureCLI@2: runs the bash script with the service connection's identity in the environment
 *   (AZURESUBSCRIPTION_CLIENT_ID/_TENANT_ID/_SERVICE_CONNECTION_ID; with addSpnToEnvironment also
 *   servicePrincipalId, tenantId, idToken or servicePrincipalKey). It does not run `az login`.
 * - Pulumi@1: uses the Pulumi CLI already on the agent's PATH (it downloads nothing), then login, stack select
 *   and the command, as the marketplace task does (pulumi/pulumi-az-pipelines-task).
 * - PowerShell@2: inline scripts only, and only in a job on a self-hosted agent given to the runner
 *   (RunOptions.agents) that says how it runs PowerShell; this machine has none of its own.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type TaskResult = "Succeeded" | "SucceededWithIssues" | "Failed";

export interface ServiceConnection {
  /** The service connection's id (GUID), as AzureCLI@2 exports it for AzurePipelinesCredential. */
  id?: string;
  tenantId: string;
  /** The app registration's (client) id. */
  servicePrincipalId: string;
  /** Workload identity federation: the OIDC token AzureCLI@2 exposes as idToken. */
  idToken?: string;
  /** Secret-based connections: the client secret (servicePrincipalKey). */
  servicePrincipalKey?: string;
}

export interface Artifact {
  name: string;
  path: string;
  files: string[];
}

export interface TestRun {
  title: string;
  files: string[];
  total: number;
  failed: number;
  errors: number;
  skipped: number;
}

/** What a task emulation may ask of the runner. */
export interface TaskHost {
  readonly cwd: string;
  readonly env: Record<string, string>;
  log(line: string): void;
  warn(message: string): void;
  /** Runs a program with the job's output handling (logging commands, masking); resolves to its exit code. */
  exec(file: string, args: string[], opts: { env: Record<string, string>; cwd: string }): Promise<number>;
  /** Writes a script into the agent's temp folder and returns its path. */
  writeTempScript(content: string): string;
  addSecret(value: string): void;
  setVariable(name: string, value: string): void;
  prependPath(dir: string): void;
  /** All variables, secrets included, as environment variables (what Pulumi@1 hands to the CLI). */
  allVariablesAsEnv(): Record<string, string>;
  serviceConnection(name: string): ServiceConnection | undefined;
  readonly artifactsDir: string;
  readonly cacheStore: string;
  readonly defaultWorkingDirectory: string;
  onJobSucceeded(fn: () => void): void;
  recordArtifact(a: Artifact): void;
  recordTestRun(t: TestRun): void;
  /** The job's self-hosted agent's PowerShell, if it has one (RunOptions.agents). */
  readonly powershell?: PowerShellHost;
}

/** How a self-hosted agent given to the local runner runs a PowerShell@2 script; resolves to the exit code. */
export type PowerShellHost = (
  script: string,
  opts: { errorActionPreference: string; pwsh: boolean; log: (line: string) => void },
) => Promise<number>;

export class TaskInputError extends Error {
  override name = "TaskInputError";
}

interface InputSpec {
  names: string[];
  /** alias → input name */
  aliases?: Record<string, string>;
  required?: string[];
}

function readInputs(task: string, raw: Record<string, string>, spec: InputSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = spec.aliases?.[k] ?? spec.names.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!name) throw new TaskInputError(`${task}: the local runner does not know the input "${k}"`);
    out[name] = v;
  }
  for (const r of spec.required ?? []) {
    if (!out[r]) throw new TaskInputError(`${task}: input "${r}" is required`);
  }
  return out;
}

const bool = (v: string | undefined, dflt = false) => (v === undefined || v === "" ? dflt : /^true$/i.test(v));

function resolveIn(base: string, p: string): string {
  return path.isAbsolute(p) ? p : path.join(base, p);
}

// ---------------------------------------------------------------------------------------------------- Cache@2

function cacheKey(host: TaskHost, spec: string): string {
  return spec
    .split("|")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((segment) => {
      const quoted = /^"(.*)"$/.exec(segment);
      if (quoted) return quoted[1] as string;
      const looksLikePath = /[*?[/]/.test(segment) || /\.[A-Za-z0-9]+$/.test(segment);
      if (!looksLikePath) return segment;
      const files = /[*?[]/.test(segment)
        ? globSync(segment, { cwd: host.defaultWorkingDirectory }).sort()
        : [segment].filter((f) => existsSync(resolveIn(host.defaultWorkingDirectory, f)));
      if (files.length === 0) throw new TaskInputError(`Cache@2: no file matches the key segment "${segment}"`);
      const h = createHash("sha256");
      for (const f of files) {
        const abs = resolveIn(host.defaultWorkingDirectory, f);
        if (statSync(abs).isFile()) h.update(f).update(readFileSync(abs));
      }
      return h.digest("base64");
    })
    .join("|");
}

async function cache(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("Cache@2", raw, {
    names: ["key", "path", "cacheHitVar", "restoreKeys"],
    required: ["key", "path"],
  });
  const key = cacheKey(host, inputs.key as string);
  const target = resolveIn(host.defaultWorkingDirectory, inputs.path as string);
  const entry = (k: string) => path.join(host.cacheStore, createHash("sha256").update(k).digest("hex"));
  const hitVar = inputs.cacheHitVar;
  let hit: "true" | "inexact" | "false" = "false";
  if (existsSync(path.join(entry(key), "key"))) {
    hit = "true";
    restore(entry(key));
  } else {
    const prefixes = (inputs.restoreKeys ?? "").split("\n").map((s) => s.trim());
    for (const prefix of prefixes.filter(Boolean)) {
      const resolved = cacheKey(host, prefix);
      const match = findByPrefix(host.cacheStore, resolved);
      if (match) {
        hit = "inexact";
        restore(match);
        break;
      }
    }
  }
  host.log(
    `Cache@2 (local runner): key ${key} → ${hit === "true" ? "hit" : hit === "inexact" ? "partial hit" : "miss"}`,
  );
  if (hitVar) host.setVariable(hitVar, hit);
  if (hit !== "true") {
    host.onJobSucceeded(() => {
      if (!existsSync(target)) {
        host.warn(`Cache@2: not saving, the path ${target} does not exist`);
        return;
      }
      const dir = entry(key);
      rmSync(dir, { recursive: true, force: true });
      cpSync(target, path.join(dir, "content"), { recursive: true, verbatimSymlinks: true });
      writeFileSync(path.join(dir, "key"), key);
      host.log(`Cache@2 (local runner): saved ${target} under key ${key}`);
    });
  }
  return "Succeeded";

  function restore(dir: string) {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(dir, "content"), target, { recursive: true, verbatimSymlinks: true });
  }
}

function findByPrefix(store: string, prefix: string): string | undefined {
  if (!existsSync(store)) return undefined;
  for (const f of globSync("*/key", { cwd: store })) {
    if (readFileSync(path.join(store, f), "utf8").startsWith(prefix)) return path.join(store, path.dirname(f));
  }
  return undefined;
}

// --------------------------------------------------------------------------------- PublishPipelineArtifact@1

function listFiles(dir: string): string[] {
  return statSync(dir).isFile()
    ? [path.basename(dir)]
    : globSync("**/*", { cwd: dir }).filter((f) => statSync(path.join(dir, f)).isFile());
}

async function publishArtifact(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
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

async function publishTestResults(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
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

// ------------------------------------------------------------------------------------------------ AzureCLI@2

async function azureCli(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("AzureCLI@2", raw, {
    names: [
      "azureSubscription",
      "scriptType",
      "scriptLocation",
      "scriptPath",
      "inlineScript",
      "arguments",
      "powerShellErrorActionPreference",
      "addSpnToEnvironment",
      "useGlobalConfig",
      "workingDirectory",
      "failOnStandardError",
      "powerShellIgnoreLASTEXITCODE",
      "visibleAzLogin",
      "keepAzSessionActive",
    ],
    aliases: { connectedServiceNameARM: "azureSubscription", scriptArguments: "arguments", cwd: "workingDirectory" },
    required: ["azureSubscription", "scriptType"],
  });
  if (inputs.scriptType !== "bash") {
    throw new TaskInputError(`AzureCLI@2: the local runner runs bash scripts only (scriptType ${inputs.scriptType})`);
  }
  const name = inputs.azureSubscription as string;
  const sc = host.serviceConnection(name);
  if (!sc) {
    host.log(
      `##[error]The pipeline is not valid. Step input azureSubscription references service connection ${name} ` +
        "which could not be found (give the local runner a serviceConnections entry for it).",
    );
    return "Failed";
  }
  const env: Record<string, string> = {
    ...host.env,
    AZURESUBSCRIPTION_CLIENT_ID: sc.servicePrincipalId,
    AZURESUBSCRIPTION_TENANT_ID: sc.tenantId,
    ...(sc.id ? { AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: sc.id } : {}),
  };
  if (bool(inputs.addSpnToEnvironment)) {
    env.servicePrincipalId = sc.servicePrincipalId;
    env.tenantId = sc.tenantId;
    if (sc.idToken) {
      host.addSecret(sc.idToken);
      env.idToken = sc.idToken;
    }
    if (sc.servicePrincipalKey) {
      host.addSecret(sc.servicePrincipalKey);
      env.servicePrincipalKey = sc.servicePrincipalKey;
    }
  }
  host.log(
    `AzureCLI@2 (local runner): service connection ${name} (tenant ${sc.tenantId}, client ${sc.servicePrincipalId}); ` +
      "az login is not performed",
  );
  let script: string;
  if ((inputs.scriptLocation ?? "scriptPath") === "inlineScript") {
    script = host.writeTempScript(inputs.inlineScript ?? "");
  } else {
    if (!inputs.scriptPath) throw new TaskInputError("AzureCLI@2: input scriptPath is required");
    script = resolveIn(host.defaultWorkingDirectory, inputs.scriptPath);
  }
  // The task runs `bash <script> <arguments>`; a wrapper lets bash itself split the arguments.
  const wrapper = host.writeTempScript(
    `exec bash --noprofile --norc ${JSON.stringify(script)} ${(inputs.arguments ?? "").replace(/\n/g, " ")}\n`,
  );
  const cwd = resolveIn(host.defaultWorkingDirectory, inputs.workingDirectory ?? ".");
  const code = await host.exec("bash", ["--noprofile", "--norc", wrapper], { env, cwd });
  if (code !== 0) {
    host.log(`##[error]Script failed with exit code: ${code}`);
    return "Failed";
  }
  return "Succeeded";
}

// -------------------------------------------------------------------------------------------------- Pulumi@1

async function pulumiTask(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("Pulumi@1", raw, {
    names: [
      "azureSubscription",
      "command",
      "loginArgs",
      "args",
      "cwd",
      "stack",
      "versionSpec",
      "createStack",
      "createPrComment",
      "useThreadedPrComments",
    ],
    required: ["stack"],
  });
  if (inputs.azureSubscription && !host.serviceConnection(inputs.azureSubscription)) {
    host.log(`##[error]service connection ${inputs.azureSubscription} could not be found`);
    return "Failed";
  }
  const pathDirs = (host.env.PATH ?? "").split(":").filter(Boolean);
  const dir = pathDirs.find((d) => existsSync(path.join(d, "pulumi")));
  if (!dir) {
    host.log(
      "##[error]Pulumi@1 (local runner): no pulumi on the agent's PATH. The local runner downloads nothing: " +
        "install the CLI first (scripts/toolchain.sh does).",
    );
    return "Failed";
  }
  host.prependPath(dir);
  const env = { ...host.allVariablesAsEnv(), ...host.env };
  const cwd = resolveIn(host.defaultWorkingDirectory, inputs.cwd ?? ".");
  const run = (args: string[]) => host.exec(path.join(dir, "pulumi"), args, { env, cwd });
  if ((await run(["version"])) !== 0) return "Failed";
  if (inputs.versionSpec && inputs.versionSpec !== "latest") {
    host.log(`Pulumi@1 (local runner): versionSpec ${inputs.versionSpec}; using the CLI found in ${dir}`);
  }
  const loginArgs = (inputs.loginArgs ?? "").split(" ").filter(Boolean);
  let login: string[];
  if (env.AZURE_STORAGE_CONTAINER) login = ["login", "-c", `azblob://${env.AZURE_STORAGE_CONTAINER}`];
  else if (env.PULUMI_ACCESS_TOKEN || loginArgs.length) login = ["login", ...loginArgs];
  else {
    host.log(
      "##[error]Couldn't determine which login method to use (set loginArgs, AZURE_STORAGE_CONTAINER or " +
        "PULUMI_ACCESS_TOKEN).",
    );
    return "Failed";
  }
  if ((await run(login)) !== 0) return "Failed";
  const select = ["stack", "select", inputs.stack as string, ...(bool(inputs.createStack) ? ["--create"] : [])];
  if ((await run(select)) !== 0) return "Failed";
  if (!inputs.command) {
    host.log("No Pulumi command to run. Exiting early.");
    return "Succeeded";
  }
  const code = await run([inputs.command, ...(inputs.args ?? "").split(" ").filter(Boolean)]);
  return code === 0 ? "Succeeded" : "Failed";
}

// ---------------------------------------------------------------------------------------------- PowerShell@2

async function powershell(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("PowerShell@2", raw, {
    names: [
      "targetType",
      "filePath",
      "arguments",
      "script",
      "errorActionPreference",
      "warningPreference",
      "informationPreference",
      "verbosePreference",
      "debugPreference",
      "progressPreference",
      "failOnStderr",
      "showWarnings",
      "ignoreLASTEXITCODE",
      "pwsh",
      "workingDirectory",
      "runScriptInSeparateScope",
    ],
  });
  if ((inputs.targetType ?? "filePath").toLowerCase() !== "inline" || !inputs.script) {
    throw new TaskInputError("PowerShell@2: the local runner runs inline scripts only (targetType: inline, script)");
  }
  if (!host.powershell) {
    throw new TaskInputError(
      "PowerShell@2: this job's agent cannot run PowerShell; the local runner runs it only on a self-hosted agent " +
        "it was given (RunOptions.agents) with a powershell handler",
    );
  }
  const code = await host.powershell(inputs.script, {
    errorActionPreference: inputs.errorActionPreference ?? "stop",
    pwsh: bool(inputs.pwsh),
    log: (l) => host.log(l),
  });
  if (code !== 0) host.log(`##[error]PowerShell exited with code '${code}'.`);
  return code === 0 ? "Succeeded" : "Failed";
}

export const TASKS: Record<string, (host: TaskHost, inputs: Record<string, string>) => Promise<TaskResult>> = {
  "Cache@2": cache,
  "PublishPipelineArtifact@1": publishArtifact,
  "PublishTestResults@2": publishTestResults,
  "AzureCLI@2": azureCli,
  "Pulumi@1": pulumiTask,
  "PowerShell@2": powershell,
};
