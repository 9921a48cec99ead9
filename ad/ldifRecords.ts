/**
 * The records, the trailer, the options and the errors of syncgap's LDIF readers: the one on decoded lines
 * (ldifTextParser.ts, parseLdif) and the one on a file's bytes (ldifBytesParser.ts, parseLdifBytes).
 *
 * A streaming LDIF (RFC 2849, https://www.rfc-editor.org/rfc/rfc2849) content-record reader for exports written by
 * `ldifde`, `ldapsearch` and `ldbsearch`: `version: 1`, comments (also folded ones), folded continuation lines,
 * `attr:: base64`, attribute options (`objectGUID;binary`), multi-valued attributes, `changetype: add` records
 * (ldifde writes them), and the `search:`/`result:` trailer and `ref:` referral records that ldapsearch adds.
 *
 * It works on lines, so a file is never held in memory whole. What the producer says about the search itself (its
 * result code, the entry counts in its trailer comments) is collected in `LdifParseOptions.trailer`, so the caller can
 * tell a complete export from a cut or failed one.
 */

export interface LdifRecord {
  dn: string;
  /** Values by lower-cased attribute name (options such as `;binary` dropped); base64 values stay bytes. */
  attrs: Map<string, (string | Buffer)[]>;
  /** Line number where the record starts (1-based). */
  line: number;
}

export class LdifSyntaxError extends Error {
  override readonly name = "LdifSyntaxError";
  constructor(
    message: string,
    readonly line: number,
    /** What to do about it, when the parser knows better than "export again". */
    readonly remedy?: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** One `result:` line of an ldapsearch search result record (`result: 4 Size limit exceeded`). */
export interface LdifSearchResult {
  code: number;
  text: string;
  line: number;
}

/**
 * What the producer wrote about the search, beside the entries. ldapsearch's extended LDIF (its default output) starts
 * with `# extended LDIF` and ends every search with `# search result`, `search: N`, `result: CODE TEXT` and the
 * comments `# numResponses: N` / `# numEntries: N`; with -L the `result:` line goes to stderr and only the comments
 * stay; -LL/-LLL write none of it (OpenLDAP clients/tools/ldapsearch.c, print_result and dosearch). ldbsearch writes
 * `# record N` before each entry and `# returned N records` / `# N entries` / `# N referrals` after the last one
 * (Samba lib/ldb/tools/ldbsearch.c). ldifde writes no trailer.
 */
export interface LdifTrailer {
  /** Content records (`dn:`), users or not. */
  entries: number;
  /** `ref:` records (search continuation references). */
  references: number;
  results: LdifSearchResult[];
  /** The kind of the last record: an entry, a search result, or a reference. */
  last?: "entry" | "result" | "ref";
  /** The first line was `# extended LDIF` (ldapsearch without -L). */
  extendedLdif: boolean;
  /** Lines of `# search result` comments (ldapsearch, also with -L). */
  searchResultComments: number[];
  /** From `# numEntries: N` (ldapsearch; total over all pages of a paged search). */
  numEntries?: number;
  numResponses?: number;
  /** `# record N` comments were seen (ldbsearch). */
  ldbsearch: boolean;
  /** From ldbsearch's `# returned N records` / `# N entries` / `# N referrals`. */
  ldbReturned?: { records: number; entries?: number; referrals?: number; line: number };
}

export function emptyTrailer(): LdifTrailer {
  return { entries: 0, references: 0, results: [], extendedLdif: false, searchResultComments: [], ldbsearch: false };
}

export interface LdifParseOptions {
  /** Attribute names (lower case) whose base64 values stay bytes; other base64 values are decoded as UTF-8. */
  binaryAttributes?: ReadonlySet<string>;
  /**
   * Attribute names (lower case) to keep. Values of other attributes are skipped without being unfolded or decoded
   * (a full ldifde export carries photos and certificates syncgap never looks at). Default: keep all.
   */
  keepAttributes?: ReadonlySet<string>;
  /**
   * Longest value (unfolded logical line, in characters) kept; a longer one is an error naming the attribute.
   * Default 64 KiB: AD's longest attribute syncgap reads, userPrincipalName, holds 1,024 characters.
   */
  maxValueLength?: number;
  /** Filled in as the parse goes (see LdifTrailer). */
  trailer?: LdifTrailer;
}

export const LDIF_MAX_VALUE_LENGTH = 64 * 1024;

/** The error for a logical line longer than the value cap (both readers throw it). */
export function tooLong(name: string, line: number, max: number): LdifSyntaxError {
  return new LdifSyntaxError(
    `the ${name} line is longer than ${max.toLocaleString("en-US")} characters, far more than AD holds in any attribute syncgap reads (userPrincipalName: 1,024)`,
    line,
    "Check that the export is not damaged, and export only the attributes syncgap needs (see docs/active-directory.md)",
  );
}

/** A physical line longer than the cap (counted in characters, as the text reader counts). */
export class LineTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly max: number,
  ) {
    super(`line ${line} is longer than ${max.toLocaleString("en-US")} characters`);
  }
}

/** Bytes that are not UTF-8: where (line and byte offset from the first byte given), and whether the file was cut. */
export class LdifEncodingError extends Error {
  constructor(
    readonly line: number,
    readonly offset: number,
    /** The bytes end inside a character (the file was cut) rather than holding a byte sequence UTF-8 forbids. */
    readonly cut: boolean,
  ) {
    super(cut ? "the bytes end in the middle of a character" : `bytes at line ${line} are not UTF-8`);
  }
}
