/**
 * Escaping for values that go into LDAP filters (RFC 4515) and DNs (RFC 4514).
 */

/**
 * Escapes a value for an LDAP filter assertion (RFC 4515 section 3): `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`,
 * `\29`, `\5c`, `\00`. Strings are escaped by character (non-ASCII stays as UTF-8 text, which RFC 4515 allows);
 * byte arrays (an objectGUID, a consistency GUID) are escaped byte by byte as `\hh`, which is how AD wants binary
 * values in a filter.
 */
export function escapeFilterValue(value: string | Uint8Array): string {
  if (typeof value !== "string") {
    let out = "";
    for (const b of value) out += "\\" + b.toString(16).padStart(2, "0");
    return out;
  }
  return value.replace(/[*()\\\0]/g, (c) => "\\" + c.charCodeAt(0).toString(16).padStart(2, "0"));
}

/**
 * Escapes one attribute value for a DN (RFC 4514 section 2.4): `,` `+` `"` `\` `<` `>` `;` `=` anywhere, `#` or
 * space at the start, space at the end, NUL as `\00`.
 */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=\0]/g, (c) => (c === "\0" ? "\\00" : "\\" + c));
  if (out.startsWith(" ") || out.startsWith("#")) out = "\\" + out;
  if (out.endsWith(" ") && !out.endsWith("\\ ")) out = out.slice(0, -1) + "\\ ";
  return out;
}
