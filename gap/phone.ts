/**
 * Phone numbers: normalisation to E.164 with libphonenumber-js, to tell "the same number written differently"
 * (FormatOnly) from "a different number" (ValueMismatch).
 *
 * Entra Connect copies AD's `mobile` to `mobilePhone` verbatim, so only identical strings are in sync; two spellings
 * of one number are a gap that AD authority would rewrite. Rules:
 * - libphonenumber-js parses with the default region for numbers without a country code;
 * - a leading `00` (the ITU international prefix most of the world dials) is read as `+` when the number does not
 *   parse as a valid national number of the default region (e.g. `0043 664 1234567` with region US);
 * - an extension (`x123`, `ext. 7`) is part of the number's identity: `+14255550100;ext=123`;
 * - text that is no phone number at all falls back to its characters without spaces and `()-./` (case-folded), so
 *   `N/A` and `n/a` are FormatOnly but `N/A` and `TBD` are a ValueMismatch.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";

export interface NormalizedPhone {
  /** E.164, plus `;ext=N` when there is an extension. */
  key: string;
  /** E.164 without extension, for the report; undefined when the text is no phone number. */
  e164?: string;
}

export function assertRegion(region: string): CountryCode {
  const r = region.toUpperCase();
  if (!isSupportedCountry(r)) {
    throw new RangeError(
      `default region "${region}" is not an ISO 3166-1 alpha-2 code libphonenumber-js knows (e.g. US, GB, DE)`,
    );
  }
  return r as CountryCode;
}

function parse(text: string, region: CountryCode) {
  try {
    return parsePhoneNumberFromString(text, { defaultCountry: region });
  } catch {
    return undefined;
  }
}

/**
 * Normalises numbers for one default region. Only numbers that differ as text get here (and the report's E.164
 * columns), so there is no cache: parsing costs microseconds, and a cache of every number of a large directory costs
 * more memory than it saves time. `isValid()` (the expensive check against the full metadata) runs only to decide a
 * leading `00`.
 */
export class PhoneNormalizer {
  readonly region: CountryCode;

  constructor(region = "US") {
    this.region = assertRegion(region);
  }

  normalize(raw: string): NormalizedPhone {
    const text = raw.trim();
    let p = parse(text, this.region);
    if (/^00[1-9]/.test(text.replace(/[\s().-]/g, "")) && !p?.isValid()) {
      const alt = parse(`+${text.replace(/^[\s().-]*0\s*0/, "")}`, this.region);
      if (alt?.isValid() || (alt && !p)) p = alt;
    }
    if (p) {
      return { key: p.ext ? `${p.number};ext=${p.ext}` : p.number, e164: p.number };
    }
    return { key: `text:${text.replace(/[\s().\-/]/g, "").toLowerCase()}` };
  }

  /** E.164 of a number (undefined when it is not a phone number). */
  e164(raw: string | null | undefined): string | null {
    if (!raw?.trim()) return null;
    return this.normalize(raw).e164 ?? null;
  }

  /** True when two non-empty spellings denote the same number. */
  same(a: string, b: string): boolean {
    return this.normalize(a).key === this.normalize(b).key;
  }
}

/** Empty means absent, empty or only whitespace: AD cannot hold an empty value, Graph returns null. */
export function isEmptyPhone(v: string | null | undefined): boolean {
  return v === null || v === undefined || v.trim() === "";
}
