/**
 * Where the emulator's directory sync reads the on-prem directory from.
 *
 * The LDAP reader and the export-file parsers live in `ad/` (another part of syncgap) and are loaded lazily, at the
 * time a sync runs, so the emulator starts without them and tests can sync from inline arrays. Expected exports:
 * - `ad/ldapReader`: `createLdapAdSource(options: LdapAdSourceOptions): AdSource`
 * - `ad/ldifFileSource`: `readLdifFile(path: string): AdSource`
 */
import type { AdSource, AdUser } from "../ad/types";
import type { SyncSourceConfig } from "./seed/types";

/** Options the emulator passes to `createLdapAdSource` (the `ldap` sync-source config without `kind`). */
export type LdapAdSourceOptions = Omit<Extract<SyncSourceConfig, { kind: "ldap" }>, "kind">;

/** The `ldap` sync source for a directory server described as the Samba DC helper describes it. */
export function ldapSyncSource(
  dc: { url: string; bindDN: string; password: string; caPem: string },
  baseDNs: string[],
): SyncSourceConfig {
  return { kind: "ldap", url: dc.url, bindDN: dc.bindDN, password: dc.password, baseDNs, caPem: dc.caPem };
}

/** An AdSource over an array (pages of `pageSize`), for tests and inline seeds. */
export function inlineAdSource(
  users: AdUser[],
  pageSize = 500,
  description = `inline (${users.length} users)`,
): AdSource {
  return {
    description,
    async *pages() {
      for (let i = 0; i < users.length; i += pageSize) yield users.slice(i, i + pageSize);
    },
  };
}

function loadModule<T>(id: string, exportName: string): T {
  let mod: Record<string, unknown>;
  try {
    // Resolved at call time on purpose: see the header comment.
    mod = require(id) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`sync source needs module ${id} (${(e as Error).message})`);
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new Error(`module ${id} does not export ${exportName}()`);
  return fn as T;
}

/** Builds the AdSource a sync-source config describes. */
export async function createAdSource(config: SyncSourceConfig): Promise<AdSource> {
  switch (config.kind) {
    case "inline":
      return inlineAdSource(config.users);
    case "ldap": {
      const create = loadModule<(o: LdapAdSourceOptions) => AdSource | Promise<AdSource>>(
        "../ad/ldapReader",
        "createLdapAdSource",
      );
      const { kind: _kind, ...options } = config;
      return await create(options);
    }
    case "ldif": {
      const read = loadModule<(path: string) => AdSource | Promise<AdSource>>("../ad/ldifFileSource", "readLdifFile");
      return await read(config.path);
    }
  }
}

/** A sync-source config as the admin API shows it (the LDAP password masked). */
export function describeSyncSource(config: SyncSourceConfig | undefined): Record<string, unknown> | null {
  if (!config) return null;
  if (config.kind === "ldap") return { ...config, password: "***", caPem: config.caPem ? "(set)" : undefined };
  if (config.kind === "inline") return { kind: "inline", users: config.users.length };
  return { ...config };
}
