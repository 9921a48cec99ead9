/**
 * The tasks that run a script the step gives:
 * - AzureCLI@2: the bash script, with the service connection's identity in the environment
 *   (AZURESUBSCRIPTION_CLIENT_ID/_TENANT_ID/_SERVICE_CONNECTION_ID; with addSpnToEnvironment also
 *   servicePrincipalId, tenantId, idToken or servicePrincipalKey). It does not run `az login`.
 * - PowerShell@2: inline scripts only, and only in a job on a self-hosted agent given to the runner
 *   (RunOptions.agents) that says how it runs PowerShell; this machine has none of its own.
 */
import type { TaskHost, TaskResult } from "./taskHost";
import { bool, readInputs, resolveIn, TaskInputError } from "./taskInputs";

// ------------------------------------------------------------------------------------------------ AzureCLI@2

export async function azureCli(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
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
// ---------------------------------------------------------------------------------------------- PowerShell@2

export async function powershell(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
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
