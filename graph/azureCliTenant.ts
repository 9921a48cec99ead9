/**
 * The tenant the Azure CLI is signed in to (`az account show`), for the azureCli credential when no tenant id is
 * given: `az login` already chose one, so asking for it again is one step too many. graph/connection.ts asks here,
 * so the CLI, the Pulumi program, the provider and the policies all take the same tenant.
 *
 * az runs with this process's environment, as @azure/identity's AzureCliCredential runs it later (so the same az
 * and the same `AZURE_CONFIG_DIR` answer both), with a timeout, and with nothing secret on its command line: it is
 * asked for the tenant id only. When it cannot answer, the error says why (not installed, not signed in, too slow)
 * and what to do.
 */
import { spawnSync } from "node:child_process";

/** `az account show` normally answers in about a second; a first run or a proxy can take several. */
export const AZ_ACCOUNT_SHOW_TIMEOUT_MS = 20_000;

const AZ_ARGS = ["account", "show", "--query", "tenantId", "--output", "tsv"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why the Azure CLI gave no tenant, and what to do about it. */
export class AzureCliTenantError extends Error {
  override name = "AzureCliTenantError";
  constructor(
    readonly problem: string,
    readonly remedy: string,
  ) {
    super(`${problem}: ${remedy}`);
  }
}

/** The first line az printed, without control characters and cut short: for a message, not a log. */
function firstLine(text: string | null | undefined): string {
  const line = (text ?? "").split(/\r?\n/).find((l) => l.trim()) ?? "";
  const clean = line.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** The tenant id `az login` signed in to; an AzureCliTenantError when az cannot say. */
export function azureCliTenant(opts: { timeoutMs?: number } = {}): string {
  const timeoutMs = opts.timeoutMs ?? AZ_ACCOUNT_SHOW_TIMEOUT_MS;
  const windows = process.platform === "win32";
  const r = spawnSync("az", AZ_ARGS, {
    encoding: "utf8",
    timeout: timeoutMs,
    // az is az.cmd on Windows: only a shell finds it (the arguments are fixed, nothing to quote)
    shell: windows,
    windowsHide: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const orGive = "or give the tenant id";
  const failure = r.error as NodeJS.ErrnoException | undefined;
  if (failure?.code === "ENOENT" || (windows && r.status !== 0 && /is not recognized/i.test(r.stderr ?? ""))) {
    throw new AzureCliTenantError(
      "the Azure CLI (az) is not installed or not on PATH",
      `install it (https://learn.microsoft.com/cli/azure/install-azure-cli) and run \`az login\`, ${orGive}`,
    );
  }
  if (failure?.code === "ETIMEDOUT" || r.signal) {
    throw new AzureCliTenantError(
      `\`az account show\` did not answer within ${timeoutMs / 1000} s`,
      `run \`az account show\` in this shell to see what holds it up (a proxy, a prompt), ${orGive}`,
    );
  }
  if (failure) {
    throw new AzureCliTenantError(
      `\`az account show\` could not be run (${failure.code ?? failure.message})`,
      `check the Azure CLI installation, ${orGive}`,
    );
  }
  if (r.status !== 0) {
    const said = firstLine(r.stderr);
    if (/az login|not logged in|no subscriptions? found/i.test(r.stderr ?? "")) {
      throw new AzureCliTenantError(
        `the Azure CLI is not signed in${said ? ` (az: ${said})` : ""}`,
        `run \`az login\` (\`az login --allow-no-subscriptions\` for a tenant without an Azure subscription), ${orGive}`,
      );
    }
    throw new AzureCliTenantError(
      `\`az account show\` failed (exit code ${r.status}${said ? `: ${said}` : ""})`,
      `run \`az login\`, ${orGive}`,
    );
  }
  const id = (r.stdout ?? "").trim();
  if (!GUID.test(id)) {
    throw new AzureCliTenantError(
      `\`az account show\` answered ${JSON.stringify(firstLine(id))} where a tenant id was expected`,
      `run \`az login\` again, ${orGive}`,
    );
  }
  return id;
}
