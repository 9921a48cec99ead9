/**
 * Small helpers the syncgap policies share: config with schema defaults, type filters, unknown values and links.
 */

import type { PolicyConfigSchema, ResourceValidation, StackValidation } from "@pulumi/policy";
import * as policy from "@pulumi/policy";

/**
 * @pulumi/policy exports UnknownValueError and unknownCheckingProxy at run time but marks them @internal, so its
 * type declarations leave them out. Typed here once.
 */
const runtime = policy as unknown as {
  UnknownValueError?: new (...args: never[]) => Error;
  unknownCheckingProxy?: <T>(value: T) => T;
};

/** True for the error @pulumi/policy throws when a policy reads a value that is unknown during preview. */
export function isUnknownValueError(e: unknown): e is Error {
  if (typeof runtime.UnknownValueError === "function") return e instanceof runtime.UnknownValueError;
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** @pulumi/policy's own proxy over properties (tests use it to build realistic arguments). */
export function unknownCheckingProxy<T>(value: T): T {
  if (typeof runtime.unknownCheckingProxy !== "function") throw new Error("@pulumi/policy has no unknownCheckingProxy");
  return runtime.unknownCheckingProxy(value);
}

/** Where each policy is explained (anchors are the policy names). */
export const POLICY_DOC = "docs/policies.md";

export function docLink(policyName: string): string {
  return `${POLICY_DOC}#${policyName}`;
}

/**
 * The policy's config with the schema's top-level defaults filled in. The Pulumi CLI fills defaults too when it
 * validates `--policy-pack-config` against the schema; doing it here as well keeps unit tests (which hand-build
 * `getConfig`) and the real engine in agreement.
 */
export function configWithDefaults<T extends object>(
  args: { getConfig<C extends object>(): C },
  schema: PolicyConfigSchema,
): T {
  const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (given[key] !== undefined) out[key] = given[key];
    else if (prop.default !== undefined) out[key] = structuredClone(prop.default);
  }
  for (const [key, value] of Object.entries(given)) if (!(key in out)) out[key] = value;
  return out as T;
}

/**
 * Tags a validation with the one resource type it applies to. @pulumi/policy reads `__pulumiType` to skip other
 * types cheaply and to report the policy "not applicable" to them (and, for stack policies, to stacks without
 * such a resource). Our dynamic resource has no class with a static `__pulumiType`, hence this.
 */
export function forType(type: string, fn: ResourceValidation): ResourceValidation {
  const filtered: ResourceValidation = (args, report) => {
    if (args.type !== type) return;
    return fn(args, report);
  };
  return Object.assign(filtered, { __pulumiType: type });
}

/** The same for a stack policy: @pulumi/policy reports it not applicable to stacks without such a resource. */
export function forStackType(type: string, fn: StackValidation): StackValidation {
  const wrapped: StackValidation = (args, report) => fn(args, report);
  return Object.assign(wrapped, { __pulumiType: type });
}

/** For types that several resource classes share a policy: checks `args.type` against a list. */
export function forTypes(types: readonly string[], fn: ResourceValidation): ResourceValidation {
  return (args, report) => {
    if (!types.includes(args.type)) return;
    return fn(args, report);
  };
}

export type Known<T> = { known: true; value: T } | { known: false; path: string };

/**
 * Reads a value that may be unknown during preview (an output of a resource not yet created). @pulumi/policy
 * wraps properties in a proxy that throws UnknownValueError on such a value; this turns the throw into a result,
 * so one unknown value does not hide the checks on the others.
 */
export function known<T>(read: () => T): Known<T> {
  try {
    return { known: true, value: read() };
  } catch (e) {
    if (isUnknownValueError(e)) return { known: false, path: e.message };
    throw e;
  }
}

/** An error as a violation message shows it: its name and message on one line, bounded; never the whole object (which may carry request headers). */
export function violationText(e: unknown, max = 400): string {
  const text = e instanceof Error ? `${e.name !== "Error" ? `${e.name}: ` : ""}${e.message}` : String(e);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
