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

/** Canonical GUID string (lower case, 8-4-4-4-12, .NET byte order) of 16 raw bytes. */
export function guidBytesToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID has 16 bytes, got ${bytes.length}`);
  const x = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString("hex");
  const swap = (a: number, b: number) => {
    let out = "";
    for (let k = b - 2; k >= a; k -= 2) out += x.slice(k, k + 2);
    return out;
  };
  return `${swap(0, 8)}-${swap(8, 12)}-${swap(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
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

/** `onPremisesImmutableId` for an objectGUID given as a string (what `[Convert]::ToBase64String($guid.ToByteArray())` gives). */
export function immutableIdFromGuidString(guid: string): string {
  return guidStringToBytes(guid).toString("base64");
}

/** GUID string of an immutable id whose bytes are 16 long (most are: objectGUID or a GUID-valued consistency GUID). */
export function guidStringFromImmutableId(immutableId: string): string {
  return guidBytesToString(Buffer.from(immutableId, "base64"));
}

/** SDDL string form (`S-1-5-21-…`) of a binary SID. */
export function sidBytesToString(bytes: Uint8Array): string {
  if (bytes.length < 8) throw new RangeError(`a SID has at least 8 bytes, got ${bytes.length}`);
  const revision = bytes[0]!;
  const count = bytes[1]!;
  if (bytes.length !== 8 + 4 * count) {
    throw new RangeError(`SID with ${count} sub-authorities must have ${8 + 4 * count} bytes, got ${bytes.length}`);
  }
  let authority = 0; // 48 bits: exact in a double
  for (let i = 2; i < 8; i++) authority = authority * 256 + bytes[i]!;
  // MS-DTYP: authorities of 2^32 and above are written in hex.
  const auth = authority >= 2 ** 32 ? "0x" + authority.toString(16).toUpperCase().padStart(12, "0") : String(authority);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const subs: string[] = [];
  for (let i = 0; i < count; i++) subs.push(String(view.getUint32(8 + 4 * i, true)));
  return ["S", String(revision), auth, ...subs].join("-");
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
