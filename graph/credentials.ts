import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import { type GraphConnectionSettings, resolvedEndpoints, SECRET_ENV } from "./connection";

export interface CredentialOptions {
  env?: NodeJS.ProcessEnv;
  /** A secret handed over programmatically (e.g. from Pulumi secret config) instead of the environment. */
  clientSecret?: string;
  /** deviceCode: where to show the sign-in message (defaults to stderr). */
  onDeviceCode?: (message: string) => void;
}

/**
 * Builds the @azure/identity credential for the configured method. Which one to use where:
 * - laptop: `azureCli` (after `az login`) or `deviceCode` as a Global Administrator;
 * - Azure DevOps: `azurePipelines` (workload identity federation through the service connection);
 * - other CI / Kubernetes: `workloadIdentity` (AZURE_FEDERATED_TOKEN_FILE), else `clientCertificate`;
 * - `clientSecret` works everywhere but is the secret most likely to leak: prefer the others.
 * https://learn.microsoft.com/javascript/api/overview/azure/identity-readme
 *
 * `disableInstanceDiscovery` is set whenever the authority is not one of Microsoft's, because MSAL's instance
 * discovery would otherwise reject a private authority (the local tenant emulator).
 */
export function createCredential(s: GraphConnectionSettings, opts: CredentialOptions = {}): TokenCredential {
  // Imported here, not at the top, so the dynamic provider's serialized closure never captures the module, and a
  // command that builds no credential never loads it.
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const env = opts.env ?? process.env;
  const { authorityHost } = resolvedEndpoints(s);
  const common = {
    authorityHost,
    disableInstanceDiscovery: !/^https:\/\/login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)$/.test(authorityHost),
  };
  const clientId = s.clientId as string;
  const need = (name: string, what: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${what} is not set: put it in the environment variable ${name} (never in config files)`);
    return v;
  };
  switch (s.authMethod) {
    case "clientSecret":
      return new identity.ClientSecretCredential(
        s.tenantId,
        clientId,
        opts.clientSecret ?? need(SECRET_ENV.clientSecret, "the client secret"),
        common,
      );
    case "clientCertificate":
      return new identity.ClientCertificateCredential(
        s.tenantId,
        clientId,
        {
          certificate: readFileSync(s.certificatePath as string, "utf8"),
          ...(env[SECRET_ENV.certificatePassword] ? { password: env[SECRET_ENV.certificatePassword] } : {}),
        },
        common,
      );
    case "workloadIdentity":
      return new identity.WorkloadIdentityCredential({
        ...common,
        tenantId: s.tenantId,
        clientId,
        tokenFilePath: need(SECRET_ENV.federatedTokenFile, "the federated token file path"),
      });
    case "azurePipelines":
      return new identity.AzurePipelinesCredential(
        s.tenantId,
        clientId,
        s.serviceConnectionId as string,
        need(SECRET_ENV.systemAccessToken, "the pipeline's System.AccessToken"),
        common,
      );
    case "azureCli":
      return new identity.AzureCliCredential({ tenantId: s.tenantId });
    case "deviceCode":
      return new identity.DeviceCodeCredential({
        ...common,
        tenantId: s.tenantId,
        clientId,
        userPromptCallback: (info) =>
          (opts.onDeviceCode ?? ((m: string) => process.stderr.write(`${m}\n`)))(info.message),
      });
    case "usernamePassword":
      return new identity.UsernamePasswordCredential(
        s.tenantId,
        clientId,
        s.username as string,
        need(SECRET_ENV.password, "the user's password"),
        common,
      );
  }
}
