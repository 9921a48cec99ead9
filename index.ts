/**
 * syncgap's Pulumi program: declares the tenant's directory-sync features and exports what the tenant shows.
 *
 *   pulumi up --refresh           enforces the declared features (Pulumi.yaml's `options: refresh: always` makes
 *                                 a plain `pulumi up` refresh too: without a refresh, up compares the declaration
 *                                 with the last update's state and misses a change made outside Pulumi)
 *   pulumi preview --refresh      detects drift (with --expect-no-changes: exit 7 when something drifted)
 *   pulumi preview --policy-pack policies   the pull-request gate
 *
 * Which value? The user's goal is that on-prem AD stays the authority for mobile numbers. Microsoft documents
 * `bypassDirSyncOverridesEnabled: true` as the setting that "persists the values of Mobile and OtherMobile in
 * on-premises AD during sync cycles" (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides,
 * https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature). The seed article
 * says the opposite; Microsoft Learn wins. So the stack is configured by intent, `syncgap:mobilePhoneAuthority`
 * (onPremises → true, cloud → false), and an explicit `syncgap:bypassDirSyncOverridesEnabled` overrides it —
 * loudly, so a reviewer sees it in the preview.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudName } from "./graph/clouds";
import { type AuthMethod, connectionFromEnv, type GraphConnectionSettings } from "./graph/connection";
import type { FeatureName } from "./graph/onPremisesSynchronization";
import { DirectoryFeatureSettings } from "./providers/directoryFeatureSettings";

const config = new pulumi.Config("syncgap");

const authority = config.get("mobilePhoneAuthority") ?? "onPremises";
if (authority !== "onPremises" && authority !== "cloud") {
  throw new Error(
    `syncgap:mobilePhoneAuthority is "${authority}"; use "onPremises" (AD's mobile numbers win) or "cloud" ` +
      "(numbers edited in Entra ID win). Set it with: pulumi config set syncgap:mobilePhoneAuthority onPremises",
  );
}
const intended = authority === "onPremises";
// Optional keys are declared in Pulumi.yaml with an empty default: "" means "not set".
const opt = (key: string): string | undefined => config.get(key) || undefined;
const explicitText = opt("bypassDirSyncOverridesEnabled");
if (explicitText !== undefined && explicitText !== "true" && explicitText !== "false") {
  throw new Error(
    `syncgap:bypassDirSyncOverridesEnabled is "${explicitText}"; use true, false, or leave it empty to derive it from ` +
      "syncgap:mobilePhoneAuthority.",
  );
}
const explicit = explicitText === undefined ? undefined : explicitText === "true";
const bypassDirSyncOverridesEnabled = explicit ?? intended;
if (explicit !== undefined && explicit !== intended) {
  pulumi.log.warn(
    `syncgap:bypassDirSyncOverridesEnabled is set explicitly to ${explicit}, overriding ` +
      `syncgap:mobilePhoneAuthority=${authority} (which means ${intended}). ` +
      (explicit
        ? "On-prem AD's mobile numbers will overwrite cloud-edited ones at the next sync."
        : "Cloud-edited mobile numbers will keep overriding on-prem AD (DirSync overrides stay in force)."),
  );
}

// Other features, by Graph's names (providers/inputsSchema.ts: the provider's check refuses an unknown name or a
// non-boolean, naming it). The switch itself is declared by intent, above.
const features = config.getObject<Record<string, boolean>>("features") ?? {};
if ("bypassDirSyncOverridesEnabled" in features) {
  throw new Error("declare bypassDirSyncOverridesEnabled through syncgap:mobilePhoneAuthority, not syncgap:features");
}

// Connection: stack config first, then the environment (SYNCGAP_* / AZURE_*). Never a secret: those stay in
// the environment of whoever runs Pulumi.
const connection: GraphConnectionSettings = connectionFromEnv(process.env, {
  cloud: opt("cloud") as CloudName | undefined,
  tenantId: opt("tenantId"),
  clientId: opt("clientId"),
  authMethod: opt("authMethod") as AuthMethod | undefined,
  authorityHost: opt("authorityHost"),
  graphEndpoint: opt("graphEndpoint"),
  caCertPath: opt("caCertPath"),
  certificatePath: opt("certificatePath"),
  serviceConnectionId: opt("serviceConnectionId"),
  username: opt("username"),
});

const onDelete = (config.get("onDelete") ?? "retain") as "retain" | "restore";

const settings = new DirectoryFeatureSettings(
  "directory-feature-settings",
  {
    bypassDirSyncOverridesEnabled,
    mobilePhoneAuthority: authority,
    ...(features as Partial<Record<FeatureName, boolean>>),
    // Only a GUID pins the tenant; a domain name in the connection is resolved by the identity platform.
    ...(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(connection.tenantId)
      ? { tenantId: connection.tenantId }
      : {}),
    onDelete,
    connection,
  },
  { protect: config.getBoolean("protect") ?? false },
);

export const tenantId = settings.tenantId;
export const mobilePhoneAuthority = authority;
export const declaredBypassDirSyncOverridesEnabled = bypassDirSyncOverridesEnabled;
export const valueSource =
  explicit === undefined ? "syncgap:mobilePhoneAuthority" : "syncgap:bypassDirSyncOverridesEnabled";
// What the tenant held at the end of this stack's last `pulumi up` (or `pulumi refresh`): the value the provider
// read in the refresh, or wrote. Not "live": `pulumi stack output` reads the state, never the tenant, so a change
// made outside Pulumi since then does not show here. For the tenant's value now: `pulumi preview --refresh
// --expect-no-changes` (exit 7 on drift) or `syncgap check`.
export const lastSeenBypassDirSyncOverridesEnabled = settings.bypassDirSyncOverridesEnabled;
export const lastSeenFeatures = settings.liveFeatures;
export const priorValues = settings.priorValues;
