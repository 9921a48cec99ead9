/**
 * Entra ID users from a Graph JSON export file. Three shapes are accepted, pretty-printed or not:
 *   - an array of user objects: `[{ "id": …, "userPrincipalName": …, "mobilePhone": … }, …]`
 *     (what `Get-MgUser -All … | ConvertTo-Json` or `jq '[.value[]]'` gives);
 *   - an array of Graph pages: `[{ "@odata.context": …, "value": [ …users… ], "@odata.nextLink": … }, …]` (the
 *     responses of a paging script or Graph Explorer, saved as read);
 *   - one Graph page: `{ "@odata.context": …, "value": [ …users… ] }` (one response saved as it came).
 *
 * The file is read in chunks and split into its elements (users, pages) without ever holding it as one string, so
 * it may be larger than V8's longest string (~512 MiB); each element is parsed with JSON.parse on its own.
 *
 * Completeness (docs/gap-analysis.md): the JSON must run to its closing bracket with nothing after it, and hold at
 * least one user, no user twice (same id), and, for pages, the last page must carry no `@odata.nextLink`: Graph puts
 * a nextLink on every page that has a successor (https://learn.microsoft.com/graph/paging), so one on the last page
 * means the export stopped early. A page's `@odata.count` (when the read asked for $count) must match the
 * users read. Anything else fails with the file, the place (line and column, or the JSON pointer) and the fix.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GuidSet } from "../../ad/guidSet";
import { GapInputError } from "../errors";
import { ByteScanner, COMMA, fileChunks, NEITHER, placeInSpan, utf16Chunks } from "../json/byteScanner";
import { EntraUsers } from "../records/entra";
import type { EntraUser, SourceInfo } from "../types";
import { EntraUserShapeError, isSynced, toEntraUser } from "./users";

export interface EntraExport {
  /** The synced users, packed (../records/entra.ts). */
  users: EntraUsers;
  info: SourceInfo;
  notes: string[];
}

/** Longest top-level element (a user, or a page of up to 999 users) held at once. */
export const MAX_JSON_ELEMENT_BYTES = 64 * 1024 * 1024;
/** Longest user object inside a streamed page, and longest page property or key. */
export const MAX_JSON_USER_BYTES = 1024 * 1024;

/**
 * More users than one element of an array of pages can hold (MAX_JSON_ELEMENT_BYTES, and a user object takes more
 * than 30 bytes), so `page * PAGE_STRIDE + user` names one place, for up to 2^30 pages.
 */
const PAGE_STRIDE = 2 ** 23;

const REMEDY =
  'export an array of Graph user objects, an array of Graph pages ({ "value": [...] }) or one Graph page; see docs/gap-analysis.md';

/** Thrown inside the scanner; turned into a GapInputError with the file's name. */
class JsonExportError extends Error {
  constructor(
    readonly problem: string,
    readonly remedy: string = REMEDY,
  ) {
    super(problem);
  }
}

type Encoding = "utf8" | "utf16le" | "utf16be";

/** The byte scanner (../json/byteScanner.ts) over the export, with the export's messages. */
class Reader extends ByteScanner {
  constructor(fd: number, encoding: Encoding, start: number) {
    super(() => undefined);
    const raw = fileChunks(fd, start);
    this.next =
      encoding === "utf8"
        ? raw
        : utf16Chunks(raw, encoding === "utf16le" ? "utf-16le" : "utf-16be", () => {
            throw new JsonExportError(
              `the file is not valid UTF-16 near line ${this.line} (a lone surrogate or a cut character)`,
              "save the export again (Out-File -Encoding utf8, or Set-Content -Encoding Unicode)",
            );
          });
  }

  /**
   * After an element of an array (`close` "]") or a member of an object ("}"): true at a comma (another follows),
   * false at the closing bracket, an exit-2 error naming the place otherwise. `after` names what came last and
   * `inside` what is being closed, for the message.
   */
  more(close: "]" | "}", after: string, inside: string): boolean {
    const s = this.separator(close.charCodeAt(0));
    if (s !== NEITHER) return s === COMMA;
    const c = this.peek();
    throw new JsonExportError(
      c < 0
        ? `not valid JSON: the file ends after ${after} without the closing ${close} of ${inside}: it was cut`
        : `not valid JSON: expected , or ${close} after ${after} at ${this.where()}, found ${JSON.stringify(String.fromCharCode(c))}`,
      c < 0 ? "export again and copy the whole file" : REMEDY,
    );
  }

  need(ch: string, what: string): void {
    if (this.expect(ch.charCodeAt(0))) return;
    const c = this.peek();
    throw new JsonExportError(
      `not valid JSON: expected ${what} at ${this.where()}, found ${c < 0 ? "the end of the file" : JSON.stringify(String.fromCharCode(c))}${c < 0 ? " (the file is cut)" : ""}`,
    );
  }

  /**
   * Reads one JSON value (object, array, string or scalar) as its raw text, at most `max` bytes, and returns it
   * parsed. `pointer` names it in messages.
   */
  value(max: number, pointer: string, whatTooBig: string): unknown {
    const bytes = this.span(max);
    const startLine = this.spanLine;
    const startCol = this.spanCol;
    if (bytes === "noValue") {
      throw new JsonExportError(`not valid JSON: expected a value at ${this.where()}`);
    }
    if (bytes === "tooLarge") {
      throw new JsonExportError(
        `${whatTooBig} at ${pointer} (from line ${startLine}) is larger than ${max / 1024 / 1024} MiB${this.spanDone ? "" : " before it ends"}: ${max === MAX_JSON_ELEMENT_BYTES ? "a Graph page holds at most 999 users" : "no Graph user object comes near that"}`,
        "check that the file is a Graph export and not damaged; write users as an array or one page per element",
      );
    }
    if (bytes === "cut") {
      throw new JsonExportError(
        `not valid JSON: the file ends inside the value that starts at line ${startLine} column ${startCol} (${pointer}): it was cut`,
        "export again and copy the whole file",
      );
    }
    if (!isUtf8(bytes)) {
      throw new JsonExportError(
        `bytes in the value at ${pointer} (from line ${startLine}) are not UTF-8: the file was saved in another encoding`,
        "save the export as UTF-8 (Out-File -Encoding utf8; PowerShell 7 writes UTF-8 by default) or UTF-16 with BOM",
      );
    }
    const text = bytes.toString("utf8");
    try {
      return JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const where = placeInSpan(text, msg, startLine, startCol);
      throw new JsonExportError(
        `not valid JSON: ${msg.replace(/ in JSON at position \d+.*$/s, "")} (${where}, in the element at ${pointer})`,
      );
    }
  }
}

function isPage(v: unknown): v is Record<string, unknown> & { value: unknown } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.hasOwn(v as object, "value");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v;
}

function detectEncoding(fd: number, path: string): { encoding: Encoding; bom: number } {
  const head = Buffer.alloc(512);
  const n = readSync(fd, head, 0, head.length, 0);
  const b = (i: number) => (i < n ? head[i]! : -1);
  if ((b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) || (b(0) === 0 && b(1) === 0 && b(2) === 0xfe)) {
    throw new JsonExportError(
      "the file is UTF-32, which syncgap does not read",
      "save the export as UTF-8 (Out-File -Encoding utf8)",
    );
  }
  if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf) return { encoding: "utf8", bom: 3 };
  // Windows PowerShell 5.1's `>` and Out-File write UTF-16LE with a BOM.
  if (b(0) === 0xff && b(1) === 0xfe) return { encoding: "utf16le", bom: 2 };
  if (b(0) === 0xfe && b(1) === 0xff) return { encoding: "utf16be", bom: 2 };
  if (head.subarray(0, n).includes(0)) {
    throw new JsonExportError(
      `${path} holds NUL bytes: it is UTF-16 without a byte order mark, or not JSON at all`,
      "save the export as UTF-8 (Out-File -Encoding utf8) or UTF-16 with BOM",
    );
  }
  return { encoding: "utf8", bom: 0 };
}

/** How a user's place (see PAGE_STRIDE) reads as a JSON pointer, by the file's shape. */
export type PointerKind = "users" | "pages" | "page";

export function pointerOf(kind: PointerKind, code: number): string {
  if (kind === "pages") return `/${Math.floor(code / PAGE_STRIDE)}/value/${code % PAGE_STRIDE}`;
  return kind === "page" ? `/value/${code}` : `/${code}`;
}

/** What the scan found besides the users: the file's shape and what its pages said about themselves. */
export interface ScanEnd {
  shape: string;
  pages: number;
  count?: { value: number; pointer: string };
}

/** Where the scanner hands each user object, checked and converted, in file order, with its place. */
export type UserSink = (u: EntraUser, code: number, kind: PointerKind) => void;

/**
 * What is decided over all users: no id twice, which users are synced, and at the end whether the file held any
 * and as many as its pages said. Separate from the scan so that the scan can run in a worker thread
 * (./jsonExportWorker.ts) while this runs where the users are kept.
 */
export class ExportCollector {
  readonly users = new EntraUsers();
  // id → where it first came, as a number: a million pointer strings would be memory for an error message. Graph's
  // ids are GUIDs: kept as 16 bytes each; any other id in a Map.
  readonly #seenGuids = new GuidSet();
  readonly #seen = new Map<string, number>();
  #total = 0;
  #notSynced = 0;
  #withoutSyncFlag = 0;

  take(u: EntraUser, code: number, kind: PointerKind): void {
    let first = this.#seenGuids.add(u.id, code, false);
    if (first === undefined) {
      first = this.#seen.get(u.id) ?? -1;
      if (first < 0) this.#seen.set(u.id, code);
    }
    if (first >= 0) {
      throw new JsonExportError(
        `user id ${u.id} appears twice (at ${pointerOf(kind, first)} and ${pointerOf(kind, code)}): the export holds a page twice, or two exports joined`,
        "export once, in one run that follows @odata.nextLink to the end (Get-MgUser -All)",
      );
    }
    this.#total++;
    if (u.onPremisesSyncEnabled === undefined) this.#withoutSyncFlag++;
    if (isSynced(u)) this.users.push(u);
    else this.#notSynced++;
  }

  finish(path: string, end: ScanEnd): EntraExport {
    const total = this.#total;
    const { pages, count } = end;
    if (total === 0) {
      throw new JsonExportError(
        `the export holds no users${pages ? ` (${pages} page${pages > 1 ? "s" : ""} with empty value)` : " (an empty array)"}`,
        "a tenant always has users: check the $filter and the account's User.Read.All permission, and export again",
      );
    }
    if (count && count.value !== total) {
      throw new JsonExportError(
        `@odata.count at ${count.pointer} says ${count.value} users, but the file holds ${total}: pages are missing or repeated`,
        "export again in one run that follows @odata.nextLink to the end",
      );
    }
    const skipped: { count: number; reason: string }[] = [];
    if (this.#notSynced)
      skipped.push({
        count: this.#notSynced,
        reason: "onPremisesSyncEnabled is not true (cloud-only or no longer synced)",
      });
    const notes: string[] = [];
    if (this.#withoutSyncFlag) {
      notes.push(
        `${this.#withoutSyncFlag} users in ${path} carry no onPremisesSyncEnabled: they were taken as synced users ` +
          "(export with $select including onPremisesSyncEnabled to let syncgap leave cloud-only users out).",
      );
    }
    return {
      users: this.users,
      info: {
        kind: "json",
        description: `Graph JSON export ${path} (${end.shape})`,
        users: this.users.length,
        mode: "export",
        ...(skipped.length ? { skipped } : {}),
      },
      notes,
    };
  }
}

/** The name of the Entra side in messages. */
export const entraExportSource = (path: string) => `Entra ID export ${path}`;

/** The error the reader fails with, from anything the scan or the collector threw. */
export function exportError(path: string, e: unknown): GapInputError {
  const source = entraExportSource(path);
  if (e instanceof JsonExportError) return new GapInputError(source, e.problem, e.remedy);
  if (e instanceof EntraUserShapeError)
    return new GapInputError(source, `${e.problem} (at JSON pointer ${e.where})`, REMEDY);
  if (e instanceof GapInputError) return e;
  return new GapInputError(
    source,
    `cannot read the file: ${(e as Error).message}`,
    "check the file and its permissions",
    {
      cause: e,
    },
  );
}

/** Opens the export, or fails as the reader does for a path that is not a readable file. */
function openExport(path: string): number {
  try {
    const fd = openSync(path, "r");
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new Error("not a regular file");
    }
    return fd;
  } catch (e) {
    throw new GapInputError(
      entraExportSource(path),
      `cannot read the file: ${(e as Error).message}`,
      "check the path given to --entra-json",
    );
  }
}

/** Scans the export, handing every user to `sink`; throws the reader's GapInputError. */
export function scanEntraJsonFile(path: string, sink: UserSink): ScanEnd {
  const fd = openExport(path);
  try {
    return scanExport(fd, path, sink);
  } catch (e) {
    throw exportError(path, e);
  } finally {
    closeSync(fd);
  }
}

export function readEntraJsonFile(path: string): EntraExport {
  const collector = new ExportCollector();
  const end = scanEntraJsonFile(path, (u, code, kind) => collector.take(u, code, kind));
  try {
    return collector.finish(path, end);
  } catch (e) {
    throw exportError(path, e);
  }
}

function scanExport(fd: number, path: string, sink: UserSink): ScanEnd {
  const { encoding, bom } = detectEncoding(fd, path);
  const r = new Reader(fd, encoding, bom);
  /** A user's place as a number: element i of an array of users, user j of the one page, user j of page i. */
  const inPage = (i: number, j: number) => i * PAGE_STRIDE + j;
  let kind: PointerKind = "users";
  const take = (raw: unknown, pointer: string, code: number) => sink(toEntraUser(raw, pointer), code, kind);

  r.ws();
  const c0 = r.peek();
  let shape: string;
  let pages = 0;
  let count: { value: number; pointer: string } | undefined;
  /**
   * Checks one page's links; `last` is whether it is the last page in the file. A page before the last without a
   * nextLink is accepted: scripts that keep only `value` and the last link write such files.
   */
  const pageLinks = (page: Record<string, unknown>, pointer: string, last: boolean) => {
    const next = page["@odata.nextLink"];
    if (last && next !== undefined && next !== null) {
      throw new JsonExportError(
        `the last page (${pointer}) carries @odata.nextLink: Graph had more users to send, so the export is partial`,
        "follow @odata.nextLink until a page comes without it (Get-MgUser -All does), then export again",
      );
    }
    const n = page["@odata.count"];
    if (typeof n === "number" && !count) count = { value: n, pointer };
  };
  if (c0 === 0x5b) {
    r.pos++;
    r.ws();
    let i = 0;
    let mode: "users" | "pages" | undefined;
    let pending: { page: Record<string, unknown>; pointer: string } | undefined;
    if (r.peek() === 0x5d) r.pos++;
    else {
      for (;;) {
        const pointer = `/${i}`;
        const item = r.value(MAX_JSON_ELEMENT_BYTES, pointer, "the element");
        if (!mode) {
          mode = isPage(item) ? "pages" : "users";
          if (mode === "pages") kind = "pages";
        }
        if (mode === "pages") {
          if (!isPage(item)) {
            throw new EntraUserShapeError(
              pointer,
              'expected a Graph page ({ "value": [...] }) like the elements before it',
            );
          }
          if (!Array.isArray(item.value))
            throw new EntraUserShapeError(`${pointer}/value`, "expected an array of users");
          item.value.forEach((u, j) => {
            take(u, `${pointer}/value/${j}`, inPage(i, j));
          });
          pending = { page: item, pointer };
          pages++;
        } else {
          if (isPage(item))
            throw new EntraUserShapeError(pointer, "a Graph page among user objects: use one shape for the whole file");
          take(item, pointer, i);
        }
        i++;
        if (!r.more("]", `element /${i - 1}`, "the array")) break;
      }
    }
    if (pending) pageLinks(pending.page, pending.pointer, true);
    shape = mode === "pages" ? `${pages} pages` : "array of users";
  } else if (c0 === 0x7b) {
    // One page, streamed: its value array may hold every user of the tenant.
    kind = "page";
    r.pos++;
    const page: Record<string, unknown> = {};
    let hasValue = false;
    r.ws();
    if (r.peek() === 0x7d) r.pos++;
    else {
      for (;;) {
        r.ws();
        if (r.peek() !== 0x22) r.need('"', "a property name");
        const key = r.value(4096, "/", "a property name") as string;
        r.need(":", "':'");
        if (key === "value") {
          hasValue = true;
          r.need("[", `an array of users for /value`);
          r.ws();
          let j = 0;
          if (r.peek() === 0x5d) r.pos++;
          else {
            for (;;) {
              take(r.value(MAX_JSON_USER_BYTES, `/value/${j}`, "the user object"), `/value/${j}`, j);
              j++;
              if (!r.more("]", `/value/${j - 1}`, "value")) break;
            }
          }
        } else page[key] = r.value(MAX_JSON_USER_BYTES, `/${key}`, "the property");
        if (!r.more("}", `/${key}`, "the page")) break;
      }
    }
    if (!hasValue) {
      throw new JsonExportError(
        'at /: expected a JSON array of users or pages, or a Graph page ({ "value": [...] }), found an object without "value"',
      );
    }
    pageLinks(page, "/", true);
    pages = 1;
    shape = "one Graph page";
  } else if (c0 < 0) {
    throw new JsonExportError("the file is empty", "export the users again (see docs/gap-analysis.md)");
  } else {
    const v = r.value(MAX_JSON_USER_BYTES, "/", "the value");
    throw new JsonExportError(`at /: expected a JSON array, or a Graph page, found ${describe(v)}`);
  }
  r.ws();
  if (r.peek() >= 0) {
    throw new JsonExportError(
      `not valid JSON: more data after the end of the JSON value, at ${r.where()}`,
      "a file of one JSON page a line (JSON Lines) is not read: wrap the pages in [ ] separated by commas, or export an array of users",
    );
  }
  return { shape, pages, ...(count ? { count } : {}) };
}
