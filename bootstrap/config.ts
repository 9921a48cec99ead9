/**
 * The bootstrap's stack configuration (namespace `syncgap-bootstrap`), checked and turned into PipelineIdentity
 * arguments. The federated credential's issuer and subject are either given as Azure DevOps shows them on the
 * service connection's page (federationIssuer, federationSubject), or built from the organization, project and
 * service connection names in the classic form:
 *   issuer  https://vstoken.dev.azure.com/<organization id>
 *   subject sc://<organization>/<project>/<service connection name>
 * https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity
 */
import type { EnforcementIdentity } from "./grants";
import { DEFAULT_AUDIENCES, type PipelineIdentityArgs } from "./pipelineIdentity";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class BootstrapConfigError extends Error {
  override name = "BootstrapConfigError";
}

/** The part of pulumi.Config the bootstrap reads (so tests can pass a plain object). */
export interface ConfigReader {
  get(key: string): string | undefined;
  getObject<T>(key: string): T | undefined;
}

export function readBootstrapConfig(config: ConfigReader): PipelineIdentityArgs {
  const problems: string[] = [];
  const enforcement = (config.get("enforcementIdentity") ?? "appOnly") as EnforcementIdentity;
  if (enforcement !== "appOnly" && enforcement !== "delegated") {
    problems.push(`enforcementIdentity is "${enforcement}"; use appOnly or delegated`);
  }
  let issuer = config.get("federationIssuer");
  let subject = config.get("federationSubject");
  const org = config.get("azureDevOpsOrganization");
  const orgId = config.get("azureDevOpsOrganizationId");
  const project = config.get("azureDevOpsProject");
  const connection = config.get("serviceConnectionName");
  if (!issuer) {
    if (!orgId) problems.push("set azureDevOpsOrganizationId (the organization's GUID) or federationIssuer");
    else if (!GUID.test(orgId)) problems.push(`azureDevOpsOrganizationId "${orgId}" is not a GUID`);
    else issuer = `https://vstoken.dev.azure.com/${orgId}`;
  } else if (!/^https:\/\//.test(issuer)) {
    problems.push(`federationIssuer "${issuer}" must be an https:// URL`);
  }
  if (!subject) {
    const parts = { azureDevOpsOrganization: org, azureDevOpsProject: project, serviceConnectionName: connection };
    const missing = Object.entries(parts).filter(([, v]) => !v);
    if (missing.length) {
      problems.push(`set ${missing.map(([k]) => k).join(", ")} (or federationSubject)`);
    } else {
      for (const [k, v] of Object.entries(parts)) {
        if ((v as string).includes("/")) problems.push(`${k} "${v}" must not contain '/'`);
      }
      subject = `sc://${org}/${project}/${connection}`;
    }
  }
  const audiences = config.getObject<string[]>("federationAudiences") ?? DEFAULT_AUDIENCES;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== "string" || !a)) {
    problems.push("federationAudiences must be a non-empty list of strings");
  }
  const auditEvidence = config.get("auditEvidence") ?? "false";
  if (auditEvidence !== "true" && auditEvidence !== "false") {
    problems.push(`auditEvidence is "${auditEvidence}"; use true or false`);
  }
  const owners = config.getObject<string[]>("owners") ?? [];
  for (const o of owners) if (!GUID.test(o)) problems.push(`owners: "${o}" is not an object id (GUID)`);
  if (problems.length) {
    throw new BootstrapConfigError(
      `syncgap-bootstrap configuration:\n  - ${problems.join("\n  - ")}\n` +
        "Set values with: pulumi config set syncgap-bootstrap:<key> <value> (see bootstrap/README.md)",
    );
  }
  return {
    displayName: config.get("displayName") ?? "syncgap pipeline",
    enforcementIdentity: enforcement,
    ...(auditEvidence === "true" ? { auditEvidence: true } : {}),
    federation: { issuer: issuer as string, subject: subject as string, audiences },
    ...(owners.length ? { owners } : {}),
  };
}
