import { describe, expect, it } from "vitest";
import { immutableIdFromGuidString } from "../../ad/ids";
import { joinAndClassify, parentDn } from "../../gap/join";
import { PhoneNormalizer } from "../../gap/phone";
import type { AdRecord } from "../../gap/records/ad";
import { toAdRecord } from "../../gap/records/ad";
import type { EntraUser } from "../../gap/types";
import { adUser, craftedDirectory, entraTwin, ONE_GAP_PER_CATEGORY } from "../support/gapUsers";
import { referenceJoin } from "../support/referenceJoin";

const phones = new PhoneNormalizer("US");
const join = (ad: Parameters<typeof toAdRecord>[0][], entra: EntraUser[], inSync = true) =>
  joinAndClassify(ad.map(toAdRecord), entra, phones, inSync);

describe("join and classify", () => {
  it("puts each crafted user in its category", () => {
    const { ad, entra, expect: want } = craftedDirectory();
    const out = join(ad, entra);
    const got = Object.fromEntries(out.rows.map((r) => [r.userPrincipalName, r.category]));
    expect(got).toEqual(want);
    expect(out.counts).toEqual({ ...ONE_GAP_PER_CATEGORY, InSync: 2 });
    expect(out.matched).toBe(6);
  });

  it("lists only users out of sync unless asked for all", () => {
    const { ad, entra } = craftedDirectory();
    const out = join(ad, entra, false);
    expect(out.rows.map((r) => r.category)).not.toContain("InSync");
    expect(out.rows).toHaveLength(6);
    expect(out.counts.InSync).toBe(2);
  });

  it("carries AD otherMobile into rows and fills E.164 columns", () => {
    const { ad, entra } = craftedDirectory();
    const rows = join(ad, entra).rows;
    const nie = rows.find((r) => r.category === "NotInEntra");
    expect(nie?.adOtherMobile).toEqual(["+14255550205", "+1 425 555 0305"]);
    const fmt = rows.find((r) => r.category === "FormatOnly");
    expect(fmt).toMatchObject({
      adMobile: "+1 425 555 0103",
      entraMobile: "+14255550103",
      adMobileE164: "+14255550103",
      entraMobileE164: "+14255550103",
    });
    expect(rows.find((r) => r.category === "MissingInEntra")?.syncGap).toBe("Missing in Entra");
    expect(rows.find((r) => r.category === "ValueMismatch")?.syncGap).toBe("Value Mismatch");
  });

  it("matches on onPremisesImmutableId first (consistency GUID as source anchor)", () => {
    const cg = "5b1ed3a2-9c4f-4e1b-8a47-2f0c9d6e7a31";
    const a = adUser({ consistencyGuid: cg, immutableId: immutableIdFromGuidString(cg) });
    const e = entraTwin(a, {
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      userPrincipalName: "other@x.test",
      onPremisesUserPrincipalName: null,
    });
    expect(join([a], [e]).rows[0]).toMatchObject({ category: "InSync", matchedBy: "immutableId" });
  });

  it("accepts the objectGUID-based anchor when a consistency GUID was written later", () => {
    const a = adUser();
    const cg = "0c6f2d8e-41b7-4a3c-9e55-d1f0a2b3c4d5";
    const withCg = { ...a, consistencyGuid: cg, immutableId: immutableIdFromGuidString(cg) };
    const e = entraTwin(a, {
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      onPremisesUserPrincipalName: null,
      userPrincipalName: "z@x.test",
    });
    expect(join([withCg], [e]).rows[0].matchedBy).toBe("immutableId");
  });

  it("derives the anchor from objectGUID when the reader gave no immutableId", () => {
    const a = adUser({ immutableId: undefined });
    const e = entraTwin(adUser({}, 77), {
      onPremisesImmutableId: immutableIdFromGuidString(a.objectGuid as string),
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      onPremisesUserPrincipalName: null,
    });
    expect(join([a], [e]).rows[0].matchedBy).toBe("immutableId");
  });

  it("falls back to objectSid, then sAMAccountName, then UPN — and records which", () => {
    const bySid = adUser();
    const bySam = adUser();
    const byUpn = adUser();
    const entra = [
      entraTwin(bySid, { onPremisesImmutableId: "bm90LWluLWFk" }),
      entraTwin(bySam, { onPremisesImmutableId: null, onPremisesSecurityIdentifier: null }),
      entraTwin(byUpn, {
        onPremisesImmutableId: null,
        onPremisesSecurityIdentifier: null,
        onPremisesSamAccountName: null,
      }),
    ];
    const rows = join([bySid, bySam, byUpn], entra).rows;
    expect(Object.fromEntries(rows.map((r) => [r.adSamAccountName, r.matchedBy]))).toEqual({
      [bySid.sAMAccountName as string]: "objectSid",
      [bySam.sAMAccountName as string]: "samAccountName",
      [byUpn.sAMAccountName as string]: "userPrincipalName",
    });
  });

  it("matches UPNs case-insensitively and through onPremisesUserPrincipalName when the suffix was rewritten", () => {
    const a = adUser({ userPrincipalName: "Grace.Hall@legacy.example.test" });
    const e = entraTwin(a, {
      onPremisesImmutableId: null,
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      userPrincipalName: "Grace.Hall@contoso.onmicrosoft.com",
      onPremisesUserPrincipalName: "grace.hall@LEGACY.example.test",
    });
    const row = join([a], [e]).rows[0];
    expect(row).toMatchObject({
      matchedBy: "userPrincipalName",
      userPrincipalName: "Grace.Hall@contoso.onmicrosoft.com",
    });
  });

  it("does not match on UPN alone when the suffix was rewritten and nothing else links them", () => {
    const a = adUser({ userPrincipalName: "zed@legacy.example.test" });
    const e = entraTwin(a, {
      onPremisesImmutableId: null,
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      onPremisesUserPrincipalName: null,
      userPrincipalName: "zed@contoso.onmicrosoft.com",
    });
    expect(
      join([a], [e])
        .rows.map((r) => r.category)
        .sort(),
    ).toEqual(["NotInAD", "NotInEntra"]);
  });

  it("lets a stronger key win even when a weaker key points elsewhere", () => {
    const x = adUser();
    const y = adUser();
    // Entra user 1 has y's sAMAccountName but x's anchor; Entra user 2 is y's twin.
    const e1 = entraTwin(x, { onPremisesSamAccountName: y.sAMAccountName });
    const e2 = entraTwin(y);
    const out = join([x, y], [e1, e2]);
    expect(out.matchedBy.immutableId).toBe(2);
    expect(out.rows.every((r) => r.category === "InSync")).toBe(true);
  });

  it("never matches one AD user twice", () => {
    const a = adUser();
    const e1 = entraTwin(a);
    const e2 = {
      ...entraTwin(a),
      id: "second",
      onPremisesImmutableId: null,
      onPremisesSecurityIdentifier: null,
      userPrincipalName: "dup@x.test",
    };
    const out = join([a], [e1, e2]);
    expect(out.matched).toBe(1);
    expect(out.rows.find((r) => r.entraId === "second")?.category).toBe("NotInAD");
  });

  it("does not match on a key two AD users share (same sAMAccountName in two domains)", () => {
    const a = adUser({ sAMAccountName: "jdoe", distinguishedName: "CN=jdoe,DC=emea,DC=corp" });
    const b = adUser({ sAMAccountName: "jdoe", distinguishedName: "CN=jdoe,DC=amer,DC=corp" });
    const e = entraTwin(a, {
      onPremisesImmutableId: null,
      onPremisesSecurityIdentifier: null,
      onPremisesUserPrincipalName: null,
      userPrincipalName: "jdoe@x.test",
    });
    const out = join([a, b], [e]);
    expect(out.matched).toBe(0);
  });

  it("does not match on a source anchor two AD users share, and falls back to the weaker keys", () => {
    const a = adUser({}, 1);
    const b = adUser({ immutableId: a.immutableId }, 2); // a copied mS-DS-ConsistencyGuid
    const out = join([a, b], [entraTwin(a), entraTwin(b)]);
    expect(out.matched).toBe(2);
    expect(out.matchedBy).toMatchObject({ immutableId: 0, objectSid: 2 });
    // one AD user's objectGUID-based anchor that is another's source anchor is shared too
    const c = adUser({ immutableId: immutableIdFromGuidString(b.objectGuid as string) }, 3);
    const again = join(
      [b, c],
      [{ ...entraTwin(c), onPremisesSecurityIdentifier: null, onPremisesSamAccountName: null }],
    );
    expect(again.matchedBy).toMatchObject({ immutableId: 0, userPrincipalName: 1 });
  });

  it("compares numbers as written, also beyond ASCII, and no number on both sides is in sync", () => {
    const a = adUser({ mobile: "+33 6 12 34 56 78 (bureau ☎)" }, 1);
    const b = adUser({ mobile: undefined }, 2);
    const c = adUser({ mobile: "+33 6 12 34 56 78" }, 3);
    const out = join(
      [a, b, c],
      [entraTwin(a), { ...entraTwin(b), mobilePhone: null }, { ...entraTwin(c), mobilePhone: "+33 6 12 34 56 79" }],
    );
    expect(out.counts).toMatchObject({ InSync: 2, ValueMismatch: 1 });
  });

  it("names unmatched AD users by UPN, else sAMAccountName, else DN", () => {
    const noUpn = adUser({ userPrincipalName: undefined, sAMAccountName: "sybil.nash" });
    const nothing = adUser({
      userPrincipalName: undefined,
      sAMAccountName: undefined,
      distinguishedName: "CN=Ghost,DC=corp",
    });
    const names = join([noUpn, nothing], []).rows.map((r) => r.userPrincipalName);
    expect(names.sort()).toEqual(["CN=Ghost,DC=corp", "sybil.nash"]);
  });

  it("a cloud-managed user whose number differs is CloudManaged, not ValueMismatch or MissingInEntra", () => {
    const a = adUser();
    const b = adUser();
    const c = adUser();
    const out = join(
      [a, b, c],
      [
        entraTwin(a, { mobilePhone: "+1 206 555 0100", cloudManaged: true }),
        entraTwin(b, { mobilePhone: null, cloudManaged: true }),
        entraTwin(c, { cloudManaged: true }), // same number: in sync, whoever manages it
      ],
    );
    expect(out.counts).toMatchObject({ CloudManaged: 2, ValueMismatch: 0, MissingInEntra: 0, InSync: 1 });
    expect(out.rows.filter((r) => r.category !== "InSync").map((r) => r.category)).toEqual([
      "CloudManaged",
      "CloudManaged",
    ]);
    expect(out.matched).toBe(3);
  });

  it("sorts rows by category, then user", () => {
    const { ad, entra } = craftedDirectory();
    const cats = join(ad, entra).rows.map((r) => r.category);
    expect(cats).toEqual([
      "MissingInEntra",
      "ValueMismatch",
      "CloudOnly",
      "FormatOnly",
      "NotInAD",
      "NotInEntra",
      "InSync",
      "InSync",
    ]);
  });

  it("joins 100k users per side with hash maps (a quadratic join would not finish)", () => {
    const ad = Array.from({ length: 100_000 }, (_, i) => adUser({}, 1_000_000 + i));
    const entra = ad.map((a, i) => entraTwin(a, i % 3 === 0 ? { onPremisesImmutableId: null } : {}));
    const records = ad.map(toAdRecord);
    // Not a benchmark (bench/gap-vs-seed.ts is): a quadratic join would run into the test timeout here.
    const out = joinAndClassify(records, entra, phones);
    expect(out.matched).toBe(100_000);
    expect(out.matchedBy.objectSid).toBe(33_334);
  });
});

describe("department and ou", () => {
  it("takes AD's department, else Entra's, and the AD user's container, else Entra's", () => {
    const both = adUser({ department: "Sales", distinguishedName: "CN=Ann,OU=Sales,OU=EMEA,DC=corp,DC=test" });
    const adOnlyDept = adUser({ distinguishedName: "CN=Bob,OU=IT,DC=corp,DC=test" });
    const cloudDept = adUser({ department: undefined });
    const rows = join(
      [both, adOnlyDept, cloudDept],
      [
        entraTwin(both, { department: "Cloud Sales", onPremisesDistinguishedName: "CN=Ann,OU=Stale,DC=corp,DC=test" }),
        entraTwin(adOnlyDept, { department: null }),
        entraTwin(cloudDept, { department: "Finance" }),
      ],
    ).rows;
    const by = (upn: string | undefined) => rows.find((r) => r.userPrincipalName === upn);
    expect(by(both.userPrincipalName)).toMatchObject({ department: "Sales", ou: "OU=Sales,OU=EMEA,DC=corp,DC=test" });
    expect(by(adOnlyDept.userPrincipalName)).toMatchObject({ department: null, ou: "OU=IT,DC=corp,DC=test" });
    expect(by(cloudDept.userPrincipalName)).toMatchObject({ department: "Finance" });
  });

  it("derives an Entra-only user's container from onPremisesDistinguishedName, null without a DN", () => {
    const lonely = entraTwin(adUser(), {
      id: "e-lonely",
      onPremisesImmutableId: "bm90LWluLWFk",
      onPremisesSecurityIdentifier: null,
      onPremisesSamAccountName: null,
      onPremisesUserPrincipalName: null,
      userPrincipalName: "lonely@corp.example.test",
      onPremisesDistinguishedName: "CN=Lonely,OU=Gone,DC=corp,DC=test",
      department: "Legal",
    });
    const noDn = { ...lonely, id: "e-nodn", userPrincipalName: "nodn@x.test", onPremisesDistinguishedName: null };
    const rows = join([], [lonely, noDn]).rows;
    expect(rows.find((r) => r.entraId === "e-lonely")).toMatchObject({
      category: "NotInAD",
      department: "Legal",
      ou: "OU=Gone,DC=corp,DC=test",
    });
    expect(rows.find((r) => r.entraId === "e-nodn")?.ou).toBeNull();
  });

  it.each([
    ["CN=Ann,OU=Sales,DC=corp", "OU=Sales,DC=corp"],
    // An escaped comma is part of the name, not a separator (RFC 4514 section 2.4).
    ["CN=Doe\\, Ann,OU=Sales,DC=corp", "OU=Sales,DC=corp"],
    ["CN=a\\2Cb,OU=R\\26D,DC=corp", "OU=R&D,DC=corp"],
    ['CN="Doe, Ann",OU=Sales,DC=corp', "OU=Sales,DC=corp"],
    ["CN=Ann;OU=Sales;DC=corp", "OU=Sales,DC=corp"],
    ["CN=Ann, OU=Sales,DC=corp", "OU=Sales,DC=corp"],
    ["DC=corp", null],
    ["", null],
    [null, null],
    ["CN=bad\\", null],
  ])("parentDn(%j) is %j", (dn, parent) => {
    expect(parentDn(dn)).toBe(parent);
  });
});

describe("join and classify against the plain reference join", () => {
  /** A small PRNG, so that a failure repeats. */
  const prng = (seed: number) => () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed ^ (seed >>> 13)) >>> 0) / 2 ** 32;
  };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("gives the same pairs and categories on random directory %i", (seed) => {
    const r = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const maybe = <T>(p: number, v: T): T | undefined => (r() < p ? v : undefined);
    // small pools, so that values repeat: shared anchors, SIDs, names; numbers written in several ways
    const anchors = Array.from({ length: 90 }, (_, i) => `anchor${i}==`);
    const names = ["jdoe", "JDoe", "zoë", "ZOË", "ann", "bob", "eve", "Ωmega"];
    const numbers = [undefined, null, "", " ", "+14255550100", "+1 425 555 0100", "+4930123456", "+33 6 12 34 56 78 ☎"];
    const ad: AdRecord[] = Array.from({ length: 120 }, (_, j) => ({
      dn: `CN=U${j},OU=${pick(["A", "B"])},DC=corp`,
      upn: maybe(0.8, `${pick(names)}${Math.floor(r() * 20)}@corp.test`),
      sam: maybe(0.8, `${pick(names)}${Math.floor(r() * 30)}`),
      mobile: pick(numbers) ?? undefined,
      otherMobile: [],
      immutableId: maybe(0.85, pick(anchors)),
      guidImmutableId: maybe(0.2, pick(anchors)),
      sid: maybe(0.7, `S-1-5-21-${Math.floor(r() * 60)}`),
      enabled: r() < 0.9,
    }));
    const entra: EntraUser[] = Array.from({ length: 130 }, (_, i) => {
      const twin = r() < 0.7 ? pick(ad) : undefined;
      const upn = `${pick(names)}${Math.floor(r() * 20)}@corp.test`;
      return {
        id: `e${i}`,
        userPrincipalName: r() < 0.5 && twin?.upn ? twin.upn.toUpperCase() : upn,
        mobilePhone: pick(numbers),
        onPremisesImmutableId: r() < 0.8 ? (twin?.immutableId ?? pick(anchors)) : null,
        onPremisesSecurityIdentifier: r() < 0.7 ? (twin?.sid?.toLowerCase() ?? null) : null,
        onPremisesSamAccountName: r() < 0.7 ? (twin?.sam ?? pick(names)) : null,
        onPremisesUserPrincipalName: maybe(0.5, twin?.upn ?? upn) ?? null,
        onPremisesSyncEnabled: true,
        ...(r() < 0.1 ? { cloudManaged: true } : {}),
      };
    });
    const got = joinAndClassify(ad, entra, phones, true);
    const want = referenceJoin(ad, entra, phones);
    const key = (p: { entraId: string | null; adDn: string | null; category: string; matchedBy: string | null }) =>
      `${p.entraId}|${p.adDn}|${p.category}|${p.matchedBy}`;
    expect(got.rows.map((row) => key({ ...row, adDn: row.adDistinguishedName })).sort()).toEqual(want.map(key).sort());
    // the draw gives every key and most categories something to do
    expect(Object.values(got.matchedBy).filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(Object.values(got.counts).filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
  });
});
