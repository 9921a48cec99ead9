/**
 * Users from an LDIF export (`ldifde`, `ldapsearch`, `ldbsearch`), with the LDIF half of the completeness rules
 * (exportFileOptions.ts has the rules of both readers). UTF-8 is read by ldifBytesParser.ts, UTF-16 is decoded
 * (exportEncoding.ts) and read by ldifTextParser.ts.
 */
import { createReadStream } from "node:fs";
import { AdReadError } from "./errors";
import { DuplicateCheck } from "./exportChecks";
import { boundedLines, type DecodeState, decodedText, NOT_UTF8_CAUSE, REEXPORT_UTF8, sniff } from "./exportEncoding";
import { checkLineCap, checkPageSize, type ExportFileOptions } from "./exportFileOptions";
import { parseLdifBytes } from "./ldifBytesParser";
import {
  emptyTrailer,
  LDIF_MAX_VALUE_LENGTH,
  LdifEncodingError,
  LdifSyntaxError,
  type LdifTrailer,
  LineTooLongError,
} from "./ldifRecords";
import { parseLdif } from "./ldifTextParser";
import type { AdSource, AdUser } from "./types";
import { AD_BINARY_ATTRIBUTES, adUserFromAttributes, type RawAttributes } from "./userMapping";

/** Bytes read at a time from an LDIF export. */
const LDIF_CHUNK = 64 * 1024;

const LDIF_BINARY = new Set(AD_BINARY_ATTRIBUTES.map((a) => a.toLowerCase()));
/** The attributes the mapping reads (see userMapping.ts) and objectClass; everything else in a record is skipped. */
const LDIF_KEEP = new Set([
  "objectclass",
  "userprincipalname",
  "samaccountname",
  "displayname",
  "department",
  "mobile",
  "othermobile",
  "objectguid",
  "objectsid",
  "ms-ds-consistencyguid",
  "useraccountcontrol",
  "whenchanged",
  "usnchanged",
]);

/** Is this LDIF record a user (objectClass user, not computer)? Records without objectClass count as users. */
function isUserRecord(attrs: RawAttributes): boolean {
  const oc = attrs.get("objectclass");
  if (!oc) return true;
  let user = false;
  for (const v of oc) {
    const c = typeof v === "string" ? v : String(v);
    // As written (the reader shares the usual spellings), else in lower case.
    const lc = c === "user" || c === "computer" ? c : c.toLowerCase();
    if (lc === "computer") return false;
    if (lc === "user") user = true;
  }
  return user;
}

/** Records one at a time as batches of one, to read both LDIF parsers alike. */
async function* oneByOne<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

export class LdifFileSource implements AdSource {
  readonly description: string;
  /** Users read and records skipped (not users) by the last run. */
  readonly stats = { users: 0, skippedRecords: 0 };
  readonly #pageSize: number;
  readonly #maxLine: number;

  constructor(
    readonly path: string,
    options: ExportFileOptions = {},
  ) {
    this.description = `LDIF export ${path}`;
    this.#pageSize = checkPageSize(path, options.pageSize);
    this.#maxLine = checkLineCap(path, options.maxLineLength);
  }

  async *pages(): AsyncGenerator<AdUser[]> {
    this.stats.users = 0;
    this.stats.skippedRecords = 0;
    const { encoding, bomBytes } = await sniff(this.path);
    const state: DecodeState = { endsWithNewline: false, chars: 0 };
    const trailer = emptyTrailer();
    const dupes = new DuplicateCheck(this.path);
    let page: AdUser[] = [];
    try {
      const parse = {
        binaryAttributes: LDIF_BINARY,
        keepAttributes: LDIF_KEEP,
        maxValueLength: Math.min(LDIF_MAX_VALUE_LENGTH, this.#maxLine),
        trailer,
      };
      // UTF-8 (what ldapsearch, ldbsearch and ldifde without -u write) is read from its bytes, lines are not decoded
      // whole (docs/benchmarks.md, "A million users"); UTF-16 (ldifde -u) is decoded first.
      const stats = { bytes: 0, endsWithNewline: false };
      const records =
        encoding === "utf8"
          ? parseLdifBytes(createReadStream(this.path, { start: bomBytes, highWaterMark: LDIF_CHUNK }), {
              ...parse,
              maxLineLength: this.#maxLine,
              stats,
            })
          : oneByOne(parseLdif(boundedLines(decodedText(this.path, encoding, bomBytes, state), this.#maxLine), parse));
      for await (const batch of records) {
        for (const rec of batch) {
          if (!isUserRecord(rec.attrs)) {
            this.stats.skippedRecords++;
            continue;
          }
          const where = `${this.path}:${rec.line}`;
          const user = adUserFromAttributes(rec.dn, rec.attrs, where);
          dupes.check(user, rec.line);
          this.stats.users++;
          page.push(user);
          if (page.length >= this.#pageSize) {
            yield page;
            page = [];
          }
        }
      }
      if (encoding === "utf8") {
        state.chars = stats.bytes;
        state.endsWithNewline = stats.endsWithNewline;
      }
      this.#checkComplete(trailer, state);
      if (page.length) yield page;
    } catch (e) {
      if (e instanceof LdifSyntaxError) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `not valid LDIF: ${e.message}`,
          e.remedy ?? "Export with ldifde -f FILE or ldapsearch (see docs/active-directory.md)",
          { cause: e },
        );
      }
      if (e instanceof LdifEncodingError) {
        if (e.cut) {
          throw new AdReadError(
            "AD_BAD_EXPORT",
            this.path,
            "the file ends in the middle of a character: it was cut",
            "Export again and copy the whole file",
            { cause: e },
          );
        }
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `bytes at line ${e.line} (offset ${bomBytes + e.offset}) are not UTF-8: ${NOT_UTF8_CAUSE}`,
          REEXPORT_UTF8,
          { cause: e },
        );
      }
      if (e instanceof LineTooLongError) {
        throw new AdReadError(
          "AD_BAD_EXPORT",
          `${this.path}:${e.line}`,
          `line ${e.line} is longer than ${e.max.toLocaleString("en-US")} characters (syncgap's line cap; AD's longest value syncgap reads, userPrincipalName, is 1,024 characters)`,
          "Check that the file is an LDIF export and not damaged; export only the attributes syncgap reads (see docs/active-directory.md)",
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** The completeness rule for LDIF (see the module comment); throws AD_BAD_EXPORT when the file breaks it. */
  #checkComplete(t: LdifTrailer, state: DecodeState): void {
    const fail = (where: string, problem: string, remedy: string) => {
      throw new AdReadError("AD_BAD_EXPORT", where, problem, remedy);
    };
    const failed = t.results.find((r) => r.code !== 0);
    if (failed) {
      fail(
        `${this.path}:${failed.line}`,
        `the search that wrote this export ended with "result: ${failed.code}${failed.text ? ` ${failed.text}` : ""}": the server did not return every entry`,
        failed.code === 4
          ? "Page the search (ldapsearch -E pr=1000/noprompt …; AD returns at most MaxPageSize = 1,000 entries to an unpaged search) and export again"
          : "Fix what the server reported (base DN, bind account, filter) and export again",
      );
    }
    if (t.searchResultComments.length && !t.results.length) {
      fail(
        `${this.path}:${t.searchResultComments[0]}`,
        "this is ldapsearch -L output: ldapsearch wrote the search's result code to stderr, not into the file, so the file cannot show that the search succeeded",
        "Run ldapsearch without -L (its default extended LDIF records `result: 0 Success` in the file)",
      );
    }
    if ((t.extendedLdif || t.results.length) && t.last !== "result") {
      fail(
        this.path,
        t.results.length
          ? "entries follow ldapsearch's last search result: the file holds more than one export, or was appended to"
          : "the file starts like ldapsearch's extended LDIF (# extended LDIF) but ends without its search result (result: 0 Success): the search did not finish or the file was cut",
        "Export again with ldapsearch into a new file and copy it whole",
      );
    }
    if (t.numEntries !== undefined && t.numEntries !== t.entries) {
      fail(
        this.path,
        `ldapsearch's trailer says # numEntries: ${t.numEntries}, but the file holds ${t.entries} entries: entries are missing or were added`,
        "Export again into a new file and copy it whole",
      );
    }
    if (t.ldbsearch) {
      const r = t.ldbReturned;
      if (!r) {
        fail(
          this.path,
          "the file is ldbsearch output (# record N) but ends without ldbsearch's # returned N records: the search did not finish or the file was cut",
          "Run ldbsearch again into a new file",
        );
      } else if ((r.entries ?? r.records - t.references) !== t.entries) {
        fail(
          `${this.path}:${r.line}`,
          `ldbsearch says it returned ${r.entries ?? r.records} entries, but the file holds ${t.entries}`,
          "Run ldbsearch again into a new file",
        );
      }
    }
    if (state.chars > 0 && !state.endsWithNewline) {
      fail(
        this.path,
        "the file ends in the middle of a line: it was cut (every LDIF writer ends each line with a line break)",
        "Export again and copy the whole file",
      );
    }
    if (this.stats.users === 0) {
      fail(
        this.path,
        state.chars === 0
          ? "the file is empty"
          : `the file holds no user entries (${t.entries} records, ${this.stats.skippedRecords} of them not users)`,
        'Export the users: ldifde -r "(&(objectCategory=person)(objectClass=user))" -d "OU=…" (see docs/active-directory.md)',
      );
    }
  }
}

/** Users from an LDIF export (`ldifde -f users.ldf -r "(objectClass=user)" …`, `ldapsearch …`). */
export function readLdifFile(path: string, options?: ExportFileOptions): LdifFileSource {
  return new LdifFileSource(path, options);
}
