/** DN parsing and comparison (ad/dn.ts): every spelling of the same DN is the same DN, and nothing else is. */
import { describe, expect, it } from "vitest";
import { DnSyntaxError, dnScope, formatDn, isSameOrBelow, type ParsedDn, parseDn, sameDn } from "../../ad/dn";

const DOMAIN = "DC=corp,DC=example,DC=test";

/** [spelling, canonical spelling, a DN that only looks alike] */
const SPELLINGS: [string, string, string][] = [
  [`OU=M\\C3\\BCnchen,${DOMAIN}`, `OU=München,${DOMAIN}`, `OU=Munchen,${DOMAIN}`],
  [`OU=M\\c3\\bcnchen,${DOMAIN}`, `OU=München,${DOMAIN}`, `OU=M\\C3\\BCnchen2,${DOMAIN}`],
  [`OU=R\\26D,${DOMAIN}`, `OU=R&D,${DOMAIN}`, `OU=R\\26E,${DOMAIN}`],
  [`OU = Corp Users , DC = corp ,DC=example, DC=test`, `OU=Corp Users,${DOMAIN}`, `OU=Corp  Users,${DOMAIN}`],
  ["ou=corp users,dc=corp,dc=example,dc=test", `OU=Corp Users,${DOMAIN}`, "ou=corp users,dc=corp,dc=example"],
  [`OU=MÜNCHEN,${DOMAIN}`, `OU=münchen,${DOMAIN}`, `OU=MUNCHEN,${DOMAIN}`],
  [`CN=Smith\\, Ann,OU=Staff,${DOMAIN}`, `CN=Smith\\2C Ann,OU=Staff,${DOMAIN}`, `CN=Smith,CN=Ann,OU=Staff,${DOMAIN}`],
  [`CN=a+UID=b,OU=Staff,${DOMAIN}`, `uid=b + cn=A,OU=Staff,${DOMAIN}`, `CN=a,UID=b,OU=Staff,${DOMAIN}`],
  [`CN=a+UID=b,OU=Staff,${DOMAIN}`, `UID=B+CN=A,OU=Staff,${DOMAIN}`, `CN=a+UID=c,OU=Staff,${DOMAIN}`],
  [
    `CN=\\#h\\+p\\;s\\<l\\>g\\"q\\\\b\\=e,${DOMAIN}`,
    `CN=\\23h\\2Bp\\3Bs\\3Cl\\3Eg\\22q\\5Cb\\3De,${DOMAIN}`,
    `CN=\\#h\\+p\\;s\\<l\\>g\\"q\\\\b\\=f,${DOMAIN}`,
  ],
  [`CN=\\E5\\B1\\B1\\E7\\94\\B0,${DOMAIN}`, `CN=山田,${DOMAIN}`, `CN=\\E5\\B1\\B1,${DOMAIN}`],
  [`CN=\\F0\\9F\\98\\80 x,${DOMAIN}`, `CN=😀 x,${DOMAIN}`, `CN=😀x,${DOMAIN}`],
  [`CN=\\20a\\20,${DOMAIN}`, `CN=\\ a\\ ,${DOMAIN}`, `CN=a,${DOMAIN}`],
  [`CN=  a  ,${DOMAIN}`, `CN=a,${DOMAIN}`, `CN=\\ a,${DOMAIN}`],
  [`OU="R&D, Europe",${DOMAIN}`, `OU=R&D\\, Europe,${DOMAIN}`, `OU=R&D,OU=Europe,${DOMAIN}`],
  [`OU=Staff;DC=corp;DC=example;DC=test`, `OU=Staff,${DOMAIN}`, `OU=Staff;DC=corp;DC=example`],
  [`2.5.4.11=Staff,0.9.2342.19200300.100.1.25=corp`, "OU=Staff,DC=corp", "CN=Staff,DC=corp"],
  ["CN=#0403616263,DC=corp", "CN=abc,DC=corp", "CN=#0403616264,DC=corp"],
  ["CN=ΟΔΟΣ,DC=corp", "cn=οδοσ,dc=corp", "CN=ΟΔΟ,DC=corp"],
];

describe("parseDn: the same DN, however it is spelt", () => {
  it.each(SPELLINGS)("%s is %s", (spelt, canonical) => {
    expect(parseDn(spelt).key).toBe(parseDn(canonical).key);
    expect(sameDn(spelt, canonical)).toBe(true);
    expect(sameDn(canonical, spelt)).toBe(true);
    expect(isSameOrBelow(spelt, canonical)).toBe(true);
    expect(isSameOrBelow(canonical, spelt)).toBe(true);
  });

  it.each(SPELLINGS)("%s is not %s's look-alike %s", (spelt, canonical, other) => {
    for (const dn of [spelt, canonical]) {
      expect(sameDn(dn, other)).toBe(false);
      expect(sameDn(other, dn)).toBe(false);
      expect(dnScope([dn])(formatDn(parseDn(other)))).toBe(-1);
    }
  });

  it("unescapes values and keeps the types as written", () => {
    expect(parseDn("OU = M\\C3\\BCnchen , dc=corp").rdns).toEqual([
      [{ type: "OU", value: "München" }],
      [{ type: "dc", value: "corp" }],
    ]);
    expect(parseDn("CN=a\\,b+UID=\\ x\\ ").rdns).toEqual([
      [
        { type: "CN", value: "a,b" },
        { type: "UID", value: " x " },
      ],
    ]);
    expect(parseDn("").rdns).toEqual([]);
    expect(parseDn("CN=").rdns).toEqual([[{ type: "CN", value: "" }]]);
  });

  it("a DN written as DCs write them has its folded string as key (what the fast scope test relies on)", () => {
    for (const dn of [`CN=Ann,OU=Corp Users,${DOMAIN}`, `CN=Zoë Müller,OU=Staff 01,OU=Corp Users,${DOMAIN}`]) {
      expect(parseDn(dn).key).toBe(dn.toLowerCase());
    }
  });
});

describe("parseDn: malformed DNs", () => {
  const bad: [string, RegExp][] = [
    ["this is not a DN", /"=" expected after this/],
    ["OU=Staff,", /ends with a separator/],
    [",OU=Staff", /attribute type .* is missing/],
    ["OU=Staff,,DC=x", /attribute type .* is missing/],
    ["=Staff", /attribute type .* is missing/],
    ["O_U=Staff", /"O_U" is not an attribute type/],
    ["OU=Staff\\", /lone backslash/],
    ["OU=Sta\\zzff", /\\z is not an escape/],
    ["OU=M\\C3nchen", /not valid UTF-8/],
    ["OU=a<b", /unescaped "<"/],
    ['OU="open,DC=x', /quoted value is not closed/],
    ['OU="a"b,DC=x', /"," expected after the value/],
    ["CN=#zz", /"," expected|even number of hex digits/],
    ["CN=#040361", /not one BER element/],
    ["CN=#020105", /BER tag 0x2 is not text/],
  ];
  it.each(bad)("%s: %s", (dn, problem) => {
    let err: unknown;
    try {
      parseDn(dn);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DnSyntaxError);
    expect((err as DnSyntaxError).problem).toMatch(problem);
    expect((err as Error).message).toContain(JSON.stringify(dn));
    expect((err as DnSyntaxError).position).toBeGreaterThanOrEqual(0);
    expect((err as DnSyntaxError).position).toBeLessThanOrEqual(dn.length);
  });
});

describe("formatDn: RFC 4514's string form, as sent to the DC", () => {
  it.each([
    ["OU = M\\C3\\BCnchen , DC = corp", "OU=München,DC=corp"],
    ["ou=R\\26D,dc=corp", "ou=R&D,dc=corp"],
    ['OU="R&D, Europe";DC=corp', "OU=R&D\\, Europe,DC=corp"],
    ["CN=\\ a\\ ,DC=corp", "CN=\\ a\\ ,DC=corp"],
    ["CN=\\20,DC=corp", "CN=\\ ,DC=corp"],
    ["CN=a\\5c\\20,DC=corp", "CN=a\\\\\\ ,DC=corp"],
    ["CN=\\#1+UID=x\\=y,DC=corp", "CN=\\#1+UID=x\\=y,DC=corp"],
    ["2.5.4.11=Staff,0.9.2342.19200300.100.1.25=corp", "OU=Staff,DC=corp"],
    ["CN=#0403616263", "CN=abc"],
  ])("%s → %s", (given, wire) => {
    expect(formatDn(parseDn(given))).toBe(wire);
    expect(parseDn(wire).key).toBe(parseDn(given).key);
  });

  it("round-trips every spelling above to the same DN", () => {
    for (const [spelt, canonical] of SPELLINGS) {
      expect(parseDn(formatDn(parseDn(spelt))).key).toBe(parseDn(canonical).key);
    }
  });
});

describe("dnScope: which base an entry lies in", () => {
  const bases = [`OU=Corp Users,${DOMAIN}`, `OU = R\\26D , ${DOMAIN}`, `OU=M\\C3\\BCnchen,${DOMAIN}`];
  const entries: [string, number][] = [
    [`CN=Ann,OU=Corp Users,${DOMAIN}`, 0],
    [`OU=Corp Users,${DOMAIN}`, 0],
    [`cn=ann,ou=corp users,dc=CORP,dc=example,dc=test`, 0],
    [`CN=Ann, OU=Corp Users, DC=corp, DC=example, DC=test`, 0],
    [` CN=Ann ,OU=Corp Users ,${DOMAIN} `, 0],
    [`CN=Smith\\, Ann,OU=Corp Users,${DOMAIN}`, 0],
    [`CN=x\\\\,OU=Corp Users,${DOMAIN}`, 0], // an escaped backslash, then a real comma
    [`CN=x\\,OU=Corp Users,${DOMAIN}`, -1], // one RDN, "x,OU=Corp Users", under the domain
    [`CN=Ann,OU=Corp Users2,${DOMAIN}`, -1],
    [`CN=Ann,OU=Xcorp Users,${DOMAIN}`, -1],
    [`CN=Ann,OU=Corp Users,DC=corp,DC=example`, -1],
    [`CN=Ann,OU=Other,${DOMAIN}`, -1],
    [DOMAIN, -1],
    [`CN=Bo,OU=R&D,${DOMAIN}`, 1],
    [`CN=Bo,OU=r&d,${DOMAIN}`, 1],
    [`CN=Bo,OU=R\\26D,${DOMAIN}`, 1],
    [`CN=Bo,OU=R&D Labs,${DOMAIN}`, -1],
    [`CN=Zoë,OU=München,${DOMAIN}`, 2],
    [`CN=Zoë,OU=MÜNCHEN,${DOMAIN}`, 2],
    [`CN=Zo\\C3\\AB,OU=M\\C3\\BCnchen,${DOMAIN}`, 2],
    [`CN=a+UID=b,OU=München,${DOMAIN}`, 2],
    [`CN=Zoë,OU=Munchen,${DOMAIN}`, -1],
    [`CN=x,2.5.4.11=Corp Users,${DOMAIN}`, 0],
  ];
  const scope = dnScope(bases);
  const parsedBases: ParsedDn[] = bases.map(parseDn);

  it.each(entries)("%s → base %i", (dn, want) => {
    expect(scope(dn)).toBe(want);
    // the fast path (folded string) and the full parse agree
    expect(parsedBases.findIndex((b) => isSameOrBelow(dn, b))).toBe(want);
  });

  it("throws DnSyntaxError for an entry DN that does not parse (never a silent out of scope)", () => {
    expect(() => scope(`CN=a\\zz,OU=Corp Users,${DOMAIN}`)).toThrow(DnSyntaxError);
  });

  it("the empty DN holds every DN", () => {
    expect(dnScope([""])(`CN=x,${DOMAIN}`)).toBe(0);
  });
});
