/** Reading the switch out of "Set DirSync feature" records, whose value format no Learn page documents. */
import { describe, expect, it } from "vitest";
import { describeSwitchChange, switchChangeOf, switchValueIn } from "../../graph/switchAudit";

const record = (oldValue: string | null, newValue: string | null, name = "DirSyncFeatures") => ({
  id: "Directory_1",
  activityDateTime: "2026-12-02T01:00:00Z",
  initiatedBy: { user: { userPrincipalName: "eve@contoso.com" }, app: null },
  targetResources: [{ modifiedProperties: [{ displayName: name, oldValue, newValue }] }],
});

describe("switch audit records", () => {
  it.each([
    ['{"bypassDirSyncOverridesEnabled":true,"blockSoftMatchEnabled":false}', true],
    ['[{"bypassDirSyncOverridesEnabled":false}]', false],
    ["BypassDirSyncOverridesEnabled=True, BlockSoftMatchEnabled=False", true],
    ['"bypassDirSyncOverridesEnabled": null', null],
    ['{"blockSoftMatchEnabled":true}', undefined],
    [null, undefined],
  ])("%j → %j", (text, value) => {
    expect(switchValueIn(text)).toBe(value);
  });

  it("a change of the switch, under any property name, names who and when", () => {
    const c = switchChangeOf(
      record('{"bypassDirSyncOverridesEnabled":true}', '{"bypassDirSyncOverridesEnabled":false}', "Features"),
    );
    expect(c).toEqual({
      at: "2026-12-02T01:00:00Z",
      by: "user eve@contoso.com",
      from: true,
      to: false,
      recordId: "Directory_1",
    });
    expect(describeSwitchChange(c as NonNullable<typeof c>)).toBe(
      "bypassDirSyncOverridesEnabled true → false changed at 2026-12-02T01:00:00Z by user eve@contoso.com (directory audit record Directory_1)",
    );
  });

  it("a record that changed other features only is not a change of the switch; one that does not say is kept", () => {
    expect(
      switchChangeOf(
        record(
          '{"bypassDirSyncOverridesEnabled":true,"blockSoftMatchEnabled":false}',
          '{"bypassDirSyncOverridesEnabled":true,"blockSoftMatchEnabled":true}',
        ),
      ),
    ).toBeUndefined();
    const unknown = switchChangeOf(record("opaque", "opaque"));
    expect(unknown).toMatchObject({ by: "user eve@contoso.com" });
    expect(unknown?.from).toBeUndefined();
    expect(describeSwitchChange(unknown as NonNullable<typeof unknown>)).toMatch(
      /^bypassDirSyncOverridesEnabled changed at /,
    );
  });

  it("names an app initiator with its appId", () => {
    const r = { ...record(null, null), initiatedBy: { user: null, app: { displayName: "Pipeline", appId: "abc" } } };
    expect(switchChangeOf(r)?.by).toBe("app Pipeline (appId abc)");
  });
});
