import type { AuthMethod, GraphConnectionSettings } from "../graph/connection";

/** What reaching a local tenant takes: an in-process RunningEmulator or the `emulator/cli.ts start` output. */
export interface TenantEndpoint {
  tenantId: string;
  /** `https://127.0.0.1:PORT`: the identity platform and Graph both live there. */
  baseUrl: string;
  caCertPath: string;
}

export interface EmulatorSignIn {
  clientId: string;
  authMethod: AuthMethod;
  /** usernamePassword: the seeded user's UPN. */
  username?: string;
}

/**
 * syncgap's Graph connection settings for the local tenant: the product's own settings type, with only the
 * endpoints and the trusted CA pointing at the emulator. The secret stays in the environment (AZURE_CLIENT_SECRET
 * or AZURE_PASSWORD), as it would for Microsoft's endpoints.
 */
export function emulatorConnection(emu: TenantEndpoint, signIn: EmulatorSignIn): GraphConnectionSettings {
  return {
    cloud: "global",
    tenantId: emu.tenantId,
    clientId: signIn.clientId,
    authMethod: signIn.authMethod,
    ...(signIn.username ? { username: signIn.username } : {}),
    authorityHost: emu.baseUrl,
    graphEndpoint: emu.baseUrl,
    caCertPath: emu.caCertPath,
  };
}

/** The same settings as environment variables, for child processes (Pulumi, `syncgap`), CA trust included. */
export function emulatorEnv(emu: TenantEndpoint, signIn: EmulatorSignIn): NodeJS.ProcessEnv {
  return {
    NODE_EXTRA_CA_CERTS: emu.caCertPath,
    SYNCGAP_CA_CERT: emu.caCertPath,
    SYNCGAP_GRAPH_ENDPOINT: emu.baseUrl,
    SYNCGAP_AUTHORITY_HOST: emu.baseUrl,
    SYNCGAP_TENANT_ID: emu.tenantId,
    SYNCGAP_CLIENT_ID: signIn.clientId,
    SYNCGAP_AUTH_METHOD: signIn.authMethod,
    ...(signIn.username ? { SYNCGAP_USERNAME: signIn.username } : {}),
  };
}
