/**
 * The completeness rules of the AD export readers (ad/ldifFileSource.ts, ad/csvFileSource.ts): each rule once with a file of the real
 * producer's shape that passes, and once broken the way real exports break (cut, failed search, wrong encoding,
 * duplicated, over-long values).
 */

import { once } from "node:events";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAdCsvFile } from "../../ad/csvFileSource";
import { AdReadError } from "../../ad/errors";
import { boundedLines } from "../../ad/exportEncoding";
import { readLdifFile } from "../../ad/ldifFileSource";
import { LineTooLongError } from "../../ad/ldifRecords";
import type { AdSource, AdUser } from "../../ad/types";
import { tempFiles } from "../support/tempFiles";

const FIX = join(__dirname, "../fixtures/ad");
const { dir: tmp, write } = tempFiles("syncgap-ad-complete-");
const file = (content: string | Buffer, ext = "ldif") => write(content, ext);

async function all(src: AdSource): Promise<AdUser[]> {
  const out: AdUser[] = [];
  for await (const page of src.pages()) out.push(...page);
  return out;
}

async function failure(src: AdSource): Promise<AdReadError> {
  const e = await all(src).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, "expected the read to fail").toBeInstanceOf(AdReadError);
  return e as AdReadError;
}

/** An ldapsearch extended-LDIF export (its default output) of `entries`, with the trailer it writes. */
function ldapsearch(entries: string[], result = "0 Success", opts: { numEntries?: number } = {}): string {
  const head = "# extended LDIF\n#\n# LDAPv3\n# base <OU=Demo,DC=corp,DC=example,DC=test> with scope subtree\n#\n\n";
  const body = entries.map((e) => `# x\n${e}\n`).join("\n");
  return `${head}${body}\n# search result\nsearch: 2\nresult: ${result}\n\n# numResponses: ${entries.length + 1}\n# numEntries: ${opts.numEntries ?? entries.length}\n`;
}

const user = (i: number, extra = "") =>
  `dn: CN=User ${i},OU=Demo,DC=corp,DC=example,DC=test\nobjectClass: user\nsAMAccountName: user${i}\nmobile: +1425555${String(i).padStart(4, "0")}\nuserAccountControl: 512\n${extra}`;

describe("LDIF completeness", () => {
  it("ldapsearch extended LDIF: result 0 after the last entry passes; 4 Size limit exceeded or 1 Operations error fail", async () => {
    expect(await all(readLdifFile(file(ldapsearch([user(1), user(2)]))))).toHaveLength(2);
    const size = await failure(readLdifFile(file(ldapsearch([user(1)], "4 Size limit exceeded"))));
    expect(size.code).toBe("AD_BAD_EXPORT");
    expect(size.message).toMatch(/result: 4 Size limit exceeded.*did not return every entry/);
    expect(size.remedy).toMatch(/-E pr=1000\/noprompt/);
    expect(size.server).toMatch(/:\d+$/); // the line of the result
    const ops = await failure(readLdifFile(file(ldapsearch([user(1)], "1 Operations error"))));
    expect(ops.message).toMatch(/result: 1 Operations error/);
  });

  it("a paged ldapsearch (one result per page, numEntries the total) passes; a failed later page fails", async () => {
    const page = (entries: string[], result: string) =>
      `${entries.map((e) => `${e}\n`).join("\n")}\n# search result\nsearch: 2\nresult: ${result}\ncontrol: 1.2.840.113556.1.4.319 false MAUCAQAEAA==\n\n`;
    const good = `# extended LDIF\n#\n\n${page([user(1)], "0 Success")}${page([user(2)], "0 Success")}# numResponses: 5\n# numEntries: 2\n`;
    expect(await all(readLdifFile(file(good)))).toHaveLength(2);
    const bad = `# extended LDIF\n#\n\n${page([user(1)], "0 Success")}${page([user(2)], "51 Busy")}# numResponses: 5\n# numEntries: 2\n`;
    expect((await failure(readLdifFile(file(bad)))).message).toMatch(/result: 51 Busy/);
  });

  it("an extended LDIF cut before its search result fails", async () => {
    const full = ldapsearch([user(1), user(2)]);
    const cut = full.slice(0, full.indexOf("# search result"));
    expect((await failure(readLdifFile(file(cut)))).message).toMatch(/ends without its search result.*cut/);
  });

  it("# numEntries that does not match the entries read fails", async () => {
    const e = await failure(readLdifFile(file(ldapsearch([user(1), user(2)], "0 Success", { numEntries: 3 }))));
    expect(e.message).toMatch(/numEntries: 3, but the file holds 2 entries/);
  });

  it("ldapsearch -L output (result code on stderr only) fails and says to drop -L", async () => {
    const dashL = `version: 1\n\n#\n# LDAPv3\n#\n\n# x\n${user(1)}\n# search result\n\n# numResponses: 2\n# numEntries: 1\n`;
    const e = await failure(readLdifFile(file(dashL)));
    expect(e.message).toMatch(/ldapsearch -L output/);
    expect(e.remedy).toMatch(/without -L/);
  });

  it("ldbsearch: # returned N records must come and match", async () => {
    const ldb = (entries: string[], returned?: number) =>
      `${entries.map((e, i) => `# record ${i + 1}\n${e}\n`).join("\n")}${
        returned === undefined ? "" : `\n# returned ${returned} records\n# ${returned} entries\n# 0 referrals\n`
      }`;
    expect(await all(readLdifFile(file(ldb([user(1), user(2)], 2))))).toHaveLength(2);
    expect((await failure(readLdifFile(file(ldb([user(1), user(2)]))))).message).toMatch(/# returned N records/);
    expect((await failure(readLdifFile(file(ldb([user(1), user(2)], 3))))).message).toMatch(
      /returned 3 entries, but the file holds 2/,
    );
  });

  it("ldifde output (no trailer) passes; cut in the middle of a line fails", async () => {
    const ldifde = `\r\n${[user(1), user(2)].map((u) => `${u.replace(/\n/g, "\r\n")}changetype: add\r\n`).join("\r\n")}`;
    expect(await all(readLdifFile(file(ldifde)))).toHaveLength(2);
    const cut = ldifde.slice(0, ldifde.lastIndexOf("mobile: ") + 12); // "mobile: +142": a valid line, but cut
    expect((await failure(readLdifFile(file(cut)))).message).toMatch(/ends in the middle of a line/);
  });

  it("an empty file, or one without user entries, fails", async () => {
    expect((await failure(readLdifFile(file("")))).message).toMatch(/the file is empty/);
    const groups = "version: 1\n\ndn: CN=G,DC=corp\nobjectClass: group\n\n";
    expect((await failure(readLdifFile(file(groups)))).message).toMatch(
      /no user entries \(1 records, 1 of them not users\)/,
    );
    expect((await failure(readLdifFile(file(ldapsearch([]))))).message).toMatch(/no user entries/);
  });

  it("the same DN or objectGUID twice fails", async () => {
    const twice = `version: 1\n\n${user(1)}\n${user(1)}\n`;
    const e = await failure(readLdifFile(file(twice)));
    expect(e.message).toMatch(/CN=User 1,OU=Demo,DC=corp,DC=example,DC=test appears twice \(first at .*:3\)/);
    const guid = "objectGUID:: pHcFoaW9wUWPuYWa61XoDg==\n";
    const sameGuid = `version: 1\n\n${user(1, guid)}\n${user(2, guid)}\n`;
    expect((await failure(readLdifFile(file(sameGuid)))).message).toMatch(/objectGUID a10577a4-.* appears twice/);
  });

  it("bad base64 and base64 text that is not UTF-8 fail; good base64 reads", async () => {
    const ok = `version: 1\n\n${user(1, "displayName:: SMOpbG/Dr3Nl\n")}\n`;
    expect((await all(readLdifFile(file(ok))))[0]!.displayName).toBe("Héloïse");
    const bad = `version: 1\n\n${user(1, "displayName:: SMOpbG/Dr3N\n")}\n`; // 11 characters: cut
    expect((await failure(readLdifFile(file(bad)))).message).toMatch(
      /line 8: the base64 value of displayName is not valid base64/,
    );
    const latin1 = `version: 1\n\n${user(1, `displayName:: ${Buffer.from("Héloïse", "latin1").toString("base64")}\n`)}\n`;
    expect((await failure(readLdifFile(file(latin1)))).message).toMatch(/displayName is not UTF-8 text/);
  });

  it("bytes that are not UTF-8 (an ANSI-encoded file) fail with the line, never as U+FFFD", async () => {
    const ansi = Buffer.concat([
      Buffer.from(`version: 1\n\n${user(1)}`),
      Buffer.from("displayName: H\xe9lo\xefse\n\n", "latin1"),
    ]);
    const e = await failure(readLdifFile(file(ansi)));
    expect(e.message).toMatch(/line 8 .* not UTF-8/);
    expect(e.remedy).toMatch(/UTF-8/);
  });

  it("UTF-32 and UTF-16 without BOM are refused with the fix", async () => {
    const text = `version: 1\n\n${user(1)}\n`;
    const u32 = Buffer.alloc(4 + text.length * 4);
    u32.set([0xff, 0xfe, 0, 0]);
    for (let i = 0; i < text.length; i++) u32[4 + i * 4] = text.charCodeAt(i);
    expect((await failure(readLdifFile(file(u32)))).message).toMatch(/UTF-32/);
    expect((await failure(readLdifFile(file(Buffer.from(text, "utf16le"))))).message).toMatch(
      /NUL bytes: it is UTF-16 without a byte order mark/,
    );
  });

  it("URL values (attr:< file://) of attributes syncgap reads are refused; of other attributes skipped", async () => {
    const url = `version: 1\n\n${user(1, "displayName:< file:///tmp/x\n")}\n`;
    expect((await failure(readLdifFile(file(url)))).message).toMatch(/given as a URL/);
    const photo = `version: 1\n\n${user(1, "jpegPhoto:< file:///tmp/photo.jpg\n")}\n`;
    expect(await all(readLdifFile(file(photo)))).toHaveLength(1);
  });
});

describe("LDIF and CSV limits", () => {
  it("a mobile of 64 characters reads; 65 is refused naming the user, the attribute and AD's limit", async () => {
    const m64 = `+1 ${"4".repeat(61)}`;
    expect(
      (await all(readLdifFile(file(`version: 1\n\n${user(1).replace(/mobile: .*\n/, `mobile: ${m64}\n`)}\n`))))[0]!
        .mobile,
    ).toBe(m64);
    const e = await failure(
      readLdifFile(file(`version: 1\n\n${user(1).replace(/mobile: .*\n/, `mobile: ${m64}5\n`)}\n`)),
    );
    expect(e.code).toBe("AD_BAD_ENTRY");
    expect(e.message).toMatch(/mobile of CN=User 1,OU=Demo,.* is 65 characters; AD holds at most 64 \(rangeUpper 64/);
    expect(e.server).toMatch(/:3$/);
  });

  it("otherMobile, displayName and userPrincipalName are held to their rangeUpper", async () => {
    const over = async (extra: string) =>
      (await failure(readLdifFile(file(`version: 1\n\n${user(1, extra)}\n`)))).message;
    expect(await over(`otherMobile: +1\notherMobile: ${"5".repeat(65)}\n`)).toMatch(/othermobile .* at most 64/);
    expect(await over(`displayName: ${"d".repeat(257)}\n`)).toMatch(
      /displayname .* 257 characters; AD holds at most 256/,
    );
    expect(await over(`userPrincipalName: ${"u".repeat(1025)}\n`)).toMatch(/userprincipalname .* at most 1024/);
  });

  it("a 200 KB mobile folded over many lines is refused before it is built", async () => {
    const folded = `mobile: ${"1".repeat(70)}\n${Array.from({ length: 3000 }, () => ` ${"2".repeat(70)}`).join("\n")}\n`;
    const rec = `version: 1\n\ndn: CN=A,DC=corp\nobjectClass: user\n${folded}userAccountControl: 512\n\n`;
    const e = await failure(readLdifFile(file(rec)));
    expect(e.message).toMatch(/line 5: the mobile line is longer than 65,536 characters/);
  });

  it("a CSV mobile over 64 characters is refused with the row's line", async () => {
    const csv = `"DistinguishedName","Enabled","mobile","ObjectGUID"\r\n"CN=A,DC=corp","True","${"1".repeat(65)}","a10577a4-bda5-45c1-8fb9-859aeb55e80e"\r\n`;
    const e = await failure(readAdCsvFile(file(csv, "csv")));
    expect(e.message).toMatch(/mobile of CN=A,DC=corp is 65 characters; AD holds at most 64/);
    expect(e.server).toMatch(/:2$/);
  });

  it("a line far over the cap is refused as soon as it passes the cap, without reading the rest of it", async () => {
    let pulled = 0;
    async function* chunks() {
      yield "version: 1\n\n";
      for (let i = 0; i < 64; i++) {
        pulled++;
        yield "a".repeat(1024 * 1024); // 64 MiB without a line break
      }
    }
    const e = await (async () => {
      for await (const _ of boundedLines(chunks(), 1024 * 1024));
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LineTooLongError);
    expect((e as LineTooLongError).line).toBe(3);
    expect(pulled).toBeLessThanOrEqual(2); // stopped after ~1 MiB, not after 64
  });

  it("a 64 MiB LDIF line (and a 64 MiB CSV row) in a real file: AD_BAD_EXPORT naming the line and the cap", async () => {
    const p = join(tmp, "huge.ldif");
    const out = createWriteStream(p);
    out.write("version: 1\n\ndn: CN=A,DC=corp\nobjectClass: user\nmobile: ");
    const mib = Buffer.alloc(1024 * 1024, 0x31);
    for (let i = 0; i < 64; i++) if (!out.write(mib)) await once(out, "drain");
    out.end("\n\n");
    await once(out, "finish");
    const e = await failure(readLdifFile(p));
    expect(e.code).toBe("AD_BAD_EXPORT");
    expect(e.server).toBe(`${p}:5`);
    expect(e.message).toMatch(/line 5 is longer than 1,048,576 characters/);
    const c = join(tmp, "huge.csv");
    const cout = createWriteStream(c);
    cout.write('"DistinguishedName","Enabled","mobile","ObjectGUID"\r\n"CN=A,DC=corp","True","');
    for (let i = 0; i < 64; i++) if (!cout.write(mib)) await once(cout, "drain");
    cout.end('","x"\r\n');
    await once(cout, "finish");
    const ce = await failure(readAdCsvFile(c));
    expect(ce.message).toMatch(/row at line 2 is longer than 1,048,576 characters/);
  });
});

describe("CSV completeness", () => {
  const joined = readFileSync(join(FIX, "export-joined.csv"), "utf8");
  const header = joined.slice(0, joined.indexOf("\n") + 1);

  it("PowerShell 5.1 shape (#TYPE line, every field quoted, CRLF) passes; the last row cut mid-field fails", async () => {
    const ps51 = `#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n${joined.replace(/\r?\n/g, "\r\n")}`;
    expect((await all(readAdCsvFile(file(ps51, "csv")))).length).toBeGreaterThan(10);
    const cut = ps51.slice(0, ps51.length - 20);
    expect((await failure(readAdCsvFile(file(cut, "csv")))).message).toMatch(/quoted field is not closed.*cut/);
  });

  it("PowerShell 7 unquoted rows (-UseQuotes AsNeeded) pass; cut at the end of a field fails (no line break)", async () => {
    const pwsh7 =
      "DistinguishedName,Enabled,ObjectGUID,mobile\nCN=A,True,a10577a4-bda5-45c1-8fb9-859aeb55e80e,+14255550100\n";
    expect(await all(readAdCsvFile(file(pwsh7, "csv")))).toHaveLength(1);
    const e = await failure(readAdCsvFile(file(pwsh7.slice(0, -4), "csv"))); // "+1425555": still a number
    expect(e.message).toMatch(/ends in the middle of a row/);
  });

  it("a row with fewer fields than the header (cut at a field boundary) fails with its line", async () => {
    const lines = joined.split("\r\n"); // Export-Csv writes CRLF
    const fields = lines[3]!.match(/"[^"]*"/g)!;
    const short = `${lines.slice(0, 3).join("\r\n")}\r\n${fields.slice(0, 5).join(",")}\r\n`;
    const e = await failure(readAdCsvFile(file(short, "csv")));
    expect(e.message).toMatch(/row at line 4 has a different number of fields/);
    expect(e.server).toMatch(/:4$/);
  });

  it("an embedded newline in a quoted field is read, and later rows keep their line numbers", async () => {
    const csv = `"DistinguishedName","Enabled","mobile","otherMobile","ObjectGUID"\n"CN=A,DC=corp","True","+1","+2\n+3","a10577a4-bda5-45c1-8fb9-859aeb55e80e"\n"CN=B,DC=corp","True","${"9".repeat(65)}","","3f229904-dd9f-4657-973b-a79ecbbc49a7"\n`;
    const e = await failure(readAdCsvFile(file(csv, "csv")));
    expect(e.server).toMatch(/:4$/); // B's row starts on line 4: A's otherMobile took two lines
  });

  it("empty, header-only and #TYPE-only files fail", async () => {
    expect((await failure(readAdCsvFile(file("", "csv")))).message).toMatch(/the file is empty/);
    expect((await failure(readAdCsvFile(file(header, "csv")))).message).toMatch(/a header but no user rows/);
    expect(
      (await failure(readAdCsvFile(file("#TYPE Microsoft.ActiveDirectory.Management.ADUser\r\n", "csv")))).message,
    ).toMatch(/no header and no users/);
  });

  it("a CSV without mobile, or without any join key, fails naming the columns", async () => {
    const noMobile =
      '"DistinguishedName","Enabled","ObjectGUID"\n"CN=A","True","a10577a4-bda5-45c1-8fb9-859aeb55e80e"\n';
    expect((await failure(readAdCsvFile(file(noMobile, "csv")))).message).toMatch(
      /no mobile \(or MobilePhone\) column/,
    );
    const noKey = '"DistinguishedName","Enabled","mobile"\n"CN=A","True","+1"\n';
    expect((await failure(readAdCsvFile(file(noKey, "csv")))).message).toMatch(/no column to join users/);
  });

  it("the same DN twice fails", async () => {
    const lines = joined.split("\n");
    const twice = `${lines.slice(0, 3).join("\n")}\n${lines[2]}\n`;
    expect((await failure(readAdCsvFile(file(twice, "csv")))).message).toMatch(/appears twice \(first at .*:3\)/);
  });

  it("an ANSI (-Encoding Default) export fails with the line and -Encoding UTF8; '?' in sAMAccountName (ASCII) fails", async () => {
    const ansi = Buffer.concat([
      Buffer.from('"DistinguishedName","Enabled","mobile","SamAccountName"\r\n"CN=A","True","+1","a"\r\n'),
      Buffer.from('"CN=H\xe9lo\xefse","True","+1","h"\r\n', "latin1"),
    ]);
    const e = await failure(readAdCsvFile(file(ansi, "csv")));
    expect(e.message).toMatch(/line 3 .*not UTF-8/);
    expect(e.remedy).toMatch(/-Encoding UTF8/);
    const ascii = '"DistinguishedName","Enabled","mobile","SamAccountName"\r\n"CN=H?lo?se","True","+1","h?lo?se"\r\n';
    const q = await failure(readAdCsvFile(file(ascii, "csv")));
    expect(q.message).toMatch(/sAMAccountName "h\?lo\?se" .* holds "\?"/);
    expect(q.remedy).toMatch(/-Encoding UTF8/);
  });

  it("UTF-7 exports are refused with the fix", async () => {
    const e = await failure(readAdCsvFile(file(`+/v8-${header}`, "csv")));
    expect(e.message).toMatch(/UTF-7/);
  });
});
