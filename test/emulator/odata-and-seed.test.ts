/**
 * Unit checks of the $filter parser (precedence, literals, errors with positions), the advanced-query table, and
 * seed validation (clear errors, the shipped seed and its JSON Schema file).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SEED_PATH, loadSeedFile, SeedValidationError, seedSchema, validateSeed } from "../../emulator";
import { GraphError } from "../../emulator/errors";
import { parseFilter } from "../../emulator/odata/filterParser";
import { compileUserFilter, USER_FILTER_CAPS } from "../../emulator/odata/userFilter";
import { blankUser, canonicalUserProp, USER_PROP_NAMES } from "../../emulator/users";

const known = new Set(USER_PROP_NAMES);
const compile = (f: string) => compileUserFilter(parseFilter(f), known, canonicalUserProp);
const users = [
  {
    userPrincipalName: "a@x.test",
    accountEnabled: true,
    mobilePhone: null,
    displayName: "Ann O'Neil",
    createdDateTime: "2024-01-01T00:00:00Z",
  },
  {
    userPrincipalName: "b@x.test",
    accountEnabled: false,
    mobilePhone: "+1",
    displayName: "Bob",
    createdDateTime: "2025-01-01T00:00:00Z",
  },
];
const run = (f: string) => users.filter((u) => compile(f).test(u)).map((u) => u.userPrincipalName);

describe("$filter parser", () => {
  it("and binds tighter than or; not and parentheses; case-insensitive keywords", () => {
    expect(run("accountEnabled eq false or userPrincipalName eq 'a@x.test' and accountEnabled eq false")).toEqual([
      "b@x.test",
    ]);
    expect(run("(accountEnabled eq false or userPrincipalName eq 'a@x.test') and accountEnabled eq false")).toEqual([
      "b@x.test",
    ]);
    expect(run("NOT (accountEnabled eq true)")).toEqual(["b@x.test"]);
    expect(run("not startsWith(displayName,'b')")).toEqual(["a@x.test"]);
    expect(run("displayName eq 'Ann O''Neil'")).toEqual(["a@x.test"]);
    expect(run("mobilePhone eq null")).toEqual(["a@x.test"]);
    expect(run("mobilePhone ne null")).toEqual(["b@x.test"]);
    expect(run("createdDateTime ge 2024-06-01T00:00:00Z")).toEqual(["b@x.test"]);
    expect(run("userPrincipalName in ('A@X.TEST', 'c@x.test')")).toEqual(["a@x.test"]);
    expect(run("ENDSWITH(userPrincipalName,'b@x.test')")).toEqual(["b@x.test"]);
  });

  it("reports which constructs need advanced query parameters", () => {
    expect(compile("accountEnabled eq true").advanced).toEqual([]);
    expect(compile("userPrincipalName eq 'a'").advanced).toEqual([]);
    expect(compile("onPremisesSyncEnabled eq true").advanced).toEqual([]);
    expect(compile("startswith(userPrincipalName,'a')").advanced).toEqual([]);
    expect(compile("mobilePhone eq 'x'").advanced.length).toBeGreaterThan(0);
    expect(compile("onPremisesImmutableId eq 'x'").advanced.length).toBeGreaterThan(0);
    expect(compile("accountEnabled ne true").advanced).toContain("ne");
    expect(compile("not(accountEnabled eq true)").advanced).toContain("not");
    expect(compile("endswith(mail,'x')").advanced).toContain("endsWith");
    expect(USER_FILTER_CAPS.id.in).toBe("D");
  });

  it("syntax errors are 400 BadRequest with a position", () => {
    const err = (f: string) => {
      try {
        compile(f);
      } catch (e) {
        expect(e).toBeInstanceOf(GraphError);
        return `${(e as GraphError).status} ${(e as GraphError).code} ${(e as GraphError).message}`;
      }
      throw new Error(`no error for ${f}`);
    };
    expect(err("")).toMatch(/^400 BadRequest .*empty/);
    expect(err("displayName eq 'x' and")).toMatch(/^400 BadRequest .*position 22/);
    expect(err("displayName eq 'x')")).toMatch(/unexpected token at position 18/);
    expect(err("displayName # 'x'")).toMatch(/character '#' is not valid at position 12/);
    expect(err("startswith(displayName, 1)")).toMatch(/expects a string literal/);
    expect(err("proxyAddresses/any(p:p eq 'x')")).toMatch(/^400 Request_UnsupportedQuery/);
    expect(err("endswith(displayName,'x')")).toMatch(/^400 Request_UnsupportedQuery/);
    expect(err("displayName gt 'x'")).toMatch(/^400 Request_UnsupportedQuery/);
  });
});

describe("user model", () => {
  it("stored users have exactly the modelled Graph properties, in order", () => {
    expect(Object.keys(blankUser("x", "2024-01-01T00:00:00Z"))).toEqual([...USER_PROP_NAMES]);
  });
});

describe("seed validation", () => {
  it("the shipped contoso seed is valid and has what the spec asks", () => {
    const seed = loadSeedFile(DEFAULT_SEED_PATH);
    expect(seed.tenant.verifiedDomains).toContain("corp.example.test");
    const app = seed.applications?.find((a) => a.displayName === "syncgap");
    expect(app?.appRoles).toEqual(["User.Read.All", "OnPremDirectorySynchronization.ReadWrite.All"]);
    expect(seed.users?.some((u) => u.directoryRoles?.includes("Global Administrator") && u.password)).toBe(true);
  });

  it("seed.schema.json is the schema the emulator validates with", () => {
    const file = JSON.parse(readFileSync(join(__dirname, "../../emulator/seeds/seed.schema.json"), "utf8"));
    expect(file).toEqual(JSON.parse(JSON.stringify(seedSchema)));
  });

  it("lists every problem with its JSON pointer", () => {
    try {
      validateSeed({
        tenant: { id: "not-a-guid", displayName: "x", initialDomain: "contoso.com", color: "red" },
        users: [{ userPrincipalName: "a@b.test", mobilePhone: 5 }, { userPrincipalName: "A@b.test" }],
        options: { featuresPatchSemantics: "sometimes" },
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SeedValidationError);
      const errors = (e as SeedValidationError).errors.join("\n");
      expect(errors).toMatch(/\/tenant\/id: must match pattern/);
      expect(errors).toMatch(/\/tenant\/initialDomain/);
      expect(errors).toMatch(/\/tenant: unknown property 'color'/);
      expect(errors).toMatch(/\/users\/0\/mobilePhone: must be string,null/);
      expect(errors).toMatch(/\/options\/featuresPatchSemantics: must be one of \["replace","merge"\]/);
    }
    expect(() =>
      validateSeed({
        tenant: { id: "11111111-2222-4333-8444-555555555555", displayName: "x", initialDomain: "x.onmicrosoft.com" },
        users: [{ userPrincipalName: "a@b.test" }, { userPrincipalName: "A@b.test" }],
      }),
    ).toThrow(/duplicate/);
  });
});
