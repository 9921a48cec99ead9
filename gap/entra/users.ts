/**
 * Turning Graph user objects (from Graph itself or from an export file) into EntraUser, with errors that say where
 * and what is wrong.
 *
 * Property names are matched case-insensitively, so exports made with Microsoft Graph PowerShell
 * (`Get-MgUser … | ConvertTo-Json`, PascalCase names such as `UserPrincipalName`, `MobilePhone`) read as well as raw
 * Graph JSON (camelCase).
 */
import { ENTRA_SELECT, type EntraUser } from "../types";

const CANONICAL = new Map<string, keyof EntraUser>(ENTRA_SELECT.map((p) => [p.toLowerCase(), p]));
const BOOLEAN_PROPS = new Set<keyof EntraUser>(["onPremisesSyncEnabled", "accountEnabled"]);

/** Raised for one user object; `where` is a JSON pointer (e.g. `/3/value/17`). */
export class EntraUserShapeError extends Error {
  override name = "EntraUserShapeError";
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`at ${where}: ${problem}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`.slice(0, 80);
}

/**
 * The longest value each property can hold. Graph documents mobilePhone and displayName
 * (https://learn.microsoft.com/graph/api/resources/user: "Maximum length is 64 characters" / "256 characters");
 * the on-premises properties are copies of AD attributes, so AD's rangeUpper bounds them (ad/userMapping.ts,
 * AD_VALUE_LIMITS). A longer value did not come from Graph: the export is damaged.
 */
export const ENTRA_VALUE_LIMITS: Readonly<Partial<Record<keyof EntraUser, { max: number; source: string }>>> = {
  mobilePhone: { max: 64, source: "Graph user.mobilePhone, https://learn.microsoft.com/graph/api/resources/user" },
  displayName: { max: 256, source: "Graph user.displayName, https://learn.microsoft.com/graph/api/resources/user" },
  department: { max: 64, source: "Graph user.department, https://learn.microsoft.com/graph/api/resources/user" },
  id: { max: 64, source: "a directory object id is a GUID" },
  userPrincipalName: { max: 1024, source: "AD userPrincipalName rangeUpper 1024" },
  onPremisesUserPrincipalName: { max: 1024, source: "AD userPrincipalName rangeUpper 1024" },
  onPremisesSamAccountName: { max: 256, source: "AD sAMAccountName rangeUpper 256" },
  onPremisesImmutableId: { max: 256, source: "base64 of a sourceAnchor" },
  onPremisesSecurityIdentifier: { max: 256, source: "a SID string" },
  onPremisesDistinguishedName: { max: 4096, source: "syncgap's DN cap (ad/userMapping.ts)" },
};

/** Checks one property; `where/key` names it in the error (built only then: a million users have 11 each). */
function checkValue(name: keyof EntraUser, v: unknown, where: string, key: string): void {
  if (v === null || v === undefined) return;
  if (BOOLEAN_PROPS.has(name)) {
    if (typeof v !== "boolean")
      throw new EntraUserShapeError(`${where}/${key}`, `expected true, false or null, found ${describe(v)}`);
  } else if (typeof v !== "string") {
    throw new EntraUserShapeError(`${where}/${key}`, `expected a string or null, found ${describe(v)}`);
  } else {
    const limit = ENTRA_VALUE_LIMITS[name];
    if (limit && v.length > limit.max) {
      throw new EntraUserShapeError(
        `${where}/${key}`,
        `${name} is ${v.length} characters; it holds at most ${limit.max} (${limit.source})`,
      );
    }
  }
}

/**
 * Converts one user object; unknown properties are ignored, known ones must have the right type. An object that
 * already uses Graph's exact property names (every Graph response with `$select`) is checked and kept as it is: at
 * 100k users, copying each one would double what the read allocates.
 */
export function toEntraUser(raw: unknown, where: string): EntraUser {
  try {
    return convert(raw, where);
  } catch (e) {
    // Name the user in the message when the object says who it is (only on the error path).
    if (e instanceof EntraUserShapeError && raw && typeof raw === "object" && !/\buser \S+ has\b/.test(e.problem)) {
      const who = userName(raw as Record<string, unknown>);
      if (who) throw new EntraUserShapeError(e.where, `user ${who}: ${e.problem}`);
    }
    throw e;
  }
}

function userName(obj: Record<string, unknown>): string | undefined {
  let id: unknown;
  let upn: unknown;
  for (const k in obj) {
    const l = k.toLowerCase();
    if (l === "userprincipalname") upn = obj[k];
    else if (l === "id") id = obj[k];
  }
  const pick =
    typeof upn === "string" && upn.length <= 1024 ? upn : typeof id === "string" && id.length <= 64 ? id : undefined;
  return pick === undefined ? undefined : JSON.stringify(pick);
}

function convert(raw: unknown, where: string): EntraUser {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new EntraUserShapeError(where, `expected a user object, found ${describe(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  let canonical = true;
  for (const k in obj) {
    if (CANONICAL.get(k.toLowerCase()) !== k && !k.startsWith("@odata")) {
      canonical = false;
      break;
    }
  }
  if (canonical) {
    for (const k in obj) if (!k.startsWith("@odata")) checkValue(k as keyof EntraUser, obj[k], where, k);
    if (typeof obj.id !== "string" || !obj.id) throw new EntraUserShapeError(where, "the user has no id");
    if (typeof obj.userPrincipalName !== "string" || !obj.userPrincipalName) {
      throw new EntraUserShapeError(where, `user ${obj.id} has no userPrincipalName`);
    }
    return shareRepeats(obj as unknown as EntraUser);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const name = CANONICAL.get(k.toLowerCase());
    if (!name) {
      // An export from beta `/users?$select=…,onPremisesSyncBehavior` (or a read that asked for it) says which users
      // were moved to cloud management: they get their own category (gap/join.ts).
      if (k.toLowerCase() === "onpremisessyncbehavior" && v && typeof v === "object") {
        const managed = (v as { isCloudManaged?: unknown }).isCloudManaged;
        if (typeof managed === "boolean") out.cloudManaged = managed;
      }
      continue;
    }
    if (v === null || v === undefined) {
      out[name] = null;
      continue;
    }
    checkValue(name, v, where, k);
    out[name] = v;
  }
  if (typeof out.id !== "string" || !out.id) throw new EntraUserShapeError(where, "the user has no id");
  if (typeof out.userPrincipalName !== "string" || !out.userPrincipalName) {
    throw new EntraUserShapeError(where, `user ${out.id} has no userPrincipalName`);
  }
  return shareRepeats(out as unknown as EntraUser);
}

/** One string per department, up to a cap (as gap/join.ts does for AD's). */
const departments = new Map<string, string>();
function department(s: string): string {
  const hit = departments.get(s);
  if (hit !== undefined) return hit;
  if (departments.size < 50_000) departments.set(s, s);
  return s;
}

/**
 * Shares what repeats: the on-premises UPN is nearly always the UPN itself (one string instead of two equal ones), and
 * departments repeat across users. A reader keeps a million of these (docs/benchmarks.md, "A million users").
 */
export function shareRepeats(u: EntraUser): EntraUser {
  if (u.onPremisesUserPrincipalName && u.onPremisesUserPrincipalName === u.userPrincipalName)
    u.onPremisesUserPrincipalName = u.userPrincipalName;
  if (u.department) u.department = department(u.department);
  return u;
}

/**
 * True for users the analysis covers: synced from on-prem AD. Graph's `onPremisesSyncEnabled` is true for synced
 * users, false for users no longer synced, null for cloud-only users
 * (https://learn.microsoft.com/graph/api/resources/user). An export that does not carry the property at all is
 * taken to hold synced users only (the caller notes that).
 */
export function isSynced(u: EntraUser): boolean {
  return u.onPremisesSyncEnabled === true || u.onPremisesSyncEnabled === undefined;
}
