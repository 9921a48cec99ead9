/**
 * The growth step of the typed-array tables (./packedRecords.ts, ./hashSlots.ts, ./guidSet.ts, the JSON scanner's
 * bracket stack): an array of twice the length holding the same values first. It lives in ad/ as the lowest layer
 * that needs it.
 */
export function doubled<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
