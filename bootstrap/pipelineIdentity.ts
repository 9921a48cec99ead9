/**
 * The identity syncgap's Azure DevOps pipelines sign in as, in one tenant:
 *   - an app registration with exactly the Graph application permissions syncgap needs (grants.ts, from the table in graph/permissions.ts), in
 *     `requiredResourceAccesses` (what the portal's "API permissions" page shows) and granted with admin consent
 *     (one AppRoleAssignment per permission to the tenant's Microsoft Graph service principal);
 *   - its service principal;
 *   - a federated identity credential that trusts the Azure DevOps service connection (workload identity
 *     federation: no secret exists). https://learn.microsoft.com/azure/devops/pipelines/library/connect-to-azure
 *   - with enforcementIdentity "delegated", a second, public-client app registration for the device-code sign-in
 *     of a Global Administrator, with the delegated OnPremDirectorySynchronization.ReadWrite.All scope and a
 *     tenant-wide admin consent for it: Microsoft documents the sync-settings API as delegated-only, with Global
 *     Administrator the only supported role (https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-update).
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import {
  DELEGATED_SCOPES,
  type EnforcementIdentity,
  type GraphPermission,
  MICROSOFT_GRAPH_APP_ID,
  pipelineAppRoles,
} from "./grants";

export interface FederationSettings {
  /** e.g. https://vstoken.dev.azure.com/<organization id>, exactly as the service connection shows it. */
  issuer: string;
  /** e.g. sc://<organization>/<project>/<service connection name>, exactly as the service connection shows it. */
  subject: string;
  /** Default ["api://AzureADTokenExchange"]. */
  audiences?: string[];
}

export interface PipelineIdentityArgs {
  displayName: string;
  federation: FederationSettings;
  enforcementIdentity: EnforcementIdentity;
  /**
   * Also grant what reading the directory audit log takes (AuditLog.Read.All, Directory.Read.All), so the nightly
   * drift check and the gate name who changed the switch; the stacks' policy config then sets auditEvidence: true.
   */
  auditEvidence?: boolean;
  /** Object ids of the users who own the app registrations (besides whoever runs the bootstrap). */
  owners?: string[];
}

export const DEFAULT_AUDIENCES = ["api://AzureADTokenExchange"];

/** Stops the deployment when a permission id here differs from the tenant's Graph service principal. */
export function checkPublishedIds(kind: string, expected: GraphPermission[], published: Record<string, string>): void {
  for (const p of expected) {
    const actual = published[p.value];
    if (actual !== undefined && actual.toLowerCase() !== p.id.toLowerCase()) {
      throw new Error(
        `Microsoft Graph in this tenant publishes ${kind} ${p.value} as ${actual}, but bootstrap/grants.ts ` +
          `says ${p.id}; refusing to grant a permission by a wrong id`,
      );
    }
    if (actual === undefined) {
      throw new Error(`Microsoft Graph in this tenant has no ${kind} named ${p.value}`);
    }
  }
}

export class PipelineIdentity extends pulumi.ComponentResource {
  readonly application: azuread.Application;
  readonly servicePrincipal: azuread.ServicePrincipal;
  readonly federatedCredential: azuread.ApplicationFederatedIdentityCredential;
  readonly appRoleAssignments: azuread.AppRoleAssignment[];
  readonly delegatedApplication?: azuread.Application;
  readonly delegatedServicePrincipal?: azuread.ServicePrincipal;
  readonly delegatedGrant?: azuread.ServicePrincipalDelegatedPermissionGrant;
  /** The Graph application permissions granted, by name. */
  readonly grantedAppRoles: string[];

  constructor(name: string, args: PipelineIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("syncgap:bootstrap:PipelineIdentity", name, {}, opts);
    const parent = { parent: this };
    const roles = pipelineAppRoles(args.enforcementIdentity, { auditEvidence: args.auditEvidence });
    this.grantedAppRoles = roles.map((r) => r.value);

    // Looked up, never managed: the bootstrap must not own (or ever delete) Microsoft Graph's service principal.
    const graph = azuread.getServicePrincipalOutput({ clientId: MICROSOFT_GRAPH_APP_ID }, parent);
    const graphObjectId = graph.apply((g) => {
      checkPublishedIds("the app role", roles, g.appRoleIds);
      if (args.enforcementIdentity === "delegated") {
        checkPublishedIds("the delegated scope", Object.values(DELEGATED_SCOPES), g.oauth2PermissionScopeIds);
      }
      return g.objectId;
    });

    this.application = new azuread.Application(
      `${name}-app`,
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        owners: args.owners,
        notes:
          "syncgap pipeline identity (Azure DevOps, workload identity federation). Managed by syncgap's bootstrap " +
          "Pulumi program; permissions: " +
          this.grantedAppRoles.join(", "),
        requiredResourceAccesses: [
          {
            resourceAppId: MICROSOFT_GRAPH_APP_ID,
            resourceAccesses: roles.map((r) => ({ id: r.id, type: "Role" })),
          },
        ],
      },
      parent,
    );

    this.servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      { clientId: this.application.clientId, appRoleAssignmentRequired: false, owners: args.owners },
      parent,
    );

    this.federatedCredential = new azuread.ApplicationFederatedIdentityCredential(
      `${name}-azure-devops`,
      {
        applicationId: this.application.id,
        displayName: "azure-devops-service-connection",
        description: `Azure DevOps service connection ${args.federation.subject}`,
        issuer: args.federation.issuer,
        subject: args.federation.subject,
        audiences: args.federation.audiences ?? DEFAULT_AUDIENCES,
      },
      parent,
    );

    // Admin consent for the application permissions: one app role assignment each.
    this.appRoleAssignments = roles.map(
      (r) =>
        new azuread.AppRoleAssignment(
          `${name}-${r.value}`,
          { appRoleId: r.id, principalObjectId: this.servicePrincipal.objectId, resourceObjectId: graphObjectId },
          parent,
        ),
    );

    if (args.enforcementIdentity === "delegated") {
      const scope = DELEGATED_SCOPES["OnPremDirectorySynchronization.ReadWrite.All"];
      this.delegatedApplication = new azuread.Application(
        `${name}-delegated-app`,
        {
          displayName: `${args.displayName} (delegated enforcement)`,
          signInAudience: "AzureADMyOrg",
          owners: args.owners,
          // Device-code sign-in is a public-client flow.
          fallbackPublicClientEnabled: true,
          notes:
            "syncgap delegated enforcement: a Global Administrator signs in with a device code during the deploy " +
            "job's pulumi up. Managed by syncgap's bootstrap Pulumi program.",
          requiredResourceAccesses: [
            { resourceAppId: MICROSOFT_GRAPH_APP_ID, resourceAccesses: [{ id: scope.id, type: "Scope" }] },
          ],
        },
        parent,
      );
      this.delegatedServicePrincipal = new azuread.ServicePrincipal(
        `${name}-delegated-sp`,
        { clientId: this.delegatedApplication.clientId, owners: args.owners },
        parent,
      );
      // Admin consent for the delegated scope. Only a Global Administrator can use it anyway: the API supports no
      // other role.
      this.delegatedGrant = new azuread.ServicePrincipalDelegatedPermissionGrant(
        `${name}-delegated-consent`,
        {
          servicePrincipalObjectId: this.delegatedServicePrincipal.objectId,
          resourceServicePrincipalObjectId: graphObjectId,
          claimValues: [scope.value],
        },
        parent,
      );
    }

    this.registerOutputs({
      clientId: this.application.clientId,
      servicePrincipalObjectId: this.servicePrincipal.objectId,
      delegatedClientId: this.delegatedApplication?.clientId,
    });
  }
}
