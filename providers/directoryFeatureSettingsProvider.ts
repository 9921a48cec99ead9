/**
 * The implementation behind the DirectoryFeatureSettings dynamic resource (providers/directoryFeatureSettings.ts).
 *
 * It runs inside Pulumi's dynamic-provider process, loaded at call time, so nothing here is serialized into
 * the stack's state: no client, credential or token is ever captured (pulumi/pulumi#8265), and secrets are read
 * from the environment when a credential is built.
 *
 * Semantics (there is no Graph "create" for this object, and `pulumi import` does not reach dynamic providers,
 * pulumi/pulumi#16175, so adoption happens in create):
 *  - create: adopt the tenant's object, record the declared features' prior values, PATCH only if a declared
 *    feature differs.
 *  - read (refresh): live values, so `pulumi refresh` and `preview --refresh` see drift.
 *  - diff: only declared features (and settings that change where or how syncgap connects).
 *  - update: PATCH only if a declared feature differs from the live value.
 *  - delete: `retain` leaves the tenant as it is; `restore` puts back the prior values.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { GraphConnectionSettings } from "../graph/connection";
import { FEATURE_NAMES, type FeatureName, type Features } from "../graph/onPremisesSynchronization";
import { inputsSchema } from "./inputsSchema";

export interface SettingsInputs {
  bypassDirSyncOverridesEnabled: boolean;
  tenantId?: string;
  onDelete?: "retain" | "restore";
  mobilePhoneAuthority?: "onPremises" | "cloud";
  connection: GraphConnectionSettings;
  [feature: string]: unknown;
}

export interface SettingsOutputs extends SettingsInputs {
  tenantId: string;
  onDelete: "retain" | "restore";
  /** Names of the features this resource manages (the declared ones). */
  managedFeatures: FeatureName[];
  /** All features as last seen in the tenant. */
  liveFeatures: Record<string, boolean | null>;
  /** Declared features' values before syncgap first changed them. */
  priorValues: Record<string, boolean | null>;
}

export function declaredFeatures(inputs: Record<string, unknown>): Partial<Record<FeatureName, boolean>> {
  const out: Partial<Record<FeatureName, boolean>> = {};
  for (const name of FEATURE_NAMES) {
    if (typeof inputs[name] === "boolean") out[name] = inputs[name] as boolean;
  }
  return out;
}

function liveBooleans(features: Features): Record<string, boolean | null> {
  const out: Record<string, boolean | null> = {};
  for (const name of FEATURE_NAMES) {
    const v = features[name];
    out[name] = typeof v === "boolean" ? v : null;
  }
  return out;
}

let validator: ((v: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params: unknown }[] | null;
};

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  if (!validator) {
    const Ajv = require("ajv/dist/2020").default as typeof import("ajv").default;
    const schema = inputsSchema();
    validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  // The engine's own keys (`__provider`, the serialized provider) are not the user's declaration.
  const declared = Object.fromEntries(Object.entries(news).filter(([k]) => !k.startsWith("__")));
  const inputs = { onDelete: "retain", ...declared };
  if (validator(inputs)) return { inputs };
  const failures = (validator.errors ?? []).map((e) => {
    const params = e.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
    const property =
      params.additionalProperty ??
      params.missingProperty ??
      (e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "inputs");
    let reason = `${e.instancePath || "inputs"} ${e.message}`;
    if (params.additionalProperty) {
      reason = `unknown property "${params.additionalProperty}": DirectoryFeatureSettings takes bypassDirSyncOverridesEnabled, other onPremisesDirectorySynchronizationFeature booleans, tenantId, onDelete and connection`;
    } else if (params.allowedValues) {
      reason = `${e.instancePath || "inputs"} must be one of ${JSON.stringify(params.allowedValues)}`;
    }
    return { property, reason };
  });
  return { inputs, failures };
}

async function connect(inputs: SettingsInputs) {
  const { runtimeConnection } = require("../graph/connection") as typeof import("../graph/connection");
  const { createGraphConnection } = require("../graph/client") as typeof import("../graph/client");
  return createGraphConnection(runtimeConnection(inputs.connection));
}

function assertTenant(inputs: SettingsInputs, actualId: string): void {
  if (inputs.tenantId && inputs.tenantId.toLowerCase() !== actualId.toLowerCase()) {
    throw new Error(
      `the tenant reached has onPremisesDirectorySynchronization id ${actualId}, but the resource declares tenantId ` +
        `${inputs.tenantId}; syncgap will not change another tenant. Check the connection settings.`,
    );
  }
}

/** Declared features whose live value differs from the declared one. */
function pendingChanges(declared: Partial<Record<FeatureName, boolean>>, live: Features) {
  const changes: Partial<Record<FeatureName, boolean>> = {};
  for (const [name, value] of Object.entries(declared) as [FeatureName, boolean][]) {
    if (live[name] !== value) changes[name] = value;
  }
  return changes;
}

function outputs(
  inputs: SettingsInputs,
  id: string,
  live: Features,
  priorValues: Record<string, boolean | null>,
): SettingsOutputs {
  const declared = declaredFeatures(inputs);
  const liveFeatures = liveBooleans(live);
  const out: SettingsOutputs = {
    ...inputs,
    tenantId: id,
    onDelete: inputs.onDelete ?? "retain",
    managedFeatures: Object.keys(declared) as FeatureName[],
    liveFeatures,
    priorValues,
  };
  // The declared properties carry live values, so a refresh shows drift as a diff on the property itself.
  for (const name of Object.keys(declared)) out[name] = liveFeatures[name];
  return out;
}

async function apply(inputs: SettingsInputs, priorValues: Record<string, boolean | null>) {
  const { getDirectorySync, patchFeatures } =
    require("../graph/onPremisesSynchronization") as typeof import("../graph/onPremisesSynchronization");
  const { client } = await connect(inputs);
  const current = await getDirectorySync(client, "write");
  assertTenant(inputs, current.id);
  const declared = declaredFeatures(inputs);
  const prior = { ...priorValues };
  for (const name of Object.keys(declared)) {
    if (!(name in prior)) prior[name] = liveBooleans(current.features)[name];
  }
  const changes = pendingChanges(declared, current.features);
  const live = Object.keys(changes).length ? await patchFeatures(client, current, changes) : current.features;
  return outputs(inputs, current.id, live, prior);
}

export async function create(inputs: SettingsInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = await apply(inputs, {});
  return { id: outs.tenantId, outs };
}

export async function read(id: string, props: SettingsOutputs): Promise<pulumi.dynamic.ReadResult> {
  const { getDirectorySync } =
    require("../graph/onPremisesSynchronization") as typeof import("../graph/onPremisesSynchronization");
  const { client } = await connect(props);
  const current = await getDirectorySync(client);
  if (current.id.toLowerCase() !== id.toLowerCase()) {
    throw new Error(
      `refresh reached tenant ${current.id}, but this resource manages ${id}; check the connection settings`,
    );
  }
  const refreshed = outputs(props, id, current.features, props.priorValues ?? {});
  // Inputs follow the tenant too, so the next diff (and the CLI's display of it) compares the declaration with
  // what the tenant really has: drift shows as `bypassDirSyncOverridesEnabled: false => true`.
  const inputs: Record<string, unknown> = {};
  for (const key of ["connection", "tenantId", "onDelete", "mobilePhoneAuthority", ...refreshed.managedFeatures]) {
    if (refreshed[key] !== undefined) inputs[key] = refreshed[key];
  }
  return { id, props: refreshed, inputs };
}

// `connection` is how syncgap reaches the tenant, not what the tenant should look like: changing it is no diff.
const SETTING_KEYS = ["tenantId", "onDelete", "mobilePhoneAuthority"] as const;

/**
 * Names of what differs between the stored state and the declaration. The dynamic-provider protocol carries only
 * "changes" and "replaces"; the CLI shows each property's old and new value from the inputs, which `read` keeps
 * in step with the tenant.
 */
export function changedProperties(olds: SettingsOutputs, news: SettingsInputs): string[] {
  const changed: string[] = [];
  const declared = declaredFeatures(news);
  for (const name of FEATURE_NAMES) {
    const was = olds[name];
    if (name in declared) {
      if (was !== declared[name]) changed.push(name);
    } else if (typeof was === "boolean") {
      changed.push(name); // no longer declared: syncgap stops managing it and leaves the tenant's value alone
    }
  }
  for (const key of SETTING_KEYS) {
    if (key === "tenantId" && !news.tenantId) continue;
    if (JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null)) changed.push(key);
  }
  return changed;
}

export async function diff(
  _id: string,
  olds: SettingsOutputs,
  news: SettingsInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const replaces =
    news.tenantId && olds.tenantId && news.tenantId.toLowerCase() !== olds.tenantId.toLowerCase() ? ["tenantId"] : [];
  return { changes: changedProperties(olds, news).length > 0, replaces, deleteBeforeReplace: false };
}

export async function update(
  _id: string,
  olds: SettingsOutputs,
  news: SettingsInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const declared = declaredFeatures(news);
  const prior = Object.fromEntries(Object.entries(olds.priorValues ?? {}).filter(([k]) => k in declared));
  return { outs: await apply(news, prior) };
}

export async function remove(_id: string, props: SettingsOutputs): Promise<void> {
  if ((props.onDelete ?? "retain") !== "restore") return;
  const { getDirectorySync, patchFeatures } =
    require("../graph/onPremisesSynchronization") as typeof import("../graph/onPremisesSynchronization");
  const { client } = await connect(props);
  const current = await getDirectorySync(client, "write");
  assertTenant(props, current.id);
  const { forbiddenFeatureChange } =
    require("../graph/onPremisesSynchronization") as typeof import("../graph/onPremisesSynchronization");
  const restore: Partial<Record<FeatureName, boolean>> = {};
  for (const [name, value] of Object.entries(props.priorValues ?? {})) {
    // A feature that was unset (null) before is restored to false, the documented default.
    const target = value ?? false;
    if (current.features[name] === target) continue;
    // A one-way feature (or the unsupported passwordWritebackEnabled) cannot be put back: it stays as it is.
    if (forbiddenFeatureChange(current.features, { [name]: target })) continue;
    restore[name as FeatureName] = target;
  }
  if (Object.keys(restore).length) await patchFeatures(client, current, restore);
}
