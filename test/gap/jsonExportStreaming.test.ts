/**
 * The Graph JSON export reader streams: a file larger than the longest string V8 can build (so it cannot have been
 * read whole) reads, and a damaged one of that size is still an input error (exit 2), not a crash.
 *
 * The file has the shape of a large tenant's export: pretty-printed Graph pages of 999 users, `@odata.nextLink` on
 * every page but the last. Most of its bytes are the whitespace between pages, which JSON allows and which takes the
 * reader no parsing, so the test stays quick while the file passes the limit.
 */
import { constants } from "node:buffer";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEntraJsonFile } from "../../gap/entra/jsonExport";
import { entraExportFailure, graphExportUser } from "../support/entraExport";

const PAGES = 4;
const PER_PAGE = 999;
/** Past V8's longest string (0x1fffffe8 characters on 64-bit), with room to spare. */
const TARGET_BYTES = constants.MAX_STRING_LENGTH + 16 * 1024 * 1024;

function page(p: number, last: boolean): string {
  const value = Array.from({ length: PER_PAGE }, (_, j) => {
    const i = p * PER_PAGE + j;
    return graphExportUser(i, {
      mobilePhone: i % 7 === 0 ? null : `+1425555${String(i % 10000).padStart(4, "0")}`,
      onPremisesImmutableId: Buffer.from(`anchor-${i}`).toString("base64"),
      accountEnabled: true,
      displayName: `User ${i}`,
    });
  });
  const body: Record<string, unknown> = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
    value,
  };
  if (!last) body["@odata.nextLink"] = `https://graph.microsoft.com/v1.0/users?$skiptoken=p${p + 1}`;
  return JSON.stringify(body, null, 2);
}

let dir: string;
let path: string;
/** Offset where the last page starts: the tails of the tests are written from there. */
let lastPageAt: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "syncgap-json-stream-"));
  path = join(dir, "users.json");
  const fd = openSync(path, "w");
  let at = 0;
  const put = (s: string | Buffer) => {
    at += typeof s === "string" ? writeSync(fd, s) : writeSync(fd, s);
  };
  put("[\n");
  // Indentation and blank lines between the pages, in 1 MiB blocks, until the file is past the string limit.
  const pad = Buffer.alloc(1024 * 1024, " ");
  for (let i = 0; i < pad.length; i += 128) pad[i] = 0x0a;
  const padBlocks = Math.ceil(TARGET_BYTES / pad.length / (PAGES - 1));
  for (let p = 0; p < PAGES - 1; p++) {
    put(page(p, false));
    put(",");
    for (let b = 0; b < padBlocks; b++) put(pad);
  }
  lastPageAt = at;
  closeSync(fd);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces everything after the padding with `tail`. */
function withTail(tail: string): void {
  truncateSync(path, lastPageAt);
  const fd = openSync(path, "a");
  writeSync(fd, tail);
  closeSync(fd);
}

describe("a Graph JSON export larger than V8's longest string", () => {
  it("reads every user of every page", () => {
    withTail(`${page(PAGES - 1, true)}\n]\n`);
    expect(statSync(path).size).toBeGreaterThan(constants.MAX_STRING_LENGTH);
    const x = readEntraJsonFile(path);
    expect(x.users).toHaveLength(PAGES * PER_PAGE);
    expect(x.info.description).toMatch(new RegExp(`\\(${PAGES} pages\\)`));
    const last = x.users.toArray()[PAGES * PER_PAGE - 1];
    expect(last).toMatchObject({ userPrincipalName: `user${PAGES * PER_PAGE - 1}@corp.example.test` });
    expect(x.users.toArray().filter((u) => u.mobilePhone === null)).toHaveLength(Math.ceil((PAGES * PER_PAGE) / 7));
  }, 120_000);

  it("is still an input error when the last page says Graph had more (partial export)", () => {
    withTail(`${page(PAGES - 1, false)}\n]\n`);
    expect(entraExportFailure(path).message).toMatch(/last page \(\/3\) carries @odata\.nextLink.*partial/);
  }, 120_000);

  it("is still an input error when it is cut inside the last page, and names the line", () => {
    const text = page(PAGES - 1, true);
    withTail(text.slice(0, text.length / 2));
    expect(entraExportFailure(path).message).toMatch(
      /file ends inside the value that starts at line \d+ .*\(\/3\): it was cut/,
    );
  }, 120_000);

  it("is still an input error when a user in the middle is malformed", () => {
    withTail(
      `${page(PAGES - 1, true).replace('"userPrincipalName": "user3500@', '"userPrincipalName": 3500, "x": "')}\n]\n`,
    );
    expect(entraExportFailure(path).message).toMatch(
      /expected a string or null, found number 3500 \(at JSON pointer \/3\/value\/503\/userPrincipalName\)/,
    );
  }, 120_000);

  it("names both places of a user id that comes twice", () => {
    withTail(`${page(0, true)}\n]\n`);
    expect(entraExportFailure(path).message).toMatch(/appears twice \(at \/0\/value\/0 and \/3\/value\/0\)/);
  }, 120_000);
});
