/**
 * Spreadsheet formula injection (CSV injection): a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return
 * may be run as a formula when the CSV is opened in Excel, LibreOffice or Google Sheets
 * (https://owasp.org/www-community/attacks/CSV_Injection). OWASP's remedy is to prefix such cells with `'`.
 *
 * Phone numbers are the problem: `+1 425 555 0100` starts with `+`, and prefixing every such number makes the report
 * ugly and its numbers no longer paste as numbers. syncgap prefixes a cell unless it is a plausible phone number:
 * only digits, spaces and `+().-`, with an optional extension (`x123`, `ext 7`, `ext. 7`), several numbers joined
 * by `; ` allowed. Such a cell cannot name a function, call DDE (`|`) or reference another sheet: the worst a
 * spreadsheet can do with it is show it as arithmetic. Everything else that starts with a trigger (after any leading
 * spaces) gets the `'` prefix. Quoting (commas, quotes, line breaks) is the CSV writer's job.
 */

const TRIGGER = /^[\s]*[=+\-@]|^[\t\r\n]/;
const PHONE = /^\+?[\d\s().-]*\d[\d\s().-]*(?:\s*(?:x|ext\.?)\s*\d{1,10})?$/i;

/** True when every `; `-separated part is a plausible phone number (see the file comment). */
export function isPlausiblePhoneList(value: string): boolean {
  if (value.length > 512) return false;
  return value.split(/;\s*/).every((part) => part.length <= 64 && PHONE.test(part.trim()) && !/^\s/.test(part));
}

/** The cell as written to the CSV: unchanged, or prefixed with `'` when a spreadsheet could read it as a formula. */
export function neutralizeCell(value: string): string {
  if (!TRIGGER.test(value)) return value;
  if (value.startsWith("+") && isPlausiblePhoneList(value)) return value;
  return `'${value}`;
}
