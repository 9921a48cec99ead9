/**
 * The mobile-gap-impact policy's configuration (--policy-pack-config): its schema, and the AD and Entra ID sources it
 * names turned into a GapRunSpec through gap/sources.ts, the parser the CLI uses too.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import {
  AD_SOURCE_PROPERTIES,
  type AdSourceSettings,
  adSourceSpec,
  entraSourceChoice,
  type SourceNames,
  SourceSettingsError,
} from "../../gap/sources";
import type { GapRunSpec } from "../../gap/types";
import { type GraphConnectionSettings, runtimeConnection, validateConnection } from "../../graph/connection";
import { CONNECTION_PROPERTIES } from "../../providers/inputsSchema";
import type { DirectoryFeatureSettingsProps } from "./directoryFeatureSettings";

/**
 * AD source as policy config may give it (no in-memory source, no secrets): every AD setting the CLI has
 * (gap/sources.ts AD_SOURCE_PROPERTIES, the same keys as syncgap.yaml's `ad:`), with `kind` + `path` for exports.
 */
export interface AdSourceConfig extends Omit<AdSourceSettings, "ldif" | "csv"> {
  kind: "ldap" | "ldif" | "csv";
  path?: string;
}

/** What each AD setting is called in policy config, for gap/sources.ts's messages. */
const AD_CONFIG_NAMES: SourceNames = {
  url: "ad.url",
  bindDN: "ad.bindDN",
  baseDNs: "ad.baseDNs",
  caCertPath: "ad.caCertPath",
  startTls: "ad.startTls",
  filter: "ad.filter",
  readMode: "ad.readMode",
  timeoutSeconds: "ad.timeoutSeconds",
  passwordEnv: "ad.passwordEnv",
  ldif: 'ad.path (kind "ldif")',
  csv: 'ad.path (kind "csv")',
};

export interface EntraSourceConfig {
  kind: "graph" | "json";
  connection?: Partial<GraphConnectionSettings>;
  path?: string;
}

export interface NoLossConfig {
  /** backfill-plan.json (relative paths: from the policy pack's working directory). */
  plan: string;
  /** The reviewed backfill-plan.csv; default: the one next to the plan, when there is one. */
  decisions?: string;
}

export interface MobileGapImpactConfig {
  maxOverwrites: number;
  noLoss?: NoLossConfig;
  ad?: AdSourceConfig;
  entra?: EntraSourceConfig;
  defaultRegion: string;
  timeoutSeconds: number;
  listUsers: number;
}

const connectionSchema: PolicyConfigJSONSchema = {
  type: "object",
  additionalProperties: false,
  description: "Graph connection settings (graph/connection.ts). Never secrets: those come from the environment.",
  properties: CONNECTION_PROPERTIES as unknown as Record<string, PolicyConfigJSONSchema>,
};

export const configSchema: PolicyConfigSchema = {
  properties: {
    maxOverwrites: {
      type: "integer",
      minimum: 0,
      default: 0,
      description:
        "Most cloud-entered mobile numbers (overwritten + cleared) the change may overwrite before it is a violation.",
    },
    noLoss: {
      type: "object",
      additionalProperties: false,
      required: ["plan"],
      description:
        "No-loss mode: every cloud number the switch would lose must be settled by this reviewed back-fill plan (written into AD, or decided ad); maxOverwrites does not apply. See docs/backfill.md.",
      properties: {
        plan: { type: "string", description: "Path of backfill-plan.json." },
        decisions: {
          type: "string",
          description: "Path of the reviewed backfill-plan.csv (default: the one next to the plan, when present).",
        },
      },
    },
    ad: {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      description:
        "Where to read AD: ldap (url, bindDN, baseDNs, passwordEnv, caCertPath, startTls, filter, readMode, timeoutSeconds: " +
        "the same settings as syncgap.yaml's ad:) or an export file (ldif/csv with path). " +
        "The bind password is read from the environment variable named by passwordEnv (default SYNCGAP_AD_PASSWORD).",
      properties: {
        kind: { type: "string", enum: ["ldap", "ldif", "csv"] },
        ...(Object.fromEntries(
          Object.entries(AD_SOURCE_PROPERTIES).filter(([k]) => k !== "ldif" && k !== "csv"),
        ) as Record<string, PolicyConfigJSONSchema>),
        path: { type: "string", description: "kind ldif or csv: the export file" },
      },
    },
    entra: {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      description:
        "Where to read Entra ID: graph (connection settings) or json (an export file with path). " +
        "Default: the DirectoryFeatureSettings resource's own connection with the environment's endpoint overrides.",
      properties: {
        kind: { type: "string", enum: ["graph", "json"] },
        connection: connectionSchema,
        path: { type: "string" },
      },
    },
    defaultRegion: {
      type: "string",
      pattern: "^[A-Z]{2}$",
      default: "US",
      description: "Region for numbers written without a country code (ISO 3166-1 alpha-2).",
    },
    timeoutSeconds: {
      type: "integer",
      minimum: 1,
      default: 120,
      description: "How long the analysis may take before the directories count as unreadable.",
    },
    listUsers: {
      type: "integer",
      minimum: 0,
      default: 5,
      description: "How many affected user principal names a violation lists (phone numbers are never printed).",
    },
  },
};

export class GapConfigError extends Error {
  override name = "GapConfigError";
}

export function adSpecFrom(ad: AdSourceConfig | undefined, baseDir: string): GapRunSpec["ad"] {
  if (!ad) {
    throw new GapConfigError(
      'no AD source is configured: give the policy an "ad" object in --policy-pack-config (see policies/config/)',
    );
  }
  const { kind, path: file, ...settings } = ad;
  if (kind === "ldap" && !settings.url) throw new GapConfigError('ad.kind "ldap" needs ad.url');
  if (kind !== "ldap" && !file) throw new GapConfigError(`ad.kind "${kind}" needs a path`);
  try {
    return adSourceSpec(
      kind === "ldap" ? settings : { ...settings, url: undefined, [kind]: file },
      AD_CONFIG_NAMES,
      baseDir,
    );
  } catch (e) {
    if (e instanceof SourceSettingsError) throw new GapConfigError(e.message);
    throw e;
  }
}

export function entraSpecFrom(
  entra: EntraSourceConfig | undefined,
  props: DirectoryFeatureSettingsProps,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): GapRunSpec["entra"] {
  if (entra?.kind === "json") {
    if (!entra.path) throw new GapConfigError('entra.kind "json" needs a path');
    return entraSourceChoice(
      { json: entra.path },
      { graph: "entra.kind graph", json: "entra.path" },
      baseDir,
    ) as Extract<GapRunSpec["entra"], { kind: "json" }>;
  }
  if (entra?.connection) {
    return { kind: "graph", connection: validateConnection({ cloud: "global", ...entra.connection }) };
  }
  if (!props.connection) {
    throw new GapConfigError("the resource has no connection and the policy config gives no entra source");
  }
  return { kind: "graph", connection: runtimeConnection(props.connection as GraphConnectionSettings, env) };
}
