/**
 * Errors that mean "the analysis could not run": unreadable, malformed or partial input. The CLI turns them into
 * exit code 2 — a run that could not read everything never reports zero gaps.
 */
export class GapInputError extends Error {
  override name = "GapInputError";
  constructor(
    /** Which input: e.g. `AD ldaps://127.0.0.1:636`, `Entra ID export users.json`. */
    readonly source: string,
    /** What went wrong. */
    readonly problem: string,
    /** What to do about it. */
    readonly remedy?: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${problem}${remedy ? ` — ${remedy}` : ""}`, options);
  }
}

/** An error's message, without anything that looks like a password assignment or a bearer token. */
export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return redactSecrets(msg);
}

/** Removes values of `password=…`, `secret=…`, `client_secret=…` and bearer tokens from a message. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(password|passwd|pwd|secret|client_secret|credentials?)\s*[=:]\s*("[^"]*"|'[^']*'|\S+)/gi, "$1=***")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer ***");
}
