/**
 * Pulumi@1, emulated as the marketplace task runs (pulumi/pulumi-az-pipelines-task): `pulumi version`, login, stack
 * select, then the command, with every variable (secrets included) in the CLI's environment. It uses the Pulumi CLI
 * already on the agent's PATH and downloads nothing, so a local run uses the CLI scripts/toolchain.sh installed.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { TaskHost, TaskResult } from "./taskHost";
import { bool, readInputs, resolveIn } from "./taskInputs";

export async function pulumiTask(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
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
