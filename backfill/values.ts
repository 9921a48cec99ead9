/**
 * What may be written into AD `mobile`, and so into every file syncgap emits for it. Directory data is
 * attacker-controlled (anyone who may edit a number in Entra ID chooses these bytes), and a value goes into an LDAP
 * modify, an LDIF change file and a PowerShell script: whatever cannot be carried safely and exactly by all three is
 * refused here, once, rather than escaped differently three times.
 *
 * - `mobile` is a single-valued Unicode string with rangeUpper 64
 *   (https://learn.microsoft.com/windows/win32/adschema/a-mobile): a longer value would be refused by the DC
 *   (constraintViolation) half-way through an apply.
 * - Control characters (C0, DEL, C1), the line and paragraph separators and the bidirectional overrides have no place
 *   in a phone number; in a script or a change file they could start a new line or make a line read differently from
 *   what it holds (CVE-2021-42574). Refused, never stripped: a stripped value is not the value the plan showed.
 * - Leading or trailing whitespace: AD keeps the value as given, Entra shows it trimmed; refused so that what is written
 *   is what was reviewed.
 */
export const MOBILE_MAX_LENGTH = 64;

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Why `value` cannot be written into AD mobile, or undefined when it can. */
export function mobileProblem(value: string): string | undefined {
  if (value.length === 0) return "the value is empty";
  if ([...value].length > MOBILE_MAX_LENGTH || value.length > MOBILE_MAX_LENGTH)
    return `the value is ${value.length} characters long; AD's mobile holds at most ${MOBILE_MAX_LENGTH}`;
  const bad = FORBIDDEN.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `the value holds the control or formatting character U+${code} at position ${bad.index + 1}`;
  }
  if (value !== value.trim()) return "the value starts or ends with whitespace";
  return undefined;
}

/** True when the text holds a character no emitted file carries (the check mobileProblem makes, for any text). */
export function hasForbiddenCharacter(text: string): boolean {
  return FORBIDDEN.test(text);
}
