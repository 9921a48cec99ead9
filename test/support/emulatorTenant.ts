/**
 * Shared helpers of the emulator tests: a small seed, starting an emulator whose CA this process trusts, and the real
 * clients (@azure/identity credentials, @microsoft/microsoft-graph-client) pointed at it.
 */
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  type TokenCredential,
  UsernamePasswordCredential,
} from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import type { AdUser } from "../../ad/types";
import {
  type RunningEmulator,
  type Seed,
  type StartEmulatorOptions,
  startEmulator,
  trustEmulatorCa,
} from "../../emulator";
import { tenantSeed } from "./tenantSeed";

export const TENANT_ID = "11111111-2222-4333-8444-555555555555";
export const APP_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
export const APP_SECRET = "test-secret-value";
export const CERT_APP_ID = "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee";
export const READONLY_APP_ID = "dddddddd-bbbb-4ccc-8ddd-eeeeeeeeeeee";
export const ADMIN_UPN = "admin@corp.example.test";
export const ADMIN_PASSWORD = "admin-password";
export const READER_UPN = "reader@corp.example.test";
export const READER_PASSWORD = "reader-password";
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** A synced user as the seed and an AD user describe it (same anchor). */
export function syncedPair(
  n: number,
  mobile: string | null,
  opts: { override?: boolean; cloudMobile?: string | null; suffix?: string } = {},
) {
  const guid = `0000000${n}-1111-4222-8333-44444444444${n}`.slice(-36).padStart(36, "0");
  const objectGuid = `${String(n).padStart(8, "0")}-1111-4222-8333-444444444444`;
  const immutableId = Buffer.from(objectGuid.replace(/-/g, ""), "hex").toString("base64");
  void guid;
  const sam = `user${n}`;
  const upn = `${sam}@${opts.suffix ?? "corp.example.test"}`;
  const dn = `CN=User ${n},OU=Staff,DC=corp,DC=example,DC=test`;
  const ad: AdUser = {
    distinguishedName: dn,
    userPrincipalName: upn,
    sAMAccountName: sam,
    displayName: `User ${n}`,
    ...(mobile ? { mobile } : {}),
    otherMobile: [],
    objectGuid,
    immutableId,
    objectSid: `S-1-5-21-1-2-3-${1000 + n}`,
    enabled: true,
  };
  return { ad, immutableId, upn };
}

export function baseSeed(extra: Partial<Seed> = {}): Seed {
  return tenantSeed(
    { id: TENANT_ID, displayName: "Test tenant", initialDomain: "testtenant.onmicrosoft.com" },
    {
      onPremisesSynchronization: { features: { passwordSyncEnabled: true, softMatchOnUpnEnabled: true } },
      applications: [
        {
          displayName: "syncgap test",
          appId: APP_ID,
          clientSecrets: [{ value: APP_SECRET }],
          appRoles: ["User.Read.All", "User.ReadWrite.All", "OnPremDirectorySynchronization.ReadWrite.All"],
        },
        {
          displayName: "read-only app",
          appId: READONLY_APP_ID,
          clientSecrets: [{ value: APP_SECRET }],
          appRoles: ["User.Read.All"],
        },
      ],
      users: [
        {
          userPrincipalName: ADMIN_UPN,
          displayName: "Admin",
          password: ADMIN_PASSWORD,
          scopes: ["User.Read", "User.Read.All", "User.ReadWrite.All", "OnPremDirectorySynchronization.ReadWrite.All"],
          directoryRoles: ["Global Administrator"],
        },
        {
          userPrincipalName: READER_UPN,
          displayName: "Reader",
          password: READER_PASSWORD,
          scopes: ["User.Read.All", "OnPremDirectorySynchronization.ReadWrite.All"],
          directoryRoles: ["Global Reader"],
        },
      ],
      ...extra,
    },
  );
}

/** Starts an emulator (seed defaults to baseSeed()) and makes this process trust its CA. */
export async function startTestEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({ seed: baseSeed(), ...opts });
  trustEmulatorCa(emu.caPem);
  return emu;
}

export function credentialOptions(emu: RunningEmulator) {
  return { authorityHost: emu.authorityHost, disableInstanceDiscovery: true };
}

export function secretCredential(emu: RunningEmulator, appId = APP_ID, secret = APP_SECRET): ClientSecretCredential {
  return new ClientSecretCredential(emu.tenantId, appId, secret, credentialOptions(emu));
}

export function certificateCredential(
  emu: RunningEmulator,
  appId: string,
  combinedPem: string,
): ClientCertificateCredential {
  return new ClientCertificateCredential(emu.tenantId, appId, { certificate: combinedPem }, credentialOptions(emu));
}

export function passwordCredential(
  emu: RunningEmulator,
  upn = ADMIN_UPN,
  password = ADMIN_PASSWORD,
): UsernamePasswordCredential {
  return new UsernamePasswordCredential(emu.tenantId, APP_ID, upn, password, credentialOptions(emu));
}

/** The Graph client as product code builds it, pointed at the emulator. */
export function graphClient(emu: RunningEmulator, credential: TokenCredential): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
    baseUrl: `${emu.baseUrl}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([emu.hostName]),
  });
}

/** A Graph client that sends a fixed bearer token (for expired/forged token cases). */
export function graphClientWithToken(emu: RunningEmulator, token: string): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => token },
    baseUrl: `${emu.baseUrl}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([emu.hostName]),
  });
}

/** Raw HTTPS call (fetch trusts the CA via trustEmulatorCa). */
export async function raw(
  emu: RunningEmulator,
  method: string,
  path: string,
  opts: { token?: string; body?: string | object; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${emu.baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function appToken(emu: RunningEmulator, appId = APP_ID): Promise<string> {
  const t = await secretCredential(emu, appId).getToken(GRAPH_SCOPE);
  return t.token;
}

export async function adminToken(emu: RunningEmulator, upn = ADMIN_UPN, password = ADMIN_PASSWORD): Promise<string> {
  const t = await passwordCredential(emu, upn, password).getToken(GRAPH_SCOPE);
  return t.token;
}
