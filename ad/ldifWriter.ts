/**
 * Writing LDIF (RFC 2849) lines: `attr: value` for safe strings, `attr:: base64` for anything else (non-ASCII,
 * binary, leading space/colon/less-than, trailing space), folded at 76 columns like ldifde and ldapsearch do.
 */

const SAFE_INIT = /^[\x01-\x09\x0b-\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f]/;
const SAFE_CHARS = /^[\x01-\x09\x0b-\x0c\x0e-\x7f]*$/;

/** True when RFC 2849 lets the value be written as a plain SAFE-STRING. */
export function isLdifSafeString(value: string): boolean {
  if (value === "") return true;
  return SAFE_INIT.test(value) && SAFE_CHARS.test(value) && !value.endsWith(" ");
}

/** Folds one logical line into physical lines of at most `width` characters (continuations start with a space). */
export function foldLdifLine(line: string, width = 76): string {
  if (line.length <= width) return line;
  const parts = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - 1) parts.push(" " + line.slice(i, i + width - 1));
  return parts.join("\n");
}

/** One attribute line (folded), choosing base64 when the value needs it. */
export function ldifAttr(name: string, value: string | Uint8Array, fold = true): string {
  let line: string;
  if (typeof value === "string" && isLdifSafeString(value)) line = `${name}: ${value}`;
  else
    line = `${name}:: ${Buffer.from(typeof value === "string" ? Buffer.from(value, "utf8") : value).toString("base64")}`;
  return fold ? foldLdifLine(line) : line;
}
