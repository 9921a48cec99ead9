/**
 * The mobile-number gap analysis: its inputs, its categories (the report contract) and its result.
 *
 * Data flows one way: readers (AD, Graph, export files) → join → classify → reporters.
 */
import type { AdSource } from "../ad/types";
import type { GraphConnectionSettings } from "../graph/connection";

/** Categories, in report order. These names are the report contract (CSV, JSON, JUnit, policies). */
export const CATEGORIES = [
  "MissingInEntra",
  "ValueMismatch",
  "CloudOnly",
  "FormatOnly",
  "NotInAD",
  "NotInEntra",
  "CloudManaged",
  "InSync",
] as const;
export type Category = (typeof CATEGORIES)[number];

export function isCategory(s: string): s is Category {
  return (CATEGORIES as readonly string[]).includes(s);
}

/** Join keys, strongest first. */
export const MATCH_KEYS = ["immutableId", "objectSid", "samAccountName", "userPrincipalName"] as const;
export type MatchedBy = (typeof MATCH_KEYS)[number];

/** What each category means, in the seed article's `SyncGap` wording where it had one. */
export const SYNC_GAP_PHRASES: Record<Category, string> = {
  InSync: "In Sync",
  MissingInEntra: "Missing in Entra",
  ValueMismatch: "Value Mismatch",
  FormatOnly: "Format Only",
  CloudOnly: "Cloud Only (not in AD)",
  NotInAD: "No AD Account",
  NotInEntra: "No Entra Account",
  CloudManaged: "Cloud Managed (no AD updates)",
};

/** One line per category for people (Markdown, HTML, docs). */
export const CATEGORY_DESCRIPTIONS: Record<Category, string> = {
  MissingInEntra: "AD has a mobile number, Entra ID has none.",
  ValueMismatch: "Both have a mobile number and they are different numbers.",
  CloudOnly: "Entra ID has a mobile number, AD has none: AD authority would clear it.",
  FormatOnly: "Same number once normalised to E.164, written differently: AD authority would rewrite the format.",
  NotInAD: "A synced Entra ID user with no matching AD user in the scope read.",
  NotInEntra: "An AD user in scope with no matching synced Entra ID user.",
  CloudManaged:
    "A user moved to cloud management (onPremisesSyncBehavior.isCloudManaged): AD no longer updates it, so its number differs for another reason than a DirSync override.",
  InSync: "Same number on both sides (or none on both).",
};

/** Categories that fail the gate by default (`--fail-on`). */
export const DEFAULT_FAIL_ON: readonly Category[] = ["MissingInEntra", "ValueMismatch", "CloudOnly"];

/**
 * Said once per report: Graph exposes no alternate mobile, so AD's otherMobile can be shown but not compared
 * (MicrosoftDocs/entra-docs PR 1413 removed AlternateMobilePhones from the bypass how-to for that reason).
 */
export const OTHER_MOBILE_NOTE =
  "AD otherMobile values are shown for reference only: Microsoft Graph exposes no alternate-mobile property " +
  "(AlternateMobilePhones), so they cannot be compared with Entra ID.";

/** A synced user as read from Graph (`$select` of the properties the join and the report need). */
export interface EntraUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  department?: string | null;
  mobilePhone?: string | null;
  onPremisesImmutableId?: string | null;
  onPremisesSecurityIdentifier?: string | null;
  onPremisesSamAccountName?: string | null;
  onPremisesUserPrincipalName?: string | null;
  onPremisesDistinguishedName?: string | null;
  onPremisesSyncEnabled?: boolean | null;
  accountEnabled?: boolean | null;
  /**
   * The user was moved to cloud management (beta `onPremisesSyncBehavior.isCloudManaged`): Entra Connect no longer
   * writes AD's values to it, whatever the switch says. Undefined when the reader could not tell.
   */
  cloudManaged?: boolean;
}

/** The `$select` list: every property of EntraUser. */
export const ENTRA_SELECT = [
  "id",
  "userPrincipalName",
  "mobilePhone",
  "onPremisesImmutableId",
  "onPremisesSecurityIdentifier",
  "onPremisesSamAccountName",
  "onPremisesUserPrincipalName",
  "onPremisesDistinguishedName",
  "onPremisesSyncEnabled",
  "accountEnabled",
  "displayName",
  "department",
] as const satisfies readonly (keyof EntraUser)[];

export type AdSourceSpec =
  | {
      kind: "ldap";
      url: string;
      /** Who to bind as: a DN, a UPN or DOMAIN\\user. */
      bindDN: string;
      /** Environment variable holding the bind password (default SYNCGAP_AD_PASSWORD). */
      passwordEnv?: string;
      baseDNs: string[];
      caCertPath?: string;
      filter?: string;
      /** `ldap://` URLs: upgrade with StartTLS before binding (plain LDAP binds are refused). */
      startTls?: boolean;
      /** `auto` (default), `dirsync` or `paged`: see LdapAdSourceOptions.readMode in ad/ldapReadOptions.ts. */
      readMode?: "auto" | "dirsync" | "paged";
      /** Wait at most this long (ms) for the DC per request; default 30 s. See LdapAdSourceOptions.timeoutMs. */
      timeoutMs?: number;
    }
  | { kind: "ldif"; path: string }
  | { kind: "csv"; path: string }
  | { kind: "source"; source: AdSource };

export type EntraSourceSpec =
  | {
      kind: "graph";
      connection: GraphConnectionSettings;
      /**
       * Delta mode: read `/users/delta` and keep the deltaLink plus the previous snapshot in this file, so a re-run
       * reads only what changed.
       */
      deltaStatePath?: string;
    }
  | { kind: "json"; path: string }
  | { kind: "users"; users: EntraUser[] };

export interface GapRunSpec {
  ad: AdSourceSpec;
  entra: EntraSourceSpec;
  /** Region for numbers written without a country code (ISO 3166-1 alpha-2). Default "US". */
  defaultRegion?: string;
  /** Put InSync users into `rows` too (they are always counted). */
  includeInSync?: boolean;
}

export interface GapRow {
  /** Entra's UPN when matched, else the side's own (AD: UPN, else sAMAccountName, else DN). */
  userPrincipalName: string;
  category: Category;
  /** The seed's `SyncGap` column: a phrase for people. */
  syncGap: string;
  matchedBy: MatchedBy | null;
  adMobile: string | null;
  /** AD otherMobile, for reference (Graph has nothing to compare it with). */
  adOtherMobile: string[];
  entraMobile: string | null;
  adMobileE164: string | null;
  entraMobileE164: string | null;
  /** Entra's onPremisesImmutableId, else the AD user's source anchor. */
  immutableId: string | null;
  entraId: string | null;
  adDistinguishedName: string | null;
  adSamAccountName: string | null;
  displayName: string | null;
  /** AD's department, else Entra's. */
  department: string | null;
  /**
   * The container the user is in: the AD user's DN without its first RDN, else the same of Entra's
   * onPremisesDistinguishedName; null when neither side has a DN.
   */
  ou: string | null;
  /** Entra accountEnabled when matched or Entra-only, else AD's enabled flag. */
  accountEnabled: boolean | null;
}

/** A source as the report names it: never a secret. */
export interface SourceInfo {
  kind: string;
  description: string;
  /** Users read from the source (Entra: synced users only). */
  users: number;
  /**
   * How it was read: `live` (LDAP or a full Graph read), `export` (a file), `memory` (objects handed in),
   * `delta-initial` / `delta-incremental` (Graph delta round without / with a saved deltaLink), `reused` (AD read
   * skipped: the source's fingerprint matched the delta state), `unread` (the run could not read its data: the
   * report only says why).
   */
  mode: "live" | "export" | "memory" | "delta-initial" | "delta-incremental" | "reused" | "unread";
  /** Graph requests (Entra) or pages (AD) that this run cost. */
  requests?: number;
  pages?: number;
  /** Users left out and why (e.g. export-file users that are not synced). */
  skipped?: { count: number; reason: string }[];
  /** Live AD: how it was read (`dirsync` or `paged`), and why `auto` fell back to paged when it did. */
  method?: "dirsync" | "paged";
  note?: string;
}

export interface GapTimings {
  adReadMs: number;
  entraReadMs: number;
  joinMs: number;
  totalMs: number;
}

export interface GapTotals {
  adUsers: number;
  entraUsers: number;
  matched: number;
  /** Users out of sync: every category but InSync. */
  outOfSync: number;
  rows: number;
  matchedBy: Record<MatchedBy, number>;
}

export interface GapResult {
  tool: { name: string; version: string };
  generatedAt: string;
  defaultRegion: string;
  includeInSync: boolean;
  inputs: { ad: SourceInfo; entra: SourceInfo };
  counts: Record<Category, number>;
  totals: GapTotals;
  timings: GapTimings;
  otherMobileNote: string;
  /** Things a reader of the report should know (e.g. a delta state that had to be rebuilt). */
  notes: string[];
  rows: GapRow[];
  /**
   * Delta mode: a digest of `rows` (sha256 of their JSON), kept with the state so that a re-run knows the saved rows
   * are the ones its result names (gap/deltaRound.ts). Not part of any report.
   */
  rowsDigest?: string;
}

export interface ImpactRow {
  userPrincipalName: string;
  /** overwrite: the cloud number is replaced by AD's; clear: the cloud number is removed; formatRewrite: same number, AD's spelling. */
  change: "overwrite" | "clear" | "formatRewrite";
  category: Category;
  entraMobile: string | null;
  adMobile: string | null;
  entraId: string | null;
}

/** What turning AD authority on (bypassDirSyncOverridesEnabled = true) would do to cloud-entered numbers. */
export interface ImpactFigures {
  /** ValueMismatch: cloud number replaced by AD's. */
  overwrites: number;
  /** CloudOnly: cloud number cleared. */
  clears: number;
  /** FormatOnly: same number, rewritten in AD's spelling. */
  formatRewrites: number;
  /** overwrites + clears: "cloud-entered numbers the change would overwrite". */
  cloudNumbersLost: number;
  /** MissingInEntra: AD numbers that would appear in Entra (nothing cloud-entered is lost). */
  fills: number;
}

/** The figures and the users behind them. */
export interface ImpactSummary extends ImpactFigures {
  rows: ImpactRow[];
}
