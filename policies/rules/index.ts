/**
 * The syncgap policies, in the order the pack lists them. Tests import this (or a single rule) without starting
 * the policy pack's server; policies/index.ts is the only place that creates the PolicyPack.
 */
import type { Policies } from "@pulumi/policy";
import { mobileAuthorityFlag } from "./mobile-authority-flag";
import { mobileGapImpact } from "./mobile-gap-impact";
import { oneSettingsResourcePerTenant } from "./one-settings-resource-per-tenant";
import { pipelineIdentityLeastPrivilege } from "./pipeline-identity-least-privilege";
import { settingsRetainedOnDelete } from "./settings-retained-on-delete";

export const syncgapPolicies: Policies = [
  mobileAuthorityFlag,
  oneSettingsResourcePerTenant,
  settingsRetainedOnDelete,
  mobileGapImpact,
  pipelineIdentityLeastPrivilege,
];
