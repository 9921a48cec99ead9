/**
 * The one parser of source settings: turns the AD and Entra ID settings someone wrote (command-line flags, a
 * syncgap.yaml, policy config) into the AdSourceSpec / EntraSourceSpec that gap/run.ts reads. The CLI
 * (cli/options.ts) and the mobile-gap-impact policy (policies/lib/gapImpactConfig.ts) both call it, so the
 * policy has every AD option the CLI has and both say the same thing about the same mistake — each in its own
 * names (`--ad-bind-dn` on the command line, `ad.bindDN` in policy config): see SourceNames.
 *
 * Opening and reading a spec is gap/adSources.ts; the Graph connection settings are graph/connection.ts.
 */
import path from "node:path";
import type { AdSourceSpec, EntraSourceSpec } from "./types";

/** AD settings, whoever wrote them. Relative paths are resolved against `baseDir`. */
export interface AdSourceSettings {
  url?: string;
  bindDN?: string;
  baseDNs?: string[];
  caCertPath?: string;
  startTls?: boolean;
  filter?: string;
  readMode?: "auto" | "dirsync" | "paged";
  timeoutSeconds?: number;
  passwordEnv?: string;
  ldif?: string;
  csv?: string;
}

export type AdField = keyof AdSourceSettings;

export const AD_READ_MODES = ["auto", "dirsync", "paged"] as const;

/** What each AD setting is called where it was written, for messages. */
export type SourceNames = Record<AdField, string>;

/** The AD settings under their config-file / policy-config keys (JSON Schema properties of an `ad` object). */
export const AD_SOURCE_PROPERTIES = {
  url: {
    type: "string",
    pattern: "^ldaps?://",
    description: "live AD over LDAP(S), e.g. ldaps://dc1.corp.example:636",
  },
  bindDN: { type: "string", description: "bind DN, UPN or DOMAIN\\user (the password comes from the environment)" },
  baseDNs: {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    description: "search bases: one per OU in Entra Connect's sync scope",
  },
  caCertPath: { type: "string", description: "PEM CA certificate to trust for ldaps:// (the DC's CA)" },
  startTls: { type: "boolean", description: "ldap:// URLs: upgrade with StartTLS before binding" },
  filter: { type: "string", description: "LDAP filter for users in scope (default: the AD reader's user filter)" },
  readMode: { type: "string", enum: [...AD_READ_MODES], description: "auto, dirsync or paged (see --ad-read-mode)" },
  timeoutSeconds: { type: "number", exclusiveMinimum: 0, description: "longest wait for the DC per LDAP request" },
  passwordEnv: {
    type: "string",
    pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
    description: "environment variable holding the bind password (default SYNCGAP_AD_PASSWORD)",
  },
  ldif: { type: "string", description: "AD from an LDIF export (ldifde, ldapsearch)" },
  csv: { type: "string", description: "AD from a PowerShell CSV export (Get-ADUser … | Export-Csv)" },
} as const satisfies Record<AdField, object>;

/** A setting that cannot become a source: the caller turns it into its own error type (UsageError, policy violation). */
export class SourceSettingsError extends Error {
  override name = "SourceSettingsError";
}

function resolvePath(p: string, baseDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
}

/**
 * The AD source spec from settings: exactly one of url, ldif, csv; url needs bindDN and baseDNs. `baseDir` resolves
 * relative paths (the working directory for flags, the config file's folder for a config file).
 */
export function adSourceSpec(s: AdSourceSettings, names: SourceNames, baseDir: string): AdSourceSpec {
  const chosen = (["url", "ldif", "csv"] as const).filter((k) => s[k]);
  if (chosen.length !== 1) {
    throw new SourceSettingsError(
      chosen.length
        ? `choose one AD source, not ${chosen.map((k) => names[k]).join(" and ")}`
        : `no AD source: give ${names.url} (with ${names.bindDN} and ${names.baseDNs}), ${names.ldif} or ${names.csv}`,
    );
  }
  if (s.ldif) return { kind: "ldif", path: resolvePath(s.ldif, baseDir) };
  if (s.csv) return { kind: "csv", path: resolvePath(s.csv, baseDir) };
  const url = s.url as string;
  const missing = [!s.bindDN && names.bindDN, !s.baseDNs?.length && names.baseDNs].filter(Boolean);
  if (missing.length) {
    throw new SourceSettingsError(
      `${names.url} needs ${missing.join(" and ")} (the bind password comes from the environment; the base DNs are the OUs in sync scope)`,
    );
  }
  if (!/^ldaps?:\/\//i.test(url)) {
    throw new SourceSettingsError(`${names.url} must start with ldap:// or ldaps://, got "${url}"`);
  }
  if (s.readMode && !(AD_READ_MODES as readonly string[]).includes(s.readMode)) {
    throw new SourceSettingsError(`${names.readMode} must be one of ${AD_READ_MODES.join(", ")}, got "${s.readMode}"`);
  }
  if (s.timeoutSeconds !== undefined && !(Number.isFinite(s.timeoutSeconds) && s.timeoutSeconds > 0)) {
    throw new SourceSettingsError(`${names.timeoutSeconds} wants a number > 0, got ${s.timeoutSeconds}`);
  }
  return {
    kind: "ldap",
    url,
    bindDN: s.bindDN as string,
    baseDNs: s.baseDNs as string[],
    ...(s.passwordEnv ? { passwordEnv: s.passwordEnv } : {}),
    ...(s.caCertPath ? { caCertPath: resolvePath(s.caCertPath, baseDir) } : {}),
    ...(s.filter ? { filter: s.filter } : {}),
    ...(s.startTls ? { startTls: true } : {}),
    ...(s.readMode && s.readMode !== "auto" ? { readMode: s.readMode } : {}),
    // unset: the reader's own default (ad/ldapConnection.ts); not imported here, so the policy pack loads no LDAP code
    ...(s.timeoutSeconds !== undefined ? { timeoutMs: s.timeoutSeconds * 1000 } : {}),
  };
}

/** Entra ID export settings: the Graph side is the caller's (its connection comes from different places). */
export interface EntraSourceSettings {
  graph?: boolean;
  json?: string;
}

/**
 * Which Entra ID source the settings choose: a JSON export (its spec) or Graph ("graph": the caller adds the
 * connection), or an error when they name both or neither (`defaultGraph`: neither means Graph, as for the policy,
 * which falls back to the resource's own connection).
 */
export function entraSourceChoice(
  s: EntraSourceSettings,
  names: { graph: string; json: string },
  baseDir: string,
  defaultGraph = false,
): Extract<EntraSourceSpec, { kind: "json" }> | "graph" {
  if (s.graph && s.json)
    throw new SourceSettingsError(`choose one Entra ID source, not ${names.graph} and ${names.json}`);
  if (s.json) return { kind: "json", path: resolvePath(s.json, baseDir) };
  if (s.graph || defaultGraph) return "graph";
  throw new SourceSettingsError(`no Entra ID source: give ${names.graph} or ${names.json}`);
}
