/**
 * Escaping for values that go into DNs (RFC 4514). Filter values are escaped with ldapts' Filter.escape (RFC 4515).
 */

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
