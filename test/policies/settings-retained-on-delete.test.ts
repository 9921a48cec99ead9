import { describe, expect, it } from "vitest";
import { settingsRetainedOnDelete } from "../../policies/rules/settings-retained-on-delete";
import { createResourceValidationArgs, runResourcePolicy, settingsProps } from "../support/policyArgs";

const check = (props: Record<string, unknown>, protect = false, config: Record<string, unknown> = {}) =>
  runResourcePolicy(settingsRetainedOnDelete, createResourceValidationArgs(props, { opts: { protect }, config }));

describe("settings-retained-on-delete", () => {
  it("is advisory", () => {
    expect(settingsRetainedOnDelete.enforcementLevel).toBe("advisory");
  });

  it("passes onDelete: retain", async () => {
    expect((await check(settingsProps())).violations).toEqual([]);
  });

  it("passes when onDelete is not given (the provider retains by default)", async () => {
    const props = settingsProps();
    delete props.onDelete;
    expect((await check(props)).violations).toEqual([]);
  });

  it("fails onDelete: restore without protection, and names both fixes", async () => {
    const { violations } = await check(settingsProps({ onDelete: "restore" }));
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain('onDelete: "restore"');
    expect(violations[0].message).toContain("pulumi config set syncgap:onDelete retain");
    expect(violations[0].message).toContain("pulumi config set syncgap:protect true");
  });

  it("passes onDelete: restore when the resource is protected", async () => {
    expect((await check(settingsProps({ onDelete: "restore" }), true)).violations).toEqual([]);
  });

  it("with requireProtect, fails an unprotected retained resource", async () => {
    const { violations } = await check(settingsProps(), false, { requireProtect: true });
    expect(violations[0].message).toContain("is not protected (onDelete: retain)");
  });

  it("with requireProtect, passes a protected resource", async () => {
    expect((await check(settingsProps(), true, { requireProtect: true })).violations).toEqual([]);
  });
});
