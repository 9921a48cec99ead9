import { describe, expect, it } from "vitest";
import { type AdRecord, AdRecords, toAdRecord } from "../../../gap/records/ad";
import { adUser, guid, sid } from "../../support/gapUsers";

describe("toAdRecord", () => {
  it("keeps a malformed GUID user matchable by other keys", () => {
    const r = toAdRecord(adUser({ immutableId: undefined, objectGuid: "not-a-guid" }));
    expect(r.immutableId).toBeUndefined();
    expect(r.sid).toBe(sid(r.sam ? Number(r.sam.slice(4)) : 0));
    expect(guid(1)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("AdRecords", () => {
  it("gives back each record as it was pushed, and its fields one by one", () => {
    const full: AdRecord = {
      dn: "CN=Zoë,OU=Sales,DC=corp,DC=example",
      upn: "zoe@corp.example",
      sam: "zoe",
      displayName: "Zoë",
      department: "Sales",
      mobile: "",
      otherMobile: ["+1 425 555 0100", 'a "quoted", comma\u0000value'],
      immutableId: "AAECAwQFBgcICQoLDA0ODw==",
      guidImmutableId: "DwAODQwLCgkIBwYFBAMCAQ==",
      sid: "S-1-5-21-1-2-3-1104",
      enabled: true,
    };
    const bare: AdRecord = { dn: "CN=x,DC=corp", otherMobile: [], enabled: false };
    const t = AdRecords.from([full, bare, toAdRecord(adUser({}, 7))]);
    expect(t.length).toBe(3);
    expect(t.at(0)).toEqual(full);
    expect(t.at(1)).toEqual(bare);
    expect(t.at(2)).toEqual(toAdRecord(adUser({}, 7)));
    expect([...t].map((r) => r.dn)).toEqual([full.dn, bare.dn, toAdRecord(adUser({}, 7)).dn]);
    expect([t.immutableId(0), t.guidImmutableId(0), t.mobile(0), t.sid(0), t.sam(0), t.upn(0)]).toEqual([
      full.immutableId,
      full.guidImmutableId,
      "",
      full.sid,
      "zoe",
      "zoe@corp.example",
    ]);
    expect([t.immutableId(1), t.mobile(1), t.upn(1)]).toEqual([undefined, undefined, undefined]);
  });
});
