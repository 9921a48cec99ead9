/**
 * settings-retained-on-delete (advisory): deleting the DirectoryFeatureSettings resource leaves the tenant as it is.
 *
 * Graph has no delete for the tenant's sync-features object; the provider's `onDelete` decides what a delete does:
 * `retain` (the provider's default) leaves the features as they are, `restore` puts back the values found before
 * syncgap first changed them. For bypassDirSyncOverridesEnabled, `restore` after a `pulumi destroy` (or after the
 * resource is dropped from the program) can switch AD authority off again and let cloud edits override AD. So the
 * resource should be protected or retained. Terraform's msgraph_update_resource makes the same choice: on delete it
 * leaves the properties unchanged.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { DIRECTORY_FEATURE_SETTINGS_TYPE, type DirectoryFeatureSettingsProps } from "../lib/directoryFeatureSettings";
import { configWithDefaults, docLink, forType } from "../lib/policyHelpers";

export const name = "settings-retained-on-delete";

export const PROTECT_URL = "https://www.pulumi.com/docs/iac/concepts/options/protect/";

export interface SettingsRetainedOnDeleteConfig {
  requireProtect: boolean;
}

export const configSchema: PolicyConfigSchema = {
  properties: {
    requireProtect: {
      type: "boolean",
      default: false,
      description:
        "true: the resource must be protected (`pulumi config set syncgap:protect true`) even when onDelete is retain.",
    },
  },
};

export const settingsRetainedOnDelete: ResourceValidationPolicy = {
  name,
  description:
    "DirectoryFeatureSettings should be protected or use onDelete: retain, so deleting the resource never flips the tenant's sync features back.",
  enforcementLevel: "advisory",
  severity: "medium",
  tags: ["syncgap", "entra-connect"],
  url: PROTECT_URL,
  remediationSteps: `pulumi config set syncgap:onDelete retain, or pulumi config set syncgap:protect true (${docLink(name)}).`,
  configSchema,
  validateResource: forType(DIRECTORY_FEATURE_SETTINGS_TYPE, (args, reportViolation) => {
    const { requireProtect } = configWithDefaults<SettingsRetainedOnDeleteConfig>(args, configSchema);
    if (args.opts.protect) return;
    const props = args.props as DirectoryFeatureSettingsProps;
    // The provider fills in "retain" when onDelete is not given.
    const onDelete = props.onDelete ?? "retain";
    if (requireProtect) {
      reportViolation(
        `This DirectoryFeatureSettings is not protected (onDelete: ${onDelete}) and this stack's policy config asks for ` +
          "protection: `pulumi config set syncgap:protect true`, so a stray `pulumi destroy` or a refactor cannot " +
          `delete it. See ${docLink(name)}.`,
      );
      return;
    }
    if (onDelete === "retain") return;
    reportViolation(
      `This DirectoryFeatureSettings uses onDelete: ${JSON.stringify(onDelete)} and is not protected: deleting it ` +
        "(pulumi destroy, or removing it from the program) would put back the feature values found before syncgap " +
        "first changed them, which can switch AD authority for mobile numbers off again. Fix: " +
        "`pulumi config set syncgap:onDelete retain` or `pulumi config set syncgap:protect true`. " +
        `See ${docLink(name)}.`,
    );
  }),
};
