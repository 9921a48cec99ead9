/**
 * Hand-built CrossGuard arguments for unit tests, after pulumi-policy-aws's `createResourceValidationArgs`: a
 * happy-path resource is built once and each test changes one thing. Properties go through @pulumi/policy's own
 * unknown-checking proxy, as they do in the real policy-pack server, so unknown values behave as in a preview.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { DIRECTORY_FEATURE_SETTINGS_TYPE } from "../../policies/lib/directoryFeatureSettings";
import { isUnknownValueError, unknownCheckingProxy } from "../../policies/lib/policyHelpers";

/** The engine's sentinels for values unknown during preview (@pulumi/policy proxy.js). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_BOOLEAN = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";

export const TENANT_ID = "5d2a9c3e-6f1b-4c8e-9a7d-1b2c3d4e5f60";
export const CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

export type Config = Record<string, unknown>;

export function resourceOptions(overrides: Partial<PolicyResourceOptions> = {}): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...overrides,
  };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`notApplicable: ${reason}`);
};

function urnOf(type: string, name: string): string {
  return `urn:pulumi:dev::syncgap::${type}::${name}`;
}

/** DirectoryFeatureSettings properties as the compliant dev stack declares them. */
export function settingsProps(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bypassDirSyncOverridesEnabled: true,
    mobilePhoneAuthority: "onPremises",
    onDelete: "retain",
    tenantId: TENANT_ID,
    connection: {
      cloud: "global",
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      authMethod: "clientSecret",
      authorityHost: "https://127.0.0.1:8443",
      graphEndpoint: "https://127.0.0.1:8443",
      caCertPath: "/tmp/syncgap-ca.pem",
    },
    // Dynamic resources carry their serialized provider; the policies must ignore it.
    __provider: "exports.handler = __f0; function __f0() { /* serialized provider */ }",
    ...overrides,
  };
}

export interface ResourceArgsOptions {
  type?: string;
  name?: string;
  config?: Config;
  opts?: Partial<PolicyResourceOptions>;
}

export function createResourceValidationArgs(
  props: Record<string, unknown>,
  {
    type = DIRECTORY_FEATURE_SETTINGS_TYPE,
    name = "directory-feature-settings",
    config = {},
    opts = {},
  }: ResourceArgsOptions = {},
): ResourceValidationArgs {
  return {
    type,
    props: unknownCheckingProxy(structuredClone(props)),
    urn: urnOf(type, name),
    name,
    opts: resourceOptions(opts),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
}

export function createPolicyResource(
  props: Record<string, unknown>,
  {
    type = DIRECTORY_FEATURE_SETTINGS_TYPE,
    name = "directory-feature-settings",
    opts = {},
  }: Omit<ResourceArgsOptions, "config"> = {},
): PolicyResource {
  return {
    type,
    props: unknownCheckingProxy(structuredClone(props)),
    urn: urnOf(type, name),
    name,
    opts: resourceOptions(opts),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

export function createStackValidationArgs(resources: PolicyResource[], config: Config = {}): StackValidationArgs {
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
}

export interface Violation {
  message: string;
  urn?: string;
}

export interface RunResult {
  violations: Violation[];
  /** Set when the policy let @pulumi/policy's UnknownValueError escape (the real server reports it as advisory). */
  unknown?: string;
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<RunResult> {
  const violations: Violation[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const validate of validations) {
    try {
      await validate?.(args, (message, urn) => violations.push({ message, urn }));
    } catch (e) {
      if (isUnknownValueError(e)) return { violations, unknown: e.message };
      throw e;
    }
  }
  return { violations };
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<RunResult> {
  const violations: Violation[] = [];
  try {
    await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
  } catch (e) {
    if (isUnknownValueError(e)) return { violations, unknown: e.message };
    throw e;
  }
  return { violations };
}
