/**
 * The LDIF reader that works on a file's bytes (parseLdifBytes) reads every file as the one on decoded lines
 * (parseLdif) does: the same records, the same trailer, the same error on the same line, whatever the chunks the bytes
 * come in (one byte at a time, a line cut anywhere, a character cut between chunks).
 */
import { describe, expect, it } from "vitest";
import { parseLdifBytes } from "../../ad/ldifBytesParser";
import {
  emptyTrailer,
  LdifEncodingError,
  type LdifRecord,
  type LdifSyntaxError,
  LineTooLongError,
} from "../../ad/ldifRecords";
import { parseLdif } from "../../ad/ldifTextParser";

const KEEP = new Set(["objectclass", "userprincipalname", "samaccountname", "displayname", "mobile", "objectguid"]);
const BINARY = new Set(["objectguid"]);

type Outcome = { records: LdifRecord[]; trailer: ReturnType<typeof emptyTrailer> } | { error: string; line?: number };

async function viaLines(text: string, keep: Set<string> | undefined = KEEP): Promise<Outcome> {
  const trailer = emptyTrailer();
  const records: LdifRecord[] = [];
  try {
    for await (const r of parseLdif(text.split("\n"), { keepAttributes: keep, binaryAttributes: BINARY, trailer })) {
      records.push(r);
    }
    return { records, trailer };
  } catch (e) {
    return { error: (e as Error).message, line: (e as LdifSyntaxError).line };
  }
}

async function* inChunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield Buffer.from(bytes.subarray(i, i + size));
}

async function viaBytes(bytes: Buffer, size: number, keep: Set<string> | undefined = KEEP): Promise<Outcome> {
  const trailer = emptyTrailer();
  const records: LdifRecord[] = [];
  try {
    for await (const batch of parseLdifBytes(inChunks(bytes, size), {
      keepAttributes: keep,
      binaryAttributes: BINARY,
      trailer,
      maxLineLength: 1024 * 1024,
    })) {
      records.push(...batch);
    }
    return { records, trailer };
  } catch (e) {
    return { error: (e as Error).message, line: (e as LdifSyntaxError).line };
  }
}

const SIZES = [1, 2, 3, 7, 64, 1 << 20];

async function expectSame(text: string, keep?: Set<string>): Promise<Outcome> {
  const want = await viaLines(text, keep);
  for (const size of SIZES) {
    expect({ size, got: await viaBytes(Buffer.from(text, "utf8"), size, keep) }).toEqual({ size, got: want });
  }
  return want;
}

const ENTRY = [
  "version: 1",
  "",
  "# a comment",
  "#  folded comment",
  " its continuation",
  "dn: CN=Jürgen Müller,OU=Users,DC=corp,DC=example,DC=test",
  "objectClass: top",
  "objectClass: user",
  "OBJECTCLASS: organizationalPerson",
  "distinguishedName: CN=Jürgen Müller,OU=Users,DC=corp,DC=ex",
  " ample,DC=test",
  "sAMAccountName: jmueller",
  "userPrincipalName: jmueller@corp.exa",
  " mple.test",
  "displayName:: SsO8cmdlbiBNw7xsbGVy",
  "mobile:  +49 151 0000000 ",
  "objectGUID;binary:: AADtXq0LDUyeWgAAAAAAAQ==",
  "whenCreated: 20261127022451.0Z",
  "",
  "dn:: Q049SsO8cmdlbiAyLE9VPVVzZXJzLERDPWNvcnA=",
  "objectClass: user",
  "objectGUID: 0123456789abcdef",
  "mobile:",
  "mobile: +1 425 555 0100",
  "",
].join("\n");

describe("parseLdifBytes reads as parseLdif does", () => {
  it("entries: folded lines, base64 and non-ASCII values and DNs, options, comments, skipped attributes", async () => {
    const out = await expectSame(ENTRY);
    if (!("records" in out)) throw new Error(out.error);
    expect(out.records.map((r) => r.dn)).toEqual([
      "CN=Jürgen Müller,OU=Users,DC=corp,DC=example,DC=test",
      "CN=Jürgen 2,OU=Users,DC=corp",
    ]);
    const [a, b] = out.records;
    expect(a!.attrs.get("userprincipalname")).toEqual(["jmueller@corp.example.test"]);
    expect(a!.attrs.get("displayname")).toEqual(["Jürgen Müller"]);
    expect(a!.attrs.get("mobile")).toEqual([" +49 151 0000000 "]);
    expect(a!.attrs.get("objectclass")).toEqual(["top", "user", "organizationalPerson"]);
    expect(a!.attrs.has("distinguishedname")).toBe(false);
    expect(a!.attrs.has("whencreated")).toBe(false);
    expect(Buffer.from(a!.attrs.get("objectguid")![0] as Buffer).toString("base64")).toBe("AADtXq0LDUyeWgAAAAAAAQ==");
    expect(b!.attrs.get("objectguid")).toEqual([Buffer.from("0123456789abcdef")]);
    expect(b!.attrs.get("mobile")).toEqual(["", "+1 425 555 0100"]);
    expect(a!.line).toBe(6);
  });

  it("CRLF line ends, a BOM, blank lines of spaces, no final blank line, keeping every attribute", async () => {
    const crlf = `\ufeff${ENTRY.replace(/\n\n/, "\n   \n").split("\n").join("\r\n").replace(/\r\n$/, "")}`;
    await expectSame(crlf);
    await expectSame(ENTRY, undefined);
  });

  it("ldapsearch's trailer and ldbsearch's comments", async () => {
    const ldapsearch = [
      "# extended LDIF",
      "dn: CN=a,DC=x",
      "objectClass: user",
      "",
      "# search result",
      "search: 2",
      "result: 0 Success",
      "",
      "# numResponses: 2",
      "# numEntries: 1",
      "",
    ].join("\n");
    const out = await expectSame(ldapsearch);
    if (!("trailer" in out)) throw new Error(out.error);
    expect(out.trailer).toMatchObject({ extendedLdif: true, numEntries: 1, results: [{ code: 0, text: "Success" }] });
    await expectSame(["# record 1", "dn: CN=a,DC=x", "", "# returned 1 records", "# 1 entries", ""].join("\n"));
  });

  it.each([
    ["a URL value", "dn: CN=a,DC=x\nmobile:< file:///etc/passwd\n"],
    ["bad base64", "dn: CN=a,DC=x\nmobile:: AAA\n"],
    ["base64 text that is not UTF-8", `dn: CN=a,DC=x\ndisplayName:: ${Buffer.from([0xe9]).toString("base64")}\n`],
    ["an attribute before dn:", "version: 1\nmobile: 1\n"],
    ["an attribute not kept before dn:", "whenCreated: 1\n"],
    ["a continuation with nothing to continue", "\n continued\n"],
    ["a line that is not LDIF", "dn: CN=a,DC=x\nno colon here\n"],
    ["a line starting with a colon", "dn: CN=a,DC=x\n: value\n"],
    ["a change record", "dn: CN=a,DC=x\nchangetype: modify\n"],
    ["an unsupported version", "version: 2\n"],
    ["ldbsearch's error", "search error - bad\n"],
    ["a bad attribute option", "dn: CN=a,DC=x\nmobile;: 1\n"],
  ])("refuses %s on the same line", async (_what, text) => {
    const out = await expectSame(text);
    expect(out).toHaveProperty("error");
  });

  it("refuses a value longer than the cap, folded or not, with the same message", async () => {
    const long = "x".repeat(70 * 1024);
    const folded = long.match(/.{1,76}/g)!.join("\n ");
    for (const text of [`dn: CN=a,DC=x\nmobile: ${long}\n`, `dn: CN=a,DC=x\nmobile: ${folded}\n`]) {
      const out = await viaLines(text);
      expect(out).toMatchObject({ error: expect.stringMatching(/mobile line is longer than 65,536/), line: 2 });
      expect(await viaBytes(Buffer.from(text), 4096)).toEqual(out);
    }
  });

  it("counts a long line in characters, not bytes, and refuses one over the line cap", async () => {
    const text = `dn: CN=a,DC=x\ndisplayName: ${"ü".repeat(40_000)}\n`;
    expect(await viaBytes(Buffer.from(text), 1000)).toEqual(await viaLines(text));
    const cap = async (t: string, size: number) => {
      try {
        for await (const _ of parseLdifBytes(inChunks(Buffer.from(t), size), { maxLineLength: 1024 }));
        return "read";
      } catch (e) {
        return e instanceof LineTooLongError ? `line ${e.line}` : String(e);
      }
    };
    expect(await cap(`dn: CN=a\nmobile: ${"1".repeat(2000)}\n`, 100)).toBe("line 2");
    expect(await cap(`dn: CN=a\nmobile: ${"1".repeat(5000)}`, 100_000)).toBe("line 2");
    expect(await cap(`dn: CN=a\nmobile: ${"ü".repeat(1000)}\n`, 7)).toBe("read");
  });

  it("refuses bytes that are not UTF-8 with their line, and a character cut by the end of the file", async () => {
    const bad = Buffer.concat([Buffer.from("dn: CN=a\nmobile: 1\ndisplayName: "), Buffer.from([0xe9, 0x0a])]);
    const cut = Buffer.concat([Buffer.from("dn: CN=a\ndisplayName: "), Buffer.from([0xc3])]);
    for (const size of SIZES) {
      const read = async (b: Buffer) => {
        try {
          for await (const _ of parseLdifBytes(inChunks(b, size), { maxLineLength: 1024 }));
          return "read";
        } catch (e) {
          return e instanceof LdifEncodingError ? { line: e.line, offset: e.offset, cut: e.cut } : String(e);
        }
      };
      expect(await read(bad)).toEqual({ line: 3, offset: 32, cut: false });
      expect(await read(cut)).toEqual({ line: 2, offset: 22, cut: true });
    }
  });

  it("says whether the bytes ended with a line break", async () => {
    for (const [text, ends] of [
      ["dn: CN=a\n", true],
      ["dn: CN=a", false],
    ] as const) {
      const stats = { bytes: 0, endsWithNewline: !ends };
      for await (const _ of parseLdifBytes(inChunks(Buffer.from(text), 3), { maxLineLength: 1024, stats }));
      expect(stats).toEqual({ bytes: text.length, endsWithNewline: ends });
    }
  });
});
