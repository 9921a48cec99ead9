/**
 * What a spreadsheet does with a CSV cell, and how every cell of syncgap's CSVs is written so that it opens as the text
 * it is: never as a formula, never as a number.
 *
 * Formula injection (CSV injection): a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return may be run as
 * a formula when the CSV is opened in Excel, LibreOffice or Google Sheets
 * (https://owasp.org/www-community/attacks/CSV_Injection). OWASP's remedy is a `'` in front of such cells, and syncgap
 * writes it there — except in front of a plausible phone number (only digits, spaces and `+().-`, an optional extension
 * `x123` / `ext 7` / `ext. 7`, several numbers joined by `; `), which cannot name a function, call DDE (`|`) or reference
 * another sheet.
 *
 * Numbers as text: a spreadsheet also reads `+14255550100` (or `0712345678`, or a numeric id) as a number, dropping the
 * `+` and leading zeros and showing long ones in scientific notation. Quoting the field does not help (RFC 4180 quotes
 * are only CSV syntax). The ways to force text, as LibreOffice 7.4 opens a CSV (test/gap/reports/csvSafe.test.ts
 * converts one and reads the cell types back):
 * - `="+14255550100"` becomes text, but is itself a formula (LibreOffice evaluates it): ruled out, the report must hold
 *   no formula.
 * - `'+14255550100` becomes text with the apostrophe shown as part of it (LibreOffice reads the prefix only when typed).
 * - a tab in front (`\t+14255550100`) becomes text, the tab invisible in the cell (reported to keep the cell
 *   as text in Excel too; there is no Excel here to test it).
 * So a cell a spreadsheet would take for a number (or a date, a time, a percentage, a boolean) is written with a
 * leading tab. The cost: a program that reads the CSV sees that tab — trim the cells, or read the JSON report, which
 * keeps every value as it is. A tab-prefixed cell is a plausible phone number or number-like text, so even a
 * spreadsheet that stripped the tab and evaluated the rest could do no more than arithmetic with it.
 */

const TRIGGER = /^[\s]*[=+\-@]|^[\t\r\n]/;
const PHONE = /^\+?[\d\s().-]*\d[\d\s().-]*(?:\s*(?:x|ext\.?)\s*\d{1,10})?$/i;

/** Number-like: digits with the signs, separators and symbols spreadsheets read numbers, dates and times from. */
const NUMBER_LIKE = /^[\s+\-($€£¥]*\d[\d\s.,:/()\-+%$€£¥eE]*$/;
const BOOLEAN_LIKE = /^\s*(?:true|false)\s*$/i;

/** True when every `; `-separated part is a plausible phone number (see the file comment). */
export function isPlausiblePhoneList(value: string): boolean {
  if (value.length > 512) return false;
  return value.split(/;\s*/).every((part) => part.length <= 64 && PHONE.test(part.trim()) && !/^\s/.test(part));
}

/**
 * Whether the text starts with an ASCII letter other than t and f: then no pattern here can match (a formula trigger
 * needs a sign or blank first; a number, date or phone number a digit, a sign, a currency sign, a bracket or blank
 * first; a boolean true/false), so most cells (names, UPNs, DNs) skip the regular expressions.
 */
function startsWithWord(value: string): boolean {
  const c = value.charCodeAt(0) | 0x20; // A–Z to a–z
  return c >= 0x61 && c <= 0x7a && c !== 0x74 && c !== 0x66;
}

/** Up to 64 characters of digits, `+` first or not: a phone number a spreadsheet would read as a number. */
function isDigits(value: string): boolean {
  const n = value.length;
  let i = value.charCodeAt(0) === 0x2b ? 1 : 0; // +
  if (n === i || n > 64) return false; // longer: not a plausible phone number (isPlausiblePhoneList)
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** True when a spreadsheet opening the CSV could turn the cell into a number, a date, a time or a boolean. */
export function isNumberLike(value: string): boolean {
  if (startsWithWord(value)) return false;
  return (NUMBER_LIKE.test(value) && value.length <= 512) || BOOLEAN_LIKE.test(value) || isPlausiblePhoneList(value);
}

/** The cell with OWASP's `'` when a spreadsheet could read it as a formula (plausible phone numbers excepted). */
export function neutralizeCell(value: string): string {
  if (!TRIGGER.test(value)) return value;
  if (value.startsWith("+") && isPlausiblePhoneList(value)) return value;
  return `'${value}`;
}

/**
 * The cell as written to the CSV: `'` in front of what could be a formula, a tab in front of what could be read as a
 * number (see the file comment), else unchanged. Quoting (commas, quotes, line breaks) is the CSV writer's job.
 */
export function csvCell(value: string): string {
  // The two shapes that fill most of a report, decided without the patterns below (same answers: csvSafe.test.ts
  // compares both ways on every shape): text that starts with a word, and a number of digits (E.164 or national).
  if (startsWithWord(value)) return value;
  if (isDigits(value)) return `\t${value}`;
  const safe = neutralizeCell(value);
  if (safe !== value) return safe;
  return value !== "" && isNumberLike(value) ? `\t${value}` : value;
}
