/**
 * mobile-authority-flag (mandatory): every DirectoryFeatureSettings declares the value of
 * bypassDirSyncOverridesEnabled that the configured mobile-number authority needs.
 *
 * Microsoft documents `true` as the setting that "persists the values of Mobile and OtherMobile in on-premises AD
 * during sync cycles instead of values of MobilePhone or AlternateMobilePhones in Microsoft Entra ID"
 * (https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature,
 * https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides). So AD authority
 * (`onPremises`) needs `true` and cloud authority (`cloud`) needs `false`. The seed article says the reverse; this
 * policy exists to stop that mistake reaching a tenant.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import {
  DIRECTORY_FEATURE_SETTINGS_TYPE,
  type DirectoryFeatureSettingsProps,
  flagFor,
  type MobilePhoneAuthority,
} from "../lib/directoryFeatureSettings";
import { configWithDefaults, docLink, forType } from "../lib/policyHelpers";

export const name = "mobile-authority-flag";

export const HOWTO_URL = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides";
export const FEATURE_URL = "https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature";

export interface MobileAuthorityFlagConfig {
  authority: MobilePhoneAuthority;
}

export const configSchema: PolicyConfigSchema = {
  properties: {
    authority: {
      type: "string",
      enum: ["onPremises", "cloud"],
      default: "onPremises",
      description:
        "Who owns users' mobile numbers. onPremises: AD wins, so bypassDirSyncOverridesEnabled must be true. " +
        "cloud: numbers edited in Entra ID win, so it must be false.",
    },
  },
};

/** One sentence on the seed article's inverted advice, said wherever the value is wrong. */
export const SEED_CONFUSION =
  'The widely shared "sync gap" article says false makes AD win and names a "Directory Feature Settings" template; ' +
  "Microsoft documents the opposite (true persists AD's Mobile and OtherMobile during sync) and Graph has no such " +
  "template, so follow Microsoft Learn.";

function fixFor(authority: MobilePhoneAuthority, props: DirectoryFeatureSettingsProps): string {
  const setAuthority = `pulumi config set syncgap:mobilePhoneAuthority ${authority}`;
  const removeOverride = "pulumi config rm syncgap:bypassDirSyncOverridesEnabled";
  if (props.mobilePhoneAuthority === authority) {
    // The stack's intent is right, so an explicit override produced the wrong value.
    return `remove the explicit override (\`${removeOverride}\`); the stack's mobilePhoneAuthority "${authority}" then gives the right value`;
  }
  return `\`${setAuthority}\` and remove any explicit override (\`${removeOverride}\`)`;
}

export function describeViolation(authority: MobilePhoneAuthority, props: DirectoryFeatureSettingsProps): string {
  const expected = flagFor(authority);
  const declared = props.bypassDirSyncOverridesEnabled;
  const what =
    typeof declared === "boolean"
      ? `declares bypassDirSyncOverridesEnabled = ${declared}`
      : "declares no boolean bypassDirSyncOverridesEnabled";
  const meaning = expected
    ? "on-prem AD must stay the authority for mobile numbers, which needs true"
    : "numbers edited in Entra ID must win, which needs false";
  return [
    `This DirectoryFeatureSettings ${what}, but the configured authority is "${authority}": ${meaning}.`,
    `Fix: ${fixFor(authority, props)}.`,
    SEED_CONFUSION,
    `Sources: ${HOWTO_URL} and ${FEATURE_URL}; see ${docLink(name)}.`,
  ].join("\n");
}

export const mobileAuthorityFlag: ResourceValidationPolicy = {
  name,
  description:
    "DirectoryFeatureSettings must declare the bypassDirSyncOverridesEnabled value the mobile-number authority needs (onPremises → true, cloud → false).",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["syncgap", "entra-connect", "mobile-phone"],
  url: HOWTO_URL,
  remediationSteps: `pulumi config set syncgap:mobilePhoneAuthority onPremises, and remove any explicit syncgap:bypassDirSyncOverridesEnabled (${docLink(name)}).`,
  configSchema,
  validateResource: forType(DIRECTORY_FEATURE_SETTINGS_TYPE, (args, reportViolation) => {
    const { authority } = configWithDefaults<MobileAuthorityFlagConfig>(args, configSchema);
    const props = args.props as DirectoryFeatureSettingsProps;
    if (props.bypassDirSyncOverridesEnabled === flagFor(authority)) return;
    reportViolation(describeViolation(authority, props));
  }),
};
