/**
 * Turning one directory entry (from LDAP, LDIF or a CSV export) into an `AdUser`. All three readers hand their
 * values over as a map of lower-cased attribute names to values; binary attributes arrive as bytes (LDAP, LDIF) or
 * as text (CSV), and both are accepted.
 */
import { AdReadError } from "./errors";
import {
  guidBytesToString,
  guidStringToBytes,
  immutableIdFromBytes,
  isGuidString,
  sidBytesToString,
  sidStringToBytes,
  UAC_ACCOUNTDISABLE,
} from "./ids";
import type { AdUser } from "./types";

/**
 * The attributes syncgap reads from a live DC, with their exact schema spelling (lDAPDisplayName): what the join,
 * the categories and the reports use, nothing more. A DC checks read access per attribute of every entry, so each
 * extra attribute costs server time on every user (on Samba, asking for distinguishedName, whenChanged and
 * uSNChanged as well made a 10k-user read about a third slower). The entry's DN comes with every entry anyway;
 * export files may still carry whenChanged/uSNChanged, and the mapping keeps them when present.
 */
export const AD_USER_ATTRIBUTES = [
  "userPrincipalName",
  "sAMAccountName",
  "displayName",
  "department",
  "mobile",
  "otherMobile",
  "objectGUID",
  "objectSid",
  "mS-DS-ConsistencyGuid",
  "userAccountControl",
] as const;

/** Attributes whose values are bytes, not text. */
export const AD_BINARY_ATTRIBUTES = ["objectGUID", "objectSid", "mS-DS-ConsistencyGuid"] as const;

export type AttrValue = string | Uint8Array;
/** Attribute values by lower-cased attribute name. */
export type RawAttributes = Map<string, AttrValue[]>;

/**
 * The longest value AD stores for each attribute syncgap reads, in characters (rangeUpper of String(Unicode)
 * attributes counts Unicode characters, https://learn.microsoft.com/openspecs/windows_protocols/ms-ada3/83b00fc4-1312-40ba-991d-b410524e2778).
 * A longer value cannot have come from AD: the export is damaged or its columns are shifted, and reading it anyway
 * would compare garbage (or hold a 200 MB "phone number" in memory).
 */
export const AD_VALUE_LIMITS: Readonly<Record<string, { max: number; source: string }>> = {
  mobile: { max: 64, source: "rangeUpper 64, https://learn.microsoft.com/windows/win32/adschema/a-mobile" },
  othermobile: { max: 64, source: "rangeUpper 64, https://learn.microsoft.com/windows/win32/adschema/a-othermobile" },
  displayname: { max: 256, source: "rangeUpper 256, https://learn.microsoft.com/windows/win32/adschema/a-displayname" },
  department: { max: 64, source: "rangeUpper 64, https://learn.microsoft.com/windows/win32/adschema/a-department" },
  userprincipalname: {
    max: 1024,
    source: "rangeUpper 1024, https://learn.microsoft.com/windows/win32/adschema/a-userprincipalname",
  },
  samaccountname: {
    max: 256,
    source: "rangeUpper 256, https://learn.microsoft.com/windows/win32/adschema/a-samaccountname",
  },
  // Integers and times: their longest text forms (a 64-bit USN has 20 digits; GeneralizedTime with fraction ~24).
  useraccountcontrol: { max: 16, source: "a 32-bit integer" },
  usnchanged: { max: 24, source: "a 64-bit integer" },
  whenchanged: { max: 64, source: "a GeneralizedTime (PowerShell writes it culture-formatted)" },
  enabled: { max: 8, source: "True or False" },
  // Binary attributes as text (CSV: GUID string, base64, or a byte list of 16 bytes; a SID string ≤ 184 characters).
  objectguid: { max: 128, source: "16 bytes" },
  "ms-ds-consistencyguid": { max: 128, source: "a 16-byte GUID as Entra Connect writes it" },
  objectsid: { max: 256, source: "at most 68 bytes, MS-DTYP 2.4.2" },
  sid: { max: 256, source: "at most 68 bytes, MS-DTYP 2.4.2" },
};

/**
 * AD defines no rangeUpper for distinguishedName; each RDN value is bounded (cn: 64 characters) and real DNs stay
 * far under this. syncgap's cap, so a broken record cannot make a DN of megabytes.
 */
export const AD_MAX_DN_LENGTH = 4096;

const LIMITS = new Map(Object.entries(AD_VALUE_LIMITS));

/** Refuses values longer than AD allows, naming the entry, the attribute and the limit. */
function checkLimits(dn: string, attrs: RawAttributes, where: string): void {
  if (dn.length > AD_MAX_DN_LENGTH) {
    throw new AdReadError(
      "AD_BAD_ENTRY",
      where,
      `the distinguished name ${JSON.stringify(dn.slice(0, 80))}… is ${dn.length} characters, more than syncgap's cap of ${AD_MAX_DN_LENGTH}`,
      "Check that the export is not damaged",
    );
  }
  // forEach rather than for…of: no [name, values] pair is made per attribute of every entry.
  attrs.forEach((values, name) => {
    const limit = LIMITS.get(name);
    if (!limit) return;
    for (const v of values) {
      if (v.length <= limit.max) continue;
      const len = typeof v === "string" ? `${v.length} characters` : `${v.length} bytes`;
      throw new AdReadError(
        "AD_BAD_ENTRY",
        where,
        `${name} of ${dn} is ${len}; AD holds at most ${limit.max} (${limit.source})`,
        "The value cannot have come from AD: check that the export is not damaged and its columns are not shifted, then export again",
      );
    }
  });
}

/** A value as text (bytes decoded as UTF-8). */
function text(v: AttrValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : Buffer.from(v).toString("utf8");
}

function firstText(attrs: RawAttributes, name: string): string | undefined {
  const v = text(attrs.get(name)?.[0]);
  return v === undefined || v === "" ? undefined : v;
}

/** LDAP GeneralizedTime (`20261127022451.0Z`) to ISO 8601; anything else is returned as it is. */
export function generalizedTimeToIso(s: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(s.trim());
  if (!m) return s;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

/**
 * The 16 bytes of a GUID-valued attribute given as bytes (LDAP, LDIF) or as text (CSV: a GUID string, base64, or
 * the byte list that `-join ' '` gives). Returns undefined for an empty value.
 */
export function binaryValue(v: AttrValue | undefined, what: string, where: string): Buffer | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") {
    if (v.length === 0) return undefined;
    // 36 bytes that spell a GUID: the string form (ldbsearch prints objectGUID so), not raw bytes
    if (v.length === 36 && isGuidString(Buffer.from(v).toString("latin1")))
      return guidStringToBytes(Buffer.from(v).toString("latin1"));
    return Buffer.isBuffer(v) ? v : Buffer.from(v); // only read from here on: no copy needed
  }
  const s = v.trim();
  if (s === "") return undefined;
  if (isGuidString(s)) return guidStringToBytes(s);
  // A byte list: "74 E5 D2 …" (hex, two digits a byte, as ADUC's attribute editor shows it), or "116 229 210 …"
  // (decimal, what PowerShell's `$bytes -join ' '` writes), optionally in braces and with commas.
  const list = /^\{?\s*([0-9A-Fa-f]{1,3}(?:\s*[ ,;]\s*[0-9A-Fa-f]{1,3})+)\s*\}?$/.exec(s);
  if (list) {
    const tokens = list[1]!.split(/[\s,;]+/);
    if (tokens.every((t) => /^[0-9A-Fa-f]{2}$/.test(t))) return Buffer.from(tokens.join(""), "hex");
    if (tokens.every((t) => /^\d{1,3}$/.test(t) && Number(t) <= 255)) return Buffer.from(tokens.map(Number));
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0) return Buffer.from(s, "base64");
  if (s === "System.Byte[]") {
    throw new AdReadError(
      "AD_BAD_EXPORT",
      where,
      `${what} was exported as the text "System.Byte[]" (Export-Csv writes a byte array's type name, not its value)`,
      `Export it with a calculated property, e.g. @{n='${what}';e={[Convert]::ToBase64String($_.'${what}')}}`,
    );
  }
  throw new AdReadError(
    "AD_BAD_ENTRY",
    where,
    `${what} value ${JSON.stringify(s.slice(0, 60))} is neither a GUID string, base64 nor a byte list`,
    "Export it as base64 or as a GUID string (see docs/active-directory.md)",
  );
}

function sidValue(v: AttrValue | undefined, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "") return undefined;
    if (/^S-\d/i.test(s)) return sidBytesToString(sidStringToBytes(s));
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return sidBytesToString(Buffer.from(s, "base64"));
    throw new AdReadError(
      "AD_BAD_ENTRY",
      where,
      `objectSid value ${JSON.stringify(s)} is not a SID`,
      "Export objectSid as its S-1-… string",
    );
  }
  if (v.length === 0) return undefined;
  // A binary SID starts with its revision byte (1); "S-1-…" text (ldbsearch's form) starts with 0x53.
  if (v[0] === 0x53) return sidValue(Buffer.from(v).toString("latin1"), where);
  return sidBytesToString(v);
}

/** Parses "True"/"False" (PowerShell), "TRUE"/"FALSE" (LDAP boolean). */
function parseBool(s: string | undefined): boolean | undefined {
  if (s === undefined) return undefined;
  const t = s.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  return undefined;
}

/**
 * Builds the AdUser for one entry. `where` names the source (server or file and line) for error messages.
 * `enabledHint` is a separate enabled flag (PowerShell's `Enabled` column) used when userAccountControl is absent.
 */
export function adUserFromAttributes(dn: string, attrs: RawAttributes, where: string): AdUser {
  checkLimits(dn, attrs, where);
  const uacText = firstText(attrs, "useraccountcontrol");
  let userAccountControl: number | undefined;
  if (uacText !== undefined) {
    userAccountControl = Number(uacText);
    if (!Number.isInteger(userAccountControl)) {
      throw new AdReadError(
        "AD_BAD_ENTRY",
        where,
        `userAccountControl of ${dn} is not a number: ${uacText}`,
        "Check the export",
      );
    }
  }
  const enabledFlag = parseBool(firstText(attrs, "enabled"));
  const enabled =
    userAccountControl !== undefined ? (userAccountControl & UAC_ACCOUNTDISABLE) === 0 : (enabledFlag ?? true);

  let objectGuidBytes: Buffer | undefined;
  let consistencyBytes: Buffer | undefined;
  let objectSid: string | undefined;
  try {
    objectGuidBytes = binaryValue(attrs.get("objectguid")?.[0], "objectGUID", where);
    consistencyBytes = binaryValue(attrs.get("ms-ds-consistencyguid")?.[0], "mS-DS-ConsistencyGuid", where);
    objectSid = sidValue(attrs.get("objectsid")?.[0] ?? attrs.get("sid")?.[0], where);
  } catch (e) {
    if (e instanceof AdReadError) throw e;
    throw new AdReadError(
      "AD_BAD_ENTRY",
      where,
      `bad identifier on ${dn}: ${(e as Error).message}`,
      "Check the export",
      {
        cause: e,
      },
    );
  }
  if (objectGuidBytes && objectGuidBytes.length !== 16) {
    throw new AdReadError(
      "AD_BAD_ENTRY",
      where,
      `objectGUID of ${dn} has ${objectGuidBytes.length} bytes, not 16`,
      "Check the export",
    );
  }
  const anchor = consistencyBytes ?? objectGuidBytes;
  const whenChanged = firstText(attrs, "whenchanged");
  const otherMobile = (attrs.get("othermobile") ?? []).map((v) => text(v)!).filter((v) => v !== "");

  const user: AdUser = {
    distinguishedName: dn,
    otherMobile,
    enabled,
  };
  const set = <K extends keyof AdUser>(k: K, v: AdUser[K] | undefined) => {
    if (v !== undefined) user[k] = v;
  };
  set("userPrincipalName", firstText(attrs, "userprincipalname"));
  set("sAMAccountName", firstText(attrs, "samaccountname"));
  set("displayName", firstText(attrs, "displayname"));
  set("department", firstText(attrs, "department"));
  set("mobile", firstText(attrs, "mobile"));
  set("objectGuid", objectGuidBytes ? guidBytesToString(objectGuidBytes) : undefined);
  set("consistencyGuid", consistencyBytes?.length === 16 ? guidBytesToString(consistencyBytes) : undefined);
  set("immutableId", anchor ? immutableIdFromBytes(anchor) : undefined);
  set("objectSid", objectSid);
  set("userAccountControl", userAccountControl);
  set("whenChanged", whenChanged ? generalizedTimeToIso(whenChanged) : undefined);
  set("uSNChanged", firstText(attrs, "usnchanged"));
  return user;
}
