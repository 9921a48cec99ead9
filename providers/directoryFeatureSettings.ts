import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { GraphConnectionSettings } from "../graph/connection";
import type { FeatureName } from "../graph/onPremisesSynchronization";

/**
 * DirectoryFeatureSettings: the tenant's `onPremisesDirectorySynchronization.features`, declared as a Pulumi
 * resource (type token `pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings`, which policies target).
 *
 * Only the features you declare are managed; the others are never changed. Graph has no create or delete for
 * this object: creating the resource adopts the tenant's object, and deleting it leaves the tenant as it is
 * (`onDelete: "retain"`, the default) or puts back the values found before the first change (`"restore"`).
 * `pulumi import` does not reach dynamic providers (pulumi/pulumi#16175): adoption in create is the way.
 *
 * Serialization: Pulumi stores this provider's code in the state and runs it in a separate process. The
 * methods below capture only two strings (where the implementation lives); they load it at call time, so no
 * client, credential, token or secret is ever serialized (pulumi/pulumi#8265).
 */
export const DIRECTORY_FEATURE_SETTINGS_TYPE = "pulumi-nodejs:dynamic/syncgap:DirectoryFeatureSettings";

export type FeatureInputs = { [K in FeatureName]?: pulumi.Input<boolean> };

export interface DirectoryFeatureSettingsArgs extends FeatureInputs {
  /** Required. true: on-prem AD's mobile and otherMobile win over cloud edits during sync. */
  bypassDirSyncOverridesEnabled: pulumi.Input<boolean>;
  /** The tenant this must be; the resource fails rather than change another tenant. */
  tenantId?: pulumi.Input<string>;
  /** What deleting the resource does to the tenant. Default: "retain". */
  onDelete?: pulumi.Input<"retain" | "restore">;
  /** The intent the declared value came from (informational; the policy pack reads it). */
  mobilePhoneAuthority?: pulumi.Input<"onPremises" | "cloud">;
  /** How to reach the tenant. Non-secret: secrets are read from the environment at run time. */
  connection: pulumi.Input<GraphConnectionSettings>;
}

// Captured by the serialized provider: plain strings only. The implementation runs from its bundle,
// dist/provider.cjs (scripts/build.mjs; program.cjs rebuilt dist/ before the program ran), as the program does.
const implRelative = "dist/provider.cjs";
// the program runs from dist/program.cjs, so this file's __dirname is dist/
const implAbsolute = path.join(__dirname, "provider.cjs");

function loadImpl(): typeof import("./directoryFeatureSettingsProvider") {
  // Runs in the dynamic-provider process. The project may have moved since the state was written (a CI
  // checkout), so the program directory (the process's working directory) is tried first.
  const fs = require("node:fs");
  const p = require("node:path");
  const candidate = p.resolve(process.cwd(), implRelative);
  return require(fs.existsSync(candidate) ? candidate : implAbsolute);
}

const provider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => loadImpl().check(olds, news),
  diff: (id, olds, news) => loadImpl().diff(id, olds, news),
  create: (inputs) => loadImpl().create(inputs),
  read: (id, props) => loadImpl().read(id, props),
  update: (id, olds, news) => loadImpl().update(id, olds, news),
  delete: (id, props) => loadImpl().remove(id, props),
};

export class DirectoryFeatureSettings extends pulumi.dynamic.Resource {
  declare readonly bypassDirSyncOverridesEnabled: pulumi.Output<boolean>;
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly onDelete: pulumi.Output<"retain" | "restore">;
  declare readonly managedFeatures: pulumi.Output<string[]>;
  /** All 20 features as last seen in the tenant. */
  declare readonly liveFeatures: pulumi.Output<Record<string, boolean | null>>;
  /** Declared features' values before syncgap first changed them. */
  declare readonly priorValues: pulumi.Output<Record<string, boolean | null>>;

  constructor(name: string, args: DirectoryFeatureSettingsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { managedFeatures: undefined, liveFeatures: undefined, priorValues: undefined, ...args },
      opts,
      "syncgap",
      "DirectoryFeatureSettings",
    );
  }
}
