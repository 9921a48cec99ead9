/**
 * AD identifiers: objectGUID / mS-DS-ConsistencyGuid (16 bytes) and objectSid, between their raw bytes and the
 * strings people and Entra ID use.
 *
 * - GUID strings use Microsoft's (.NET `System.Guid`) byte order: the first three groups are little-endian
 *   (bytes 3-2-1-0, 5-4, 7-6), the last two are in byte order. So the bytes `01 02 03 04 05 06 07 08 09 0a …` read
 *   `04030201-0605-0807-090a-…`. This is what `Get-ADUser` shows as ObjectGUID and what ldbsearch prints.
 * - The immutable id is base64 of the raw bytes as stored in AD (not of the string): what Entra Connect writes to
 *   `onPremisesImmutableId`.
 * - A SID's binary form (MS-DTYP 2.4.2.2): revision (1 byte), sub-authority count (1 byte), identifier authority
 *   (6 bytes, big-endian), then that many 32-bit little-endian sub-authorities.
 */

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** Byte order of a GUID string's groups: the first three little-endian (see the module comment). */
const GUID_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
/** Where each byte's two hex digits sit in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, bytes in GUID_ORDER. */
const GUID_DIGITS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const HEX_DIGIT = Buffer.from("0123456789abcdef", "latin1");

/**
 * The text of GUIDs (and SIDs, below) is written as bytes and read off as one string: readers make one of each per
 * user (docs/benchmarks.md, "A million users"), and a string concatenated piece by piece stays a tree of pieces in V8
 * (a "cons string", several objects) until something flattens it.
 */
const text = Buffer.alloc(36);

/** Canonical GUID string (lower case, 8-4-4-4-12, .NET byte order) of 16 raw bytes. */
export function guidBytesToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID has 16 bytes, got ${bytes.length}`);
  text[8] = text[13] = text[18] = text[23] = 0x2d;
  for (let k = 0; k < 16; k++) {
    const v = bytes[GUID_ORDER[k]!]!;
    const at = GUID_DIGITS[k]!;
    text[at] = HEX_DIGIT[v >>> 4]!;
    text[at + 1] = HEX_DIGIT[v & 15]!;
  }
  return text.toString("latin1", 0, 36);
}

/** True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, optionally in braces, any case. */
export function isGuidString(s: string): boolean {
  return GUID_RE.test(s.trim());
}

/** The 16 raw bytes (as AD stores them) of a GUID string in .NET byte order. */
export function guidStringToBytes(guid: string): Buffer {
  const s = guid.trim();
  if (!GUID_RE.test(s)) throw new SyntaxError(`not a GUID string: ${JSON.stringify(guid)}`);
  const start = s.charCodeAt(0) === 0x7b ? 1 : 0; // "{"
  const b = Buffer.from(
    s.slice(start, start + 8) +
      s.slice(start + 9, start + 13) +
      s.slice(start + 14, start + 18) +
      s.slice(start + 19, start + 23) +
      s.slice(start + 24, start + 36),
    "hex",
  );
  // the first three groups back to little-endian
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** Canonical form of a GUID string (lower case, no braces). */
export function normalizeGuidString(guid: string): string {
  return guidBytesToString(guidStringToBytes(guid));
}

/** base64 of the raw source-anchor bytes: Entra ID's `onPremisesImmutableId`. */
export function immutableIdFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Value of a hex digit's character code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) {
  HEX_VALUE[c.toString(16).charCodeAt(0)] = c;
  HEX_VALUE[c.toString(16).toUpperCase().charCodeAt(0)] = c;
}
const scratch = Buffer.alloc(16);

/** `onPremisesImmutableId` for an objectGUID given as a string (what `[Convert]::ToBase64String($guid.ToByteArray())` gives). */
export function immutableIdFromGuidString(guid: string): string {
  // The canonical form (what the readers make, one per user) is read digit by digit; anything else (braces, spaces)
  // goes through guidStringToBytes and its checks.
  if (guid.length === 36) {
    let ok = guid.charCodeAt(8) === 0x2d && guid.charCodeAt(13) === 0x2d && guid.charCodeAt(18) === 0x2d;
    ok &&= guid.charCodeAt(23) === 0x2d;
    for (let k = 0; ok && k < 16; k++) {
      const at = GUID_DIGITS[k]!;
      const hi = HEX_VALUE[guid.charCodeAt(at)] ?? -1;
      const lo = HEX_VALUE[guid.charCodeAt(at + 1)] ?? -1;
      if (hi < 0 || lo < 0) ok = false;
      else scratch[GUID_ORDER[k]!] = (hi << 4) | lo;
    }
    if (ok) return scratch.toString("base64");
  }
  return guidStringToBytes(guid).toString("base64");
}

/** GUID string of an immutable id whose bytes are 16 long (most are: objectGUID or a GUID-valued consistency GUID). */
export function guidStringFromImmutableId(immutableId: string): string {
  return guidBytesToString(Buffer.from(immutableId, "base64"));
}

/**
 * The SID text is written here (`text` holds GUIDs too). The SIDs of one domain's users differ only in their last
 * sub-authority (the RID), so the text up to it is kept from the SID before when that SID's bytes up to it are the
 * same: a reader then writes only the RID's digits.
 */
const sidText = Buffer.alloc(4096); // a SID of 255 sub-authorities (its count is one byte) fits
const sidHead = new Uint8Array(1028);
let sidHeadBytes = -1;
let sidHeadChars = 0;

/** SDDL string form (`S-1-5-21-…`) of a binary SID. */
export function sidBytesToString(bytes: Uint8Array): string {
  if (bytes.length < 8) throw new RangeError(`a SID has at least 8 bytes, got ${bytes.length}`);
  const revision = bytes[0]!;
  const count = bytes[1]!;
  if (bytes.length !== 8 + 4 * count) {
    throw new RangeError(`SID with ${count} sub-authorities must have ${8 + 4 * count} bytes, got ${bytes.length}`);
  }
  const head = count > 0 ? bytes.length - 4 : bytes.length;
  let same = head === sidHeadBytes;
  for (let i = 0; same && i < head; i++) same = bytes[i] === sidHead[i];
  let at: number;
  if (same) at = sidHeadChars;
  else {
    let authority = 0; // 48 bits: exact in a double
    for (let i = 2; i < 8; i++) authority = authority * 256 + bytes[i]!;
    at = 0;
    sidText[at++] = 0x53; // S
    sidText[at++] = 0x2d;
    at = decimal(sidText, revision, at);
    sidText[at++] = 0x2d;
    // MS-DTYP: authorities of 2^32 and above are written in hex.
    if (authority >= 2 ** 32)
      at += sidText.write(`0x${authority.toString(16).toUpperCase().padStart(12, "0")}`, at, "latin1");
    else at = decimal(sidText, authority, at);
    for (let i = 8; i < head; i += 4) {
      sidText[at++] = 0x2d;
      at = decimal(sidText, subAuthority(bytes, i), at);
    }
    sidHead.set(bytes.subarray(0, head));
    sidHeadBytes = head;
    sidHeadChars = at;
  }
  if (head < bytes.length) {
    sidText[at++] = 0x2d;
    at = decimal(sidText, subAuthority(bytes, head), at);
  }
  return sidText.toString("latin1", 0, at);
}

/** The 32-bit little-endian sub-authority at `i`. */
const subAuthority = (b: Uint8Array, i: number) =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/** Writes the decimal digits of `n` (an integer below 2^32) into `out` at `at`; returns where they end. */
function decimal(out: Buffer, n: number, at: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  let v = n;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}

/** Binary form of an SDDL SID string. */
export function sidStringToBytes(sid: string): Buffer {
  const m = /^S-(\d+)-(0x[0-9a-fA-F]{1,12}|\d+)((?:-\d+)*)$/i.exec(sid.trim());
  if (!m) throw new SyntaxError(`not a SID string: ${JSON.stringify(sid)}`);
  const subs = m[3] ? m[3].slice(1).split("-") : [];
  if (subs.length > 15) throw new RangeError("a SID has at most 15 sub-authorities");
  const out = Buffer.alloc(8 + 4 * subs.length);
  out[0] = Number(m[1]);
  out[1] = subs.length;
  let authority = BigInt(m[2]!);
  if (authority >= 1n << 48n) throw new RangeError("SID identifier authority exceeds 48 bits");
  for (let i = 7; i >= 2; i--) {
    out[i] = Number(authority & 0xffn);
    authority >>= 8n;
  }
  subs.forEach((s, i) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`SID sub-authority out of range: ${s}`);
    out.writeUInt32LE(n, 8 + 4 * i);
  });
  return out;
}

/** True for an SDDL SID string. */
export function isSidString(s: string): boolean {
  try {
    sidStringToBytes(s);
    return true;
  } catch {
    return false;
  }
}

/** userAccountControl flag ACCOUNTDISABLE. */
export const UAC_ACCOUNTDISABLE = 0x2;
/** userAccountControl flag NORMAL_ACCOUNT. */
export const UAC_NORMAL_ACCOUNT = 0x200;
