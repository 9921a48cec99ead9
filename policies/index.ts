/**
 * syncgap's CrossGuard policy pack. Run it with a preview:
 *
 *   pulumi preview --policy-pack policies [--policy-pack-config policies/config/strict.json]
 *
 * The policies live in policies/rules/ (one per file, with their metadata); docs/policies.md explains each.
 */
import { PolicyPack } from "@pulumi/policy";
import { syncgapPolicies } from "./rules";

new PolicyPack("syncgap", {
  description:
    "Keeps on-prem AD authoritative for mobile numbers in hybrid Entra ID tenants, and the pipeline identity minimal.",
  policies: syncgapPolicies,
});
