/**
 * Validation of a seed, tenant options and a sync source with ajv against ./schema.ts (errors name the JSON pointer of
 * each bad value), and loading a seed file.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { optionsSchema, seedSchema, syncSourceSchema } from "./schema";
import { FEATURE_NAMES, type Seed, type SyncSourceConfig, type TenantOptionsPatch } from "./types";

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateSeedFn = ajv.compile(seedSchema);
const validateOptionsFn = ajv.compile(optionsSchema);
const validateSourceFn = ajv.compile(syncSourceSchema);

export class SeedValidationError extends Error {
  constructor(
    readonly errors: string[],
    what = "seed",
  ) {
    super(`invalid ${what}:\n  ${errors.join("\n  ")}`);
    this.name = "SeedValidationError";
  }
}

function describe(errors: typeof validateSeedFn.errors): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    const where = e.instancePath || "(root)";
    if (e.keyword === "additionalProperties") {
      out.push(`${where}: unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`);
    } else if (e.keyword === "enum") {
      out.push(`${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`);
    } else {
      out.push(`${where}: ${e.message}`);
    }
  }
  return [...new Set(out)];
}

/** Validates a seed object; throws SeedValidationError listing every problem. */
export function validateSeed(seed: unknown): Seed {
  if (!validateSeedFn(seed)) throw new SeedValidationError(describe(validateSeedFn.errors));
  const s = seed as Seed;
  const problems: string[] = [];
  const upns = new Set<string>();
  for (const [i, u] of (s.users ?? []).entries()) {
    const k = u.userPrincipalName.toLowerCase();
    if (upns.has(k)) problems.push(`/users/${i}/userPrincipalName: duplicate '${u.userPrincipalName}'`);
    upns.add(k);
  }
  const appIds = new Set<string>();
  for (const [i, a] of (s.applications ?? []).entries()) {
    if (appIds.has(a.appId.toLowerCase())) problems.push(`/applications/${i}/appId: duplicate '${a.appId}'`);
    appIds.add(a.appId.toLowerCase());
  }
  const extra = new Set(s.options?.additionalFeatureNames ?? []);
  for (const f of Object.keys(s.onPremisesSynchronization?.features ?? {})) {
    if (!(FEATURE_NAMES as readonly string[]).includes(f) && !extra.has(f)) {
      problems.push(
        `/onPremisesSynchronization/features: unknown property '${f}' (list it in options.additionalFeatureNames)`,
      );
    }
  }
  const auto = s.options?.autoApproveDeviceCodesAs;
  if (auto && !upns.has(auto.toLowerCase()))
    problems.push(`/options/autoApproveDeviceCodesAs: no seeded user '${auto}'`);
  if (problems.length) throw new SeedValidationError(problems);
  return s;
}

export function validateOptions(options: unknown): TenantOptionsPatch {
  if (!validateOptionsFn(options)) throw new SeedValidationError(describe(validateOptionsFn.errors), "options");
  return options as TenantOptionsPatch;
}

export function validateSyncSource(source: unknown): SyncSourceConfig {
  if (!validateSourceFn(source)) throw new SeedValidationError(describe(validateSourceFn.errors), "sync source");
  return source as SyncSourceConfig;
}

export function loadSeedFile(path: string): Seed {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read seed ${path}: ${(e as Error).message}`);
  }
  return validateSeed(raw);
}
