import { AzureCliTenantError, azureCliTenant } from "./azureCliTenant";
import { CLOUDS, type CloudName, isCloudName } from "./clouds";

/**
 * How syncgap reaches a tenant: which identity platform and Graph endpoint, and which credential.
 *
 * Nothing here is secret. Secrets (client secret, certificate password, federated token, pipeline access token)
 * are read from the environment at the moment a credential is built, so they never reach Pulumi state, reports
 * or logs. See docs/authentication.md for which method suits a laptop and which a pipeline.
 */
export const AUTH_METHODS = [
  "clientSecret",
  "clientCertificate",
  "workloadIdentity",
  "azurePipelines",
  "azureCli",
  "deviceCode",
  "usernamePassword",
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface GraphConnectionSettings {
  cloud: CloudName;
  tenantId: string;
  clientId?: string;
  authMethod: AuthMethod;
  /** Overrides the cloud's authority host (e.g. the local tenant emulator). */
  authorityHost?: string;
  /** Overrides the cloud's Graph endpoint, without `/v1.0` (e.g. `https://127.0.0.1:8443`). */
  graphEndpoint?: string;
  /** Extra CA certificate (PEM) to trust for the authority and Graph: the emulator's CA. */
  caCertPath?: string;
  /** clientCertificate: PEM file with the certificate and its private key. */
  certificatePath?: string;
  /** azurePipelines: the Azure DevOps service connection id (workload identity federation). */
  serviceConnectionId?: string;
  /** usernamePassword (local emulator and test tenants only; Microsoft blocks it under MFA). */
  username?: string;
}

/** Environment variables read for secrets; the names follow @azure/identity's EnvironmentCredential. */
export const SECRET_ENV = {
  clientSecret: "AZURE_CLIENT_SECRET",
  certificatePassword: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
  federatedTokenFile: "AZURE_FEDERATED_TOKEN_FILE",
  systemAccessToken: "SYSTEM_ACCESSTOKEN",
  password: "AZURE_PASSWORD",
} as const;

export class ConnectionSettingsError extends Error {
  override name = "ConnectionSettingsError";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads connection settings from environment variables (SYNCGAP_* first, then the AZURE_* names that
 * @azure/identity and Azure DevOps tasks use), merged over `overrides`.
 */
export function connectionFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<GraphConnectionSettings> = {},
): GraphConnectionSettings {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  const raw: Partial<GraphConnectionSettings> = {
    cloud: (pick("SYNCGAP_CLOUD") as CloudName | undefined) ?? "global",
    tenantId: pick("SYNCGAP_TENANT_ID", "AZURE_TENANT_ID"),
    clientId: pick("SYNCGAP_CLIENT_ID", "AZURE_CLIENT_ID"),
    authMethod: pick("SYNCGAP_AUTH_METHOD") as AuthMethod | undefined,
    authorityHost: pick("SYNCGAP_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"),
    graphEndpoint: pick("SYNCGAP_GRAPH_ENDPOINT"),
    caCertPath: pick("SYNCGAP_CA_CERT"),
    certificatePath: pick("SYNCGAP_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"),
    serviceConnectionId: pick("SYNCGAP_SERVICE_CONNECTION_ID", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"),
    username: pick("SYNCGAP_USERNAME", "AZURE_USERNAME"),
  };
  const merged = { ...raw, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  if (!merged.authMethod) merged.authMethod = inferAuthMethod(merged, env);
  return validateConnection(merged);
}

function inferAuthMethod(s: Partial<GraphConnectionSettings>, env: NodeJS.ProcessEnv): AuthMethod {
  if (s.serviceConnectionId && env[SECRET_ENV.systemAccessToken]) return "azurePipelines";
  if (env[SECRET_ENV.federatedTokenFile]) return "workloadIdentity";
  if (s.certificatePath) return "clientCertificate";
  if (env[SECRET_ENV.clientSecret]) return "clientSecret";
  if (s.username && env[SECRET_ENV.password]) return "usernamePassword";
  return "azureCli";
}

/**
 * Checks settings and says exactly what is missing or wrong, and how to set it. With the azureCli credential and no
 * tenant id, the tenant is the one `az login` signed in to (./azureCliTenant.ts); when az cannot say, the missing
 * tenant id's problem says why (the error's `cause` is the AzureCliTenantError).
 */
export function validateConnection(given: Partial<GraphConnectionSettings>): GraphConnectionSettings {
  let s = given;
  let azureCli: AzureCliTenantError | undefined;
  if (!s.tenantId && s.authMethod === "azureCli") {
    try {
      s = { ...s, tenantId: azureCliTenant() };
    } catch (e) {
      if (!(e instanceof AzureCliTenantError)) throw e;
      azureCli = e;
    }
  }
  const problems: string[] = [];
  if (!s.cloud || !isCloudName(s.cloud)) {
    problems.push(`cloud "${s.cloud}" is not one of ${Object.keys(CLOUDS).join(", ")} (SYNCGAP_CLOUD)`);
  }
  if (!s.tenantId) {
    problems.push(
      "tenant id is missing (SYNCGAP_TENANT_ID, AZURE_TENANT_ID or config syncgap:tenantId)" +
        (azureCli ? `, and the Azure CLI could not give the one it is signed in to: ${azureCli.message}` : ""),
    );
  } else if (!GUID.test(s.tenantId) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(s.tenantId)) {
    problems.push(`tenant id "${s.tenantId}" is neither a GUID nor a domain name`);
  }
  if (!s.authMethod || !(AUTH_METHODS as readonly string[]).includes(s.authMethod)) {
    problems.push(`auth method "${s.authMethod}" is not one of ${AUTH_METHODS.join(", ")} (SYNCGAP_AUTH_METHOD)`);
  }
  const needsClient: AuthMethod[] = [
    "clientSecret",
    "clientCertificate",
    "workloadIdentity",
    "azurePipelines",
    "deviceCode",
    "usernamePassword",
  ];
  if (s.authMethod && needsClient.includes(s.authMethod) && !s.clientId) {
    problems.push(
      `auth method ${s.authMethod} needs a client id (SYNCGAP_CLIENT_ID, AZURE_CLIENT_ID or config syncgap:clientId)`,
    );
  }
  if (s.authMethod === "clientCertificate" && !s.certificatePath) {
    problems.push("auth method clientCertificate needs a certificate path (AZURE_CLIENT_CERTIFICATE_PATH)");
  }
  if (s.authMethod === "azurePipelines" && !s.serviceConnectionId) {
    problems.push("auth method azurePipelines needs the service connection id (SYNCGAP_SERVICE_CONNECTION_ID)");
  }
  if (s.authMethod === "usernamePassword" && !s.username) {
    problems.push("auth method usernamePassword needs a user name (SYNCGAP_USERNAME)");
  }
  for (const [key, value] of [
    ["authority host", s.authorityHost],
    ["Graph endpoint", s.graphEndpoint],
  ] as const) {
    if (value && !/^https:\/\/[^/]+\/?$/.test(value)) {
      problems.push(`${key} "${value}" must be an https:// origin without a path`);
    }
  }
  if (problems.length) {
    throw new ConnectionSettingsError(`Graph connection settings are incomplete:\n  - ${problems.join("\n  - ")}`, {
      cause: azureCli,
    });
  }
  return s as GraphConnectionSettings;
}

export function resolvedEndpoints(s: GraphConnectionSettings): { authorityHost: string; graphEndpoint: string } {
  const cloud = CLOUDS[s.cloud];
  return {
    authorityHost: (s.authorityHost ?? cloud.authorityHost).replace(/\/$/, ""),
    graphEndpoint: (s.graphEndpoint ?? cloud.graphEndpoint).replace(/\/$/, ""),
  };
}

/**
 * The settings a provider call actually uses: the stored ones, with the current environment's overrides on top.
 * Stored settings say where and how the last `up` connected; a later run may legitimately connect differently —
 * the local tenant emulator listens on a free port, and a nightly drift check signs in as the pipeline's identity
 * while the deploy signed in as an approver (deviceCode). Overrides: SYNCGAP_GRAPH_ENDPOINT,
 * SYNCGAP_AUTHORITY_HOST, SYNCGAP_CA_CERT, SYNCGAP_AUTH_METHOD, SYNCGAP_CLIENT_ID, SYNCGAP_SERVICE_CONNECTION_ID,
 * SYNCGAP_USERNAME, SYNCGAP_CLIENT_CERTIFICATE_PATH. The tenant never changes this way.
 */
export function runtimeConnection(stored: GraphConnectionSettings, env: NodeJS.ProcessEnv = process.env) {
  const overrides: [keyof GraphConnectionSettings, string][] = [
    ["graphEndpoint", "SYNCGAP_GRAPH_ENDPOINT"],
    ["authorityHost", "SYNCGAP_AUTHORITY_HOST"],
    ["caCertPath", "SYNCGAP_CA_CERT"],
    ["authMethod", "SYNCGAP_AUTH_METHOD"],
    ["clientId", "SYNCGAP_CLIENT_ID"],
    ["serviceConnectionId", "SYNCGAP_SERVICE_CONNECTION_ID"],
    ["username", "SYNCGAP_USERNAME"],
    ["certificatePath", "SYNCGAP_CLIENT_CERTIFICATE_PATH"],
  ];
  const merged: Partial<GraphConnectionSettings> = { ...stored };
  for (const [key, name] of overrides) {
    if (env[name]) (merged as Record<string, unknown>)[key] = env[name];
  }
  return validateConnection(merged);
}
