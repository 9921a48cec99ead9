/**
 * The local tenant (emulator/) for the gap tests: a tenant with a synced directory made the way Entra Connect makes
 * it (the emulator's own sync cycle from an AdSource), an app that may read users, and Graph connection settings
 * pointing at it — the same settings a pipeline gives the real tenant.
 */
import type { AdUser } from "../../ad/types";
import {
  type RunningEmulator,
  type Seed,
  emulatorConnection as sharedConnection,
  startEmulator,
  type TenantEndpoint,
} from "../../emulator";
import type { GraphConnectionSettings } from "../../graph/connection";
import { pipelineApplication, tenantSeed } from "./tenantSeed";

export const TENANT_ID = "7c0a4b1e-5d2f-4e8a-9b3c-1f2e3d4c5b6a";
export const APP_ID = "3f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f";
export const NO_USERS_APP_ID = "4f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f";
export const APP_SECRET = "gap-test-secret-not-real";

export function gapSeed(extra: Partial<Seed> = {}): Seed {
  return tenantSeed(
    { id: TENANT_ID, displayName: "syncgap gap tests", initialDomain: "gaptest.onmicrosoft.com" },
    {
      options: { allowAppOnlyOnPremSync: true },
      applications: [
        pipelineApplication("syncgap gap tests", APP_ID, APP_SECRET),
        { displayName: "no user read", appId: NO_USERS_APP_ID, clientSecrets: [{ value: APP_SECRET }], appRoles: [] },
      ],
      users: [],
      ...extra,
    },
  );
}

export async function startGapEmulator(seed: Seed = gapSeed()): Promise<RunningEmulator> {
  return startEmulator({ seed });
}

export type { TenantEndpoint };

/** Graph connection settings for the emulator (the secret comes from `gapEnv()`). */
export function emulatorConnection(emu: TenantEndpoint, appId = APP_ID): GraphConnectionSettings {
  return sharedConnection(emu, { clientId: appId, authMethod: "clientSecret" });
}

/** Environment for runGapAnalysis / the CLI: only the secret, and (CLI) the endpoints. */
export function gapEnv(emu: TenantEndpoint, appId = APP_ID): NodeJS.ProcessEnv {
  return {
    AZURE_CLIENT_SECRET: APP_SECRET,
    SYNCGAP_TENANT_ID: emu.tenantId,
    SYNCGAP_CLIENT_ID: appId,
    SYNCGAP_AUTH_METHOD: "clientSecret",
    SYNCGAP_GRAPH_ENDPOINT: emu.baseUrl,
    SYNCGAP_AUTHORITY_HOST: emu.baseUrl,
    SYNCGAP_CA_CERT: emu.caCertPath,
  };
}

/** Syncs `ad` into the tenant (an Initial cycle, as Entra Connect would). */
export async function syncFrom(emu: { admin: RunningEmulator["admin"] }, ad: AdUser[]): Promise<void> {
  await emu.admin.setInlineSyncSource(ad);
  const r = await emu.admin.sync("Initial");
  if (r.errors.length) throw new Error(`sync errors: ${JSON.stringify(r.errors)}`);
}

/** A cloud edit of a synced user's mobile (what makes a DirSync override). */
export async function cloudEdit(
  emu: { admin: RunningEmulator["admin"] },
  upn: string,
  mobilePhone: string | null,
): Promise<void> {
  await emu.admin.patchUser(upn, { mobilePhone, dirSyncOverride: true });
}
