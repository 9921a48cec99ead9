import { describe, expect, it } from "vitest";
import { mobileAuthorityFlag } from "../../policies/rules/mobile-authority-flag";
import { createResourceValidationArgs, runResourcePolicy, settingsProps, UNKNOWN_BOOLEAN } from "../support/policyArgs";

const check = (props: Record<string, unknown>, config: Record<string, unknown> = {}, type?: string) =>
  runResourcePolicy(mobileAuthorityFlag, createResourceValidationArgs(props, { config, type }));

describe("mobile-authority-flag", () => {
  it("is mandatory, defaults to AD authority and links Microsoft's how-to", () => {
    expect(mobileAuthorityFlag.enforcementLevel).toBe("mandatory");
    expect(mobileAuthorityFlag.configSchema?.properties.authority.default).toBe("onPremises");
    expect(mobileAuthorityFlag.url).toBe(
      "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides",
    );
  });

  it("passes the compliant settings (AD authority, flag true)", async () => {
    expect((await check(settingsProps())).violations).toEqual([]);
  });

  it("fails when the flag is false under AD authority, and names the fix, the doc and the seed confusion", async () => {
    const { violations } = await check(
      settingsProps({ bypassDirSyncOverridesEnabled: false, mobilePhoneAuthority: "cloud" }),
    );
    expect(violations).toHaveLength(1);
    const m = violations[0].message;
    expect(m).toContain("declares bypassDirSyncOverridesEnabled = false");
    expect(m).toContain("pulumi config set syncgap:mobilePhoneAuthority onPremises");
    expect(m).toContain("pulumi config rm syncgap:bypassDirSyncOverridesEnabled");
    expect(m).toContain("https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides");
    expect(m).toContain("docs/policies.md#mobile-authority-flag");
    expect(m).toMatch(/"sync gap" article says false makes AD win/);
  });

  it("blames the explicit override when the stack's authority is already right", async () => {
    const { violations } = await check(settingsProps({ bypassDirSyncOverridesEnabled: false }));
    expect(violations[0].message).toContain(
      "remove the explicit override (`pulumi config rm syncgap:bypassDirSyncOverridesEnabled`)",
    );
    expect(violations[0].message).not.toContain("pulumi config set syncgap:mobilePhoneAuthority");
  });

  it("fails when no boolean flag is declared", async () => {
    const props = settingsProps();
    delete props.bypassDirSyncOverridesEnabled;
    const { violations } = await check(props);
    expect(violations[0].message).toContain("declares no boolean bypassDirSyncOverridesEnabled");
  });

  it("with authority cloud, passes false", async () => {
    const props = settingsProps({ bypassDirSyncOverridesEnabled: false, mobilePhoneAuthority: "cloud" });
    expect((await check(props, { authority: "cloud" })).violations).toEqual([]);
  });

  it("with authority cloud, fails true and names the cloud fix", async () => {
    const { violations } = await check(settingsProps({ mobilePhoneAuthority: "onPremises" }), { authority: "cloud" });
    expect(violations[0].message).toContain("pulumi config set syncgap:mobilePhoneAuthority cloud");
    expect(violations[0].message).toContain("which needs false");
  });

  it("ignores other resource types", async () => {
    const props = settingsProps({ bypassDirSyncOverridesEnabled: false });
    expect((await check(props, {}, "pulumi-nodejs:dynamic/smoke:Echo")).violations).toEqual([]);
  });

  it("lets an unknown value surface as @pulumi/policy's preview advisory instead of passing it", async () => {
    const r = await check(settingsProps({ bypassDirSyncOverridesEnabled: UNKNOWN_BOOLEAN }));
    expect(r.violations).toEqual([]);
    expect(r.unknown).toMatch(/bypassDirSyncOverridesEnabled can't be known during preview/);
  });
});
