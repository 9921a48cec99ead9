/**
 * The completeness rules of the Graph JSON export reader (gap/entra/jsonExport.ts), each with a file of the real
 * producer's shape that passes and one broken the way exports break: partial page chains, empty exports, cut files,
 * other encodings, duplicates, over-long values; and a file read in chunks without building it as one string.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEntraJsonFile } from "../../gap/entra/jsonExport";
import type { GapInputError } from "../../gap/errors";
import { entraExportFailure, graphExportUser } from "../support/entraExport";
import { tempFiles } from "../support/tempFiles";

const { dir: tmp, write: file } = tempFiles("syncgap-json-complete-");
const u = graphExportUser;
const CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,mobilePhone)";
const NEXT = "https://graph.microsoft.com/v1.0/users?$skiptoken=RFNwdAIAAQAAAA";

function failure(path: string): GapInputError {
  const e = entraExportFailure(path);
  expect(e.source).toBe(`Entra ID export ${path}`);
  return e;
}

describe("Graph JSON export completeness", () => {
  it("an array of pages whose last page has no @odata.nextLink passes; one whose last page has it is partial", () => {
    const pages = [
      { "@odata.context": CONTEXT, "@odata.nextLink": NEXT, value: [u(1), u(2)] },
      { "@odata.context": CONTEXT, value: [u(3)] },
    ];
    expect(readEntraJsonFile(file(JSON.stringify(pages, null, 2))).users).toHaveLength(3);
    pages[1]!["@odata.nextLink"] = NEXT;
    const e = failure(file(JSON.stringify(pages)));
    expect(e.problem).toMatch(/the last page \(\/1\) carries @odata.nextLink: .* partial/);
    expect(e.remedy).toMatch(/follow @odata.nextLink/);
  });

  it("one Graph page: passes without nextLink, partial with it; a delta round's last page (deltaLink) passes", () => {
    const page = { "@odata.context": CONTEXT, value: [u(1)] };
    expect(readEntraJsonFile(file(JSON.stringify(page))).users).toHaveLength(1);
    expect(failure(file(JSON.stringify({ ...page, "@odata.nextLink": NEXT }))).problem).toMatch(
      /last page \(\/\) carries @odata.nextLink/,
    );
    const delta = { ...page, "@odata.deltaLink": "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x" };
    expect(readEntraJsonFile(file(JSON.stringify(delta))).users).toHaveLength(1);
  });

  it("@odata.count must match the users read", () => {
    const page = { "@odata.count": 2, value: [u(1), u(2)] };
    expect(readEntraJsonFile(file(JSON.stringify(page))).users).toHaveLength(2);
    expect(failure(file(JSON.stringify({ ...page, "@odata.count": 3 }))).problem).toMatch(
      /@odata.count at \/ says 3 users, but the file holds 2/,
    );
  });

  it("empty exports fail: [], pages with empty value, an empty file", () => {
    expect(failure(file("[]")).problem).toMatch(/holds no users \(an empty array\)/);
    expect(failure(file(JSON.stringify([{ value: [] }]))).problem).toMatch(/no users \(1 page with empty value\)/);
    expect(failure(file(JSON.stringify({ value: [] }))).problem).toMatch(/no users/);
    expect(failure(file("  \n")).problem).toMatch(/the file is empty/);
  });

  it("a cut file fails, saying it was cut", () => {
    const text = JSON.stringify([u(1), u(2), u(3)], null, 2);
    expect(failure(file(text.slice(0, text.length - 1))).problem).toMatch(/without the closing \] .*cut/);
    expect(failure(file(text.slice(0, text.length - 30))).problem).toMatch(/ends inside the value .* cut/);
    const page = JSON.stringify({ value: [u(1), u(2)] });
    expect(failure(file(page.slice(0, page.length - 1))).problem).toMatch(/closing } of the page: it was cut/);
  });

  it("JSON Lines (one page a line) and trailing data are refused with the fix", () => {
    const e = failure(file(`${JSON.stringify({ value: [u(1)] })}\n${JSON.stringify({ value: [u(2)] })}\n`));
    expect(e.problem).toMatch(/more data after the end of the JSON value, at line 2 column 1/);
    expect(e.remedy).toMatch(/JSON Lines/);
  });

  it("the same id twice fails, naming both places", () => {
    const pages = [{ "@odata.nextLink": NEXT, value: [u(1)] }, { value: [u(2), u(1)] }];
    expect(failure(file(JSON.stringify(pages))).problem).toMatch(
      /appears twice \(at \/0\/value\/0 and \/1\/value\/1\)/,
    );
  });

  it("names both places of an id that comes twice far apart (page 299: a place past 2^31)", () => {
    const pages = Array.from({ length: 300 }, (_, i) => ({
      ...(i < 299 ? { "@odata.nextLink": NEXT } : {}),
      value: [u(i === 299 ? 0 : i)],
    }));
    expect(failure(file(JSON.stringify(pages))).problem).toMatch(
      /appears twice \(at \/0\/value\/0 and \/299\/value\/0\)/,
    );
    // ids that are not GUIDs are checked too, and an upper-case GUID is another id than its lower-case spelling
    const g = "abcdef00-0000-4000-8000-00000000000a";
    const odd = [
      u(1, { id: "not-a-guid" }),
      u(2, { id: g.toUpperCase() }),
      u(3, { id: g }),
      u(4, { id: "not-a-guid" }),
    ];
    expect(failure(file(JSON.stringify(odd))).problem).toMatch(/user id not-a-guid appears twice \(at \/0 and \/3\)/);
  });

  it("a mobilePhone of 64 characters reads; 65 fails naming the user, the property and Graph's limit", () => {
    const m64 = `+1 ${"4".repeat(61)}`;
    expect(readEntraJsonFile(file(JSON.stringify([u(1, { mobilePhone: m64 })]))).users.toArray()[0]!.mobilePhone).toBe(
      m64,
    );
    const e = failure(file(JSON.stringify([u(1), u(2, { mobilePhone: `${m64}5` })])));
    expect(e.problem).toMatch(
      /user "user2@corp.example.test": mobilePhone is 65 characters; it holds at most 64 .* \(at JSON pointer \/1\/mobilePhone\)/,
    );
    const d = failure(file(JSON.stringify([u(1, { displayName: "d".repeat(257) })])));
    expect(d.problem).toMatch(/displayName is 257 characters; it holds at most 256/);
  });

  it("UTF-16LE with BOM (Windows PowerShell 5.1's > and Out-File) reads; UTF-8 with BOM reads", () => {
    const text = JSON.stringify([u(1, { displayName: "Héloïse Dœuf" })], null, 2);
    const le = readEntraJsonFile(file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])));
    expect(le.users.toArray()[0]!.displayName).toBe("Héloïse Dœuf");
    const be = Buffer.from(text, "utf16le").swap16();
    expect(readEntraJsonFile(file(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).users).toHaveLength(1);
    expect(readEntraJsonFile(file(`\ufeff${text}`)).users).toHaveLength(1);
  });

  it("bytes that are not UTF-8 fail with the element and the fix; UTF-16 without BOM is refused", () => {
    const ansi = Buffer.from(`[{"id":"a","userPrincipalName":"a@x.test","displayName":"H\xe9lo\xefse"}]`, "latin1");
    const e = failure(file(ansi));
    expect(e.problem).toMatch(/value at \/0 \(from line 1\) are not UTF-8/);
    expect(e.remedy).toMatch(/UTF-8/);
    expect(failure(file(Buffer.from(JSON.stringify([u(1)]), "utf16le"))).problem).toMatch(/NUL bytes/);
  });

  it("a user object larger than 1 MiB inside a streamed page fails with its pointer, not 'check the path'", () => {
    const big = JSON.stringify({ value: [u(1), u(2, { extra: "x".repeat(2 * 1024 * 1024) })] });
    const e = failure(file(big));
    expect(e.problem).toMatch(/the user object at \/value\/1 \(from line 1\) is larger than 1 MiB/);
    expect(e.remedy).not.toMatch(/check the path/);
  });

  it("reads a large one-page export in chunks (pretty-printed), every user once", () => {
    // 40,000 users in one { value: [...] } page, about 6 MB: read in 1 MiB chunks, split into users as it goes.
    const p = join(tmp, "big-page.json");
    const fd = openSync(p, "w");
    writeSync(fd, `{\n  "@odata.context": "${CONTEXT}",\n  "value": [\n`);
    const total = 40_000;
    for (let i = 0; i < total; i += 1000) {
      const chunk: string[] = [];
      for (let j = i; j < i + 1000; j++) chunk.push(`    ${JSON.stringify(u(j))}`);
      writeSync(fd, chunk.join(",\n") + (i + 1000 < total ? ",\n" : "\n"));
    }
    writeSync(fd, "  ]\n}\n");
    closeSync(fd);
    const x = readEntraJsonFile(p);
    expect(x.users).toHaveLength(total);
    expect(new Set(x.users.toArray().map((v) => v.id)).size).toBe(total);
    expect(x.users.toArray()[total - 1]!.userPrincipalName).toBe(`user${total - 1}@corp.example.test`);
  });

  it("a syntax error deep in a big file names its line", () => {
    const lines = [u(1), u(2), u(3)].map((v) => `  ${JSON.stringify(v)}`);
    lines[2] = lines[2]!.replace('"mobilePhone"', '"mobilePhone" :: ');
    const e = failure(file(`[\n${lines.join(",\n")}\n]\n`));
    expect(e.problem).toMatch(/not valid JSON: .*\(line 4 column \d+, in the element at \/2\)/);
  });
});
