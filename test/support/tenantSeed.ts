/**
 * One builder for the local tenants that the tests, the pipelines' runner and the benchmarks seed: a tenant whose
 * directory Entra Connect synchronises from corp.example.test (the Samba DC's domain): sync enabled, a last sync
 * time, the switch off. Callers add their apps, users and anything they test beyond that.
 */
import { pipelineAppRoles } from "../../bootstrap/grants";
import type { Seed, SeedApplication } from "../../emulator";

/** The DNS domain of the Samba DC and of the generated users. */
export const CORP_DOMAIN = "corp.example.test";

export function tenantSeed(
  tenant: Pick<Seed["tenant"], "id" | "displayName" | "initialDomain">,
  rest: Omit<Seed, "tenant"> = {},
): Seed {
  return {
    tenant: { ...tenant, verifiedDomains: [CORP_DOMAIN], defaultDomain: CORP_DOMAIN },
    onPremisesSynchronization: { features: { bypassDirSyncOverridesEnabled: false, passwordSyncEnabled: true } },
    organization: { onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: "2025-01-01T00:00:00Z" },
    ...rest,
  };
}

/** syncgap's pipeline identity as the bootstrap registers it for app-only enforcement (bootstrap/grants.ts). */
export function pipelineApplication(
  displayName: string,
  appId: string,
  secret: string,
  opts: { auditEvidence?: boolean } = {},
): SeedApplication {
  return {
    displayName,
    appId,
    clientSecrets: [{ value: secret }],
    appRoles: pipelineAppRoles("appOnly", opts).map((p) => p.value),
  };
}
