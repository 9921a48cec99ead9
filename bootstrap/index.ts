/**
 * syncgap's bootstrap: the pipeline identity for one tenant (app registration, service principal, federated
 * credential for the Azure DevOps service connection, Graph application permissions with admin consent).
 * A Pulumi program of its own, with @pulumi/azuread; run it once per tenant as someone who may grant admin consent
 * (Privileged Role Administrator or Global Administrator). See bootstrap/README.md.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { readBootstrapConfig } from "./config";
import { PipelineIdentity } from "./pipelineIdentity";

const args = readBootstrapConfig(new pulumi.Config("syncgap-bootstrap"));
const identity = new PipelineIdentity("syncgap-pipeline", args);
const client = azuread.getClientConfigOutput();

/** Put these into the Azure DevOps service connection (manual workload identity federation) and the variable group. */
export const tenantId = client.tenantId;
export const clientId = identity.application.clientId;
export const servicePrincipalObjectId = identity.servicePrincipal.objectId;
export const federationIssuer = identity.federatedCredential.issuer;
export const federationSubject = identity.federatedCredential.subject;
export const graphApplicationPermissions = identity.grantedAppRoles;
export const enforcementIdentity = args.enforcementIdentity;
/** delegated only: SYNCGAP_DELEGATED_CLIENT_ID for the deploy job's device-code sign-in. */
export const delegatedClientId = identity.delegatedApplication?.clientId;
