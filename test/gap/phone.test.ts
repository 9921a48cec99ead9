import { describe, expect, it } from "vitest";
import { classifyPair } from "../../gap/join";
import { isEmptyPhone, PhoneNormalizer } from "../../gap/phone";

describe("phone normalisation", () => {
  const us = new PhoneNormalizer("US");

  it("normalises spellings of one number to the same E.164", () => {
    for (const s of [
      "+1 425 555 0100",
      "(425) 555-0100",
      "+1-425-555-0100",
      "425.555.0100",
      "+14255550100",
      " +14255550100 ",
    ]) {
      expect(us.e164(s), s).toBe("+14255550100");
    }
  });

  it("reads a leading 00 as the international prefix when the number is not national", () => {
    expect(us.e164("0043 664 1234567")).toBe("+436641234567");
    expect(new PhoneNormalizer("DE").e164("0043 664 1234567")).toBe("+436641234567");
  });

  it("uses the default region for national numbers", () => {
    expect(new PhoneNormalizer("GB").e164("07700 900123")).toBe("+447700900123");
    expect(new PhoneNormalizer("gb").region).toBe("GB");
  });

  it("keeps the extension as part of the number", () => {
    expect(us.same("+1 425 555 0100 x123", "+14255550100 ext. 123")).toBe(true);
    expect(us.same("+1 425 555 0100 x123", "+14255550100")).toBe(false);
  });

  it("compares text that is no phone number by its characters", () => {
    expect(us.e164("N/A")).toBeNull();
    expect(us.same("N/A", "n/a")).toBe(true);
    expect(us.same("N/A", "TBD")).toBe(false);
  });

  it("refuses an unknown region", () => {
    expect(() => new PhoneNormalizer("XX")).toThrow(/not an ISO 3166-1 alpha-2 code/);
  });

  it("treats absent, empty and blank as empty", () => {
    expect([undefined, null, "", "   "].every(isEmptyPhone)).toBe(true);
    expect(isEmptyPhone("+1")).toBe(false);
  });
});

describe("classifyPair", () => {
  const p = new PhoneNormalizer("US");
  it.each([
    ["+14255550100", "+14255550100", "InSync"],
    [undefined, null, "InSync"],
    ["  ", null, "InSync"],
    ["+14255550100", null, "MissingInEntra"],
    ["+14255550100", "", "MissingInEntra"],
    [undefined, "+14255550100", "CloudOnly"],
    ["+14255550100", "+14255550199", "ValueMismatch"],
    ["+1 425 555 0100", "+14255550100", "FormatOnly"],
    ["(425) 555-0100", "+1 425 555 0100", "FormatOnly"],
    ["+14255550100 ", "+14255550100", "FormatOnly"],
    ["+44 7700 900123", "+1 7700 900123", "ValueMismatch"],
  ] as const)("AD %j, Entra %j → %s", (ad, entra, category) => {
    expect(classifyPair(ad, entra, p)).toBe(category);
  });
});
