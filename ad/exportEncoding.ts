/**
 * Reading an AD export's text: the encoding told by the BOM (sniff), the text decoded strictly (decodedText, an error
 * naming the line rather than U+FFFD), and lines with a cap on their length (boundedLines). Both export readers
 * (ldifFileSource.ts, csvFileSource.ts) use it; UTF-8 LDIF is read from its bytes instead (ldifBytesParser.ts).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { AdReadError } from "./errors";
import { firstInvalidUtf8 } from "./ldifBytesParser";
import { LineTooLongError } from "./ldifRecords";

/** Why a file is not UTF-8, most of the time. */
export const NOT_UTF8_CAUSE =
  "the file was written in another encoding (Windows PowerShell 5.1's -Encoding Default/OEM writes the ANSI/OEM code page)";

export type Encoding = "utf8" | "utf16le" | "utf16be";

export const REEXPORT_UTF8 =
  "Export again as UTF-8: Export-Csv -Encoding UTF8 (PowerShell 7: utf8BOM or utf8), ldifde writes ASCII/base64 by default, ldapsearch writes UTF-8";

/** Reads the first bytes to tell the encoding (by BOM) and returns the first decoded lines. */
export async function sniff(
  path: string,
): Promise<{ encoding: Encoding; bomBytes: number; headLines: string[]; size: number }> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AdReadError(
      "AD_BAD_EXPORT",
      path,
      `cannot open the export file (${code})`,
      "Check the path and permissions",
      {
        cause: e,
      },
    );
  }
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    let encoding: Encoding = "utf8";
    let bomBytes = 0;
    const b = (i: number) => head[i] ?? -1;
    // UTF-32 first: its little-endian BOM starts like UTF-16's (FF FE).
    if (
      (b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) ||
      (b(0) === 0 && b(1) === 0 && b(2) === 0xfe && b(3) === 0xff)
    ) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file is UTF-32 (Export-Csv -Encoding UTF32), which syncgap does not read",
        REEXPORT_UTF8,
      );
    }
    // UTF-7's BOM (+/v8, +/v9, +/v+, +/v/): Windows PowerShell 5.1's -Encoding UTF7.
    if (b(0) === 0x2b && b(1) === 0x2f && b(2) === 0x76 && [0x38, 0x39, 0x2b, 0x2f].includes(b(3))) {
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file is UTF-7 (Export-Csv -Encoding UTF7), which syncgap does not read",
        REEXPORT_UTF8,
      );
    }
    if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf) bomBytes = 3;
    else if (b(0) === 0xff && b(1) === 0xfe) {
      encoding = "utf16le";
      bomBytes = 2;
    } else if (b(0) === 0xfe && b(1) === 0xff) {
      encoding = "utf16be";
      bomBytes = 2;
    } else if (head.subarray(0, 512).includes(0)) {
      // No export of text holds NUL; in the first bytes it means UTF-16 without its BOM, or not a text file at all.
      throw new AdReadError(
        "AD_BAD_EXPORT",
        path,
        "the file holds NUL bytes: it is UTF-16 without a byte order mark, or not a text export",
        `${REEXPORT_UTF8} (or as UTF-16 with its BOM: -Encoding Unicode, ldifde -u)`,
      );
    }
    const body = head.subarray(bomBytes);
    const text = encoding === "utf16be" ? swap16(body).toString("utf16le") : body.toString(encoding);
    return { encoding, bomBytes, headLines: text.split(/\r?\n/, 2), size };
  } finally {
    await fh.close();
  }
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  out.swap16();
  return out;
}

/** Line (1-based) of a byte offset: counts line feeds before it. Only on the error path. */
async function lineAtOffset(path: string, encoding: Encoding, offset: number): Promise<number> {
  let line = 1;
  let pos = 0;
  const step = encoding === "utf8" ? 1 : 2;
  const lf = encoding === "utf16be" ? 1 : 0; // index of 0x0A within a UTF-16 code unit
  for await (const chunk of createReadStream(path, { end: Math.max(0, offset - 1) }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      if (step === 1 || (pos + i) % 2 === lf) line++;
    }
    pos += chunk.length;
  }
  return line;
}

/** What the decoder saw: whether the text ended with a line break, how many characters came. */
export interface DecodeState {
  endsWithNewline: boolean;
  chars: number;
}

/**
 * The file's text in its encoding, BOM removed, in chunks. Bytes that do not decode are an error naming the line,
 * never U+FFFD (which would turn a number or a name into something else without a word).
 */
export async function* decodedText(
  path: string,
  encoding: Encoding,
  bomBytes: number,
  state: DecodeState,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding === "utf8" ? "utf-8" : encoding === "utf16le" ? "utf-16le" : "utf-16be", {
    fatal: true,
    ignoreBOM: true,
  });
  let offset = bomBytes;
  const emit = (s: string) => {
    if (s.length) {
      state.chars += s.length;
      state.endsWithNewline = s.charCodeAt(s.length - 1) === 0x0a;
    }
    return s;
  };
  for await (const chunk of createReadStream(path, {
    start: bomBytes,
    highWaterMark: 65536,
  }) as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (e) {
      const at = offset + (encoding === "utf8" ? firstInvalidUtf8(chunk) : 0);
      const line = await lineAtOffset(path, encoding, at);
      throw new AdReadError(
        "AD_BAD_EXPORT",
        `${path}:${line}`,
        encoding === "utf8"
          ? `bytes at line ${line} (offset ${at}) are not UTF-8: ${NOT_UTF8_CAUSE}`
          : `the file is not valid ${encoding === "utf16le" ? "UTF-16LE" : "UTF-16BE"} near line ${line} (a lone surrogate or a cut code unit)`,
        REEXPORT_UTF8,
        { cause: e },
      );
    }
    offset += chunk.length;
    if (text) yield emit(text);
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (e) {
    throw new AdReadError(
      "AD_BAD_EXPORT",
      path,
      "the file ends in the middle of a character: it was cut",
      "Export again and copy the whole file",
      { cause: e },
    );
  }
  if (rest) yield emit(rest);
}

/**
 * Splits text chunks into lines (without the LF; a CR stays for the parser to drop), a chunk's lines at a time, and
 * refuses a line longer than
 * `max` as soon as it passes the cap: at most `max` characters of one line are ever held, whatever the file holds.
 * Exported for the tests.
 */
export async function* boundedLines(chunks: AsyncIterable<string>, max: number): AsyncGenerator<string[]> {
  let carry = "";
  let line = 0;
  for await (const chunk of chunks) {
    const out: string[] = [];
    let pos = 0;
    for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", pos)) {
      line++;
      if (carry.length + nl - pos > max + 1) throw new LineTooLongError(line, max);
      out.push(carry ? carry + chunk.slice(pos, nl) : chunk.slice(pos, nl));
      carry = "";
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      if (carry.length + chunk.length - pos > max + 1) throw new LineTooLongError(line + 1, max);
      carry += chunk.slice(pos);
    }
    if (out.length) yield out;
  }
  if (carry) yield [carry];
}
