/**
 * Distinguished names as parsed RDNs, for every "is this DN the same as, or below, that one" test of the AD reader
 * (DirSync scope filtering, naming-context selection, overlapping base DNs).
 *
 * Comparing DN strings is wrong as soon as a base DN is spelled differently from the way the DC writes DNs, and the
 * DirSync read would then drop every user as out of scope. The same DN can be written:
 * - with escapes (RFC 4514 section 2.4, https://www.rfc-editor.org/rfc/rfc4514#section-2.4): `OU=M\C3\BCnchen` is
 *   `OU=München` (a `\XX` pair is one byte; consecutive pairs are UTF-8), `OU=R\26D` is `OU=R&D`, `CN=a\,b` holds a
 *   comma, `\ ` keeps a space that would otherwise be trimmed;
 * - with spaces around `=`, `,` and `+`, `;` between RDNs, and quoted values: RFC 4514 section 3 no longer writes them,
 *   but says implementations MAY recognise other representations, and RFC 2253 section 4
 *   (https://www.rfc-editor.org/rfc/rfc2253#section-4) and RFC 1779 (AD's heritage) accept them;
 * - with attribute types in any case (`ou=` / `OU=`), or as OIDs (`2.5.4.11=` is `OU=`);
 * - with the values of a multi-valued RDN (`CN=a+UID=b`) in any order (an RDN is a set, RFC 4512 section 2.3.1).
 *
 * Values are compared case-insensitively, as AD compares the naming attributes it uses (`CN`, `OU`, `DC`, … have
 * case-insensitive Unicode string syntax, https://learn.microsoft.com/windows/win32/adschema/s-string-unicode).
 *
 * ldapts has no DN parser to reuse: its `DN`/`RDN` classes only build and escape DN strings.
 *
 * A DN's `key` is its canonical form: per RDN the components `type=value` with the type lower-cased (known OIDs
 * mapped to their names), the value unescaped, case-folded and re-escaped (`\`, `,` and `+` only, so that the key is
 * unambiguous), sorted and joined with `+`; the RDNs joined with `,`. For a DN written without escapes, quotes,
 * multi-valued RDNs or spaces at the separators, as DCs write them, the key is just the folded string, which is what
 * makes the per-entry test of a large read cheap (see dnScope).
 */

export class DnSyntaxError extends Error {
  override readonly name = "DnSyntaxError";
  constructor(
    /** The DN as given. */
    readonly dn: string,
    /** What is wrong, e.g. `unescaped "<"`. */
    readonly problem: string,
    /** 0-based offset in `dn`. */
    readonly position: number,
  ) {
    super(`${problem} at character ${position + 1} of ${JSON.stringify(dn)}`);
  }
}

export interface DnComponent {
  /** The attribute type as written (`OU`, `ou`, `2.5.4.11`). */
  type: string;
  /** The value, unescaped. */
  value: string;
}

export interface ParsedDn {
  /** RDNs as written, the leaf first; each RDN holds one component, or more for a multi-valued RDN. */
  rdns: DnComponent[][];
  /** The comparison key of each RDN, in the same order. */
  keys: string[];
  /** `keys` joined with ",": equal keys mean the same DN. */
  key: string;
}

/** OIDs of the naming attributes (RFC 4519, RFC 4514 section 3's table), so that `2.5.4.11=Staff` is `OU=Staff`. */
const OID_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "cn",
  "2.5.4.6": "c",
  "2.5.4.7": "l",
  "2.5.4.8": "st",
  "2.5.4.9": "street",
  "2.5.4.10": "o",
  "2.5.4.11": "ou",
  "0.9.2342.19200300.100.1.1": "uid",
  "0.9.2342.19200300.100.1.25": "dc",
};

const DESCR = /^[A-Za-z][A-Za-z0-9-]*$/;
const NUMERICOID = /^[0-9]+(?:\.[0-9]+)*$/;
/** Characters that may follow a backslash as themselves (RFC 4514 `escaped` and `special`). */
const ESCAPABLE = new Set([...' "#+,;<=>\\']);
const HEX = /^[0-9A-Fa-f]{2}$/;
/** BER tags of string types whose content is text (OCTET STRING, UTF8String, PrintableString, T61, IA5String). */
const TEXT_TAGS = new Set([0x04, 0x0c, 0x13, 0x14, 0x16]);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Case folding for DN values: lower case, and final sigma as sigma, so that the fold of a whole DN equals the fold of
 * its values one by one (String.prototype.toLowerCase picks ς or σ from the neighbouring characters).
 */
export function foldDnText(s: string): string {
  const l = s.toLowerCase();
  return l.includes("ς") ? l.replaceAll("ς", "σ") : l;
}

function keyOfValue(value: string): string {
  return foldDnText(value).replace(/[\\,+]/g, (c) => `\\${c}`);
}

function typeKey(type: string): string {
  const t = type.toLowerCase();
  return OID_NAMES[t] ?? t;
}

/** Decodes a `#hex` value (RFC 4514 section 2.4: the BER encoding of the value): text types only. */
function berText(dn: string, hex: string, at: number): string {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) {
    throw new DnSyntaxError(dn, "a #-value must be an even number of hex digits", at);
  }
  const b = Buffer.from(hex, "hex");
  const tag = b[0] as number;
  let len = b[1];
  let off = 2;
  if (len !== undefined && len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? Number.NaN);
    off = 2 + n;
  }
  if (len === undefined || off + len !== b.length) {
    throw new DnSyntaxError(dn, "a #-value is not one BER element", at);
  }
  if (!TEXT_TAGS.has(tag)) {
    throw new DnSyntaxError(
      dn,
      `a #-value with BER tag 0x${tag.toString(16)} is not text; write the value as a string`,
      at,
    );
  }
  try {
    return utf8.decode(b.subarray(off));
  } catch {
    throw new DnSyntaxError(dn, "a #-value is not valid UTF-8", at);
  }
}

/**
 * Parses a DN string (RFC 4514, with the leniencies above). Throws DnSyntaxError naming the problem and the
 * position. The empty string (or only spaces) is the empty DN (no RDNs).
 */
export function parseDn(dn: string): ParsedDn {
  const n = dn.length;
  let i = 0;
  const skipSpaces = () => {
    while (i < n && dn.charCodeAt(i) === 0x20) i++;
  };
  const rdns: DnComponent[][] = [];
  skipSpaces();
  if (i === n) return { rdns, keys: [], key: "" };
  let rdn: DnComponent[] = [];
  for (;;) {
    // attribute type
    skipSpaces();
    const typeStart = i;
    while (i < n && dn[i] !== "=" && dn[i] !== " " && dn[i] !== "," && dn[i] !== "+" && dn[i] !== ";") i++;
    const type = dn.slice(typeStart, i);
    if (!type) throw new DnSyntaxError(dn, "an attribute type (such as OU or CN) is missing", typeStart);
    if (!DESCR.test(type) && !NUMERICOID.test(type)) {
      throw new DnSyntaxError(dn, `${JSON.stringify(type)} is not an attribute type`, typeStart);
    }
    skipSpaces();
    if (dn[i] !== "=") throw new DnSyntaxError(dn, `"=" expected after ${type}`, i);
    i++;
    skipSpaces();
    // attribute value
    const valueStart = i;
    let value: string;
    if (dn[i] === "#") {
      i++;
      const hexStart = i;
      while (i < n && /[0-9A-Fa-f]/.test(dn[i] as string)) i++;
      value = berText(dn, dn.slice(hexStart, i), valueStart);
    } else if (dn[i] === '"') {
      i++;
      value = "";
      let closed = false;
      while (i < n) {
        const c = dn[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === "\\") {
          const [text, next] = readEscape(dn, i);
          value += text;
          i = next;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new DnSyntaxError(dn, "a quoted value is not closed", valueStart);
    } else {
      value = "";
      /** length of `value` up to its last character that is not an unescaped space */
      let keep = 0;
      while (i < n) {
        const c = dn[i] as string;
        if (c === "," || c === "+" || c === ";") break;
        if (c === "\\") {
          const [text, next] = readEscape(dn, i);
          value += text;
          keep = value.length;
          i = next;
          continue;
        }
        if (c === '"' || c === "<" || c === ">") {
          // RFC 4514 section 3: these must be escaped in a value (DCs write them escaped; "=" need not be)
          throw new DnSyntaxError(dn, `unescaped ${JSON.stringify(c)} in a value (write \\${c})`, i);
        }
        value += c;
        if (c !== " ") keep = value.length;
        i++;
      }
      value = value.slice(0, keep);
    }
    rdn.push({ type, value });
    skipSpaces();
    if (i === n) {
      rdns.push(rdn);
      break;
    }
    const sep = dn[i];
    if (sep === "+") {
      i++;
      continue;
    }
    if (sep !== "," && sep !== ";") throw new DnSyntaxError(dn, `"," expected after the value`, i);
    rdns.push(rdn);
    rdn = [];
    i++;
    skipSpaces();
    if (i === n) throw new DnSyntaxError(dn, "the DN ends with a separator (an empty RDN)", i - 1);
  }
  const keys = rdns.map((r) => {
    const parts = r.map((c) => `${typeKey(c.type)}=${keyOfValue(c.value)}`);
    return parts.length > 1 ? parts.sort().join("+") : (parts[0] as string);
  });
  return { rdns, keys, key: keys.join(",") };
}

/**
 * Reads an escape at `at` (a backslash): one `\<special>`, or a run of `\XX` pairs decoded together as UTF-8 (so
 * `\C3\BC` is one "ü"). Returns the text and the offset after it.
 */
function readEscape(dn: string, at: number): [string, number] {
  const next = dn[at + 1];
  if (next === undefined) throw new DnSyntaxError(dn, "the DN ends with a lone backslash", at);
  const pair = dn.slice(at + 1, at + 3);
  if (HEX.test(pair)) {
    const bytes: number[] = [];
    let i = at;
    while (dn[i] === "\\" && HEX.test(dn.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(dn.slice(i + 1, i + 3), 16));
      i += 3;
    }
    try {
      return [utf8.decode(Uint8Array.from(bytes)), i];
    } catch {
      throw new DnSyntaxError(dn, "the \\XX escapes here are not valid UTF-8", at);
    }
  }
  if (ESCAPABLE.has(next)) return [next, at + 2];
  throw new DnSyntaxError(
    dn,
    `\\${next} is not an escape (a backslash takes two hex digits or one of , + " \\ < > ; = # space)`,
    at,
  );
}

/** Parses unless already parsed. */
export function asDn(dn: string | ParsedDn): ParsedDn {
  return typeof dn === "string" ? parseDn(dn) : dn;
}

/**
 * The DN in RFC 4514's string form (no spaces at the separators, the values escaped as section 2.4 says, known OID
 * types by name): what the reader sends to the DC, so that a DC with a strict parser (Samba refuses `OU = Staff`)
 * gets the DN the user meant.
 */
export function formatDn(dn: ParsedDn): string {
  return dn.rdns
    .map((rdn) =>
      rdn
        .map(({ type, value }) => {
          const t = NUMERICOID.test(type) ? (OID_NAMES[type]?.toUpperCase() ?? type) : type;
          return `${t}=${escapeValue(value)}`;
        })
        .join("+"),
    )
    .join(",");
}

/**
 * RFC 4514 section 2.4: `"+,;<>\` anywhere, `#` or space first, space last, NUL as \00; `=` too, as AD writes it
 * (https://learn.microsoft.com/previous-versions/windows/desktop/ldap/distinguished-names).
 */
function escapeValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=\0]/g, (c) => (c === "\0" ? "\\00" : `\\${c}`));
  const lead = value.startsWith(" ") || value.startsWith("#");
  if (lead) out = `\\${out}`;
  if (value.endsWith(" ") && !(lead && value.length === 1)) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** True when `dn` is `ancestor` or lies below it. */
export function isSameOrBelow(dn: string | ParsedDn, ancestor: string | ParsedDn): boolean {
  const d = asDn(dn).keys;
  const a = asDn(ancestor).keys;
  if (d.length < a.length) return false;
  const off = d.length - a.length;
  for (let i = 0; i < a.length; i++) if (d[off + i] !== a[i]) return false;
  return true;
}

/** True when `a` and `b` name the same entry. */
export function sameDn(a: string | ParsedDn, b: string | ParsedDn): boolean {
  return asDn(a).key === asDn(b).key;
}

/**
 * A DN needs the full parse when it has anything the folded string would get wrong: an escape, a quote, a
 * multi-valued RDN, a `#`-value, `;` or angle brackets, spaces at a separator or the ends, a numeric OID type.
 */
const NEEDS_PARSE = /[\\"+;#<>]|[ ][,=]|[,=][ ]|^[ ]|[ ]$|(?:^|,)[0-9]/;

/**
 * A test for "in or below which of these bases", run for every entry of a read: returns the index of the base the DN
 * lies in or below, or -1. The bases are parsed once; a DN as DCs write them (see NEEDS_PARSE) is only folded and
 * compared with each base's key as a suffix (without escapes every comma separates RDNs, so a suffix after a comma is
 * a tail of RDNs); any other DN is parsed. Throws DnSyntaxError for a DN that does not parse.
 */
export function dnScope(bases: readonly (string | ParsedDn)[]): (dn: string) => number {
  const parsed = bases.map(asDn);
  const keys = parsed.map((b) => b.key);
  const suffixes = keys.map((k) => `,${k}`);
  const root = keys.indexOf(""); // the empty DN holds every DN
  return (dn) => {
    if (root >= 0) return root;
    if (!NEEDS_PARSE.test(dn)) {
      const a = foldDnText(dn);
      for (let i = 0; i < keys.length; i++) {
        if (a.endsWith(suffixes[i] as string) || a === keys[i]) return i;
      }
      return -1;
    }
    const d = parseDn(dn);
    for (let i = 0; i < parsed.length; i++) if (isSameOrBelow(d, parsed[i] as ParsedDn)) return i;
    return -1;
  };
}
