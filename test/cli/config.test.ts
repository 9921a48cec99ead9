/**
 * syncgap.yaml and the order of settings: a flag overrides the file, the file overrides the environment; schema
 * errors name the file, the line and the key; secrets in the file are refused with the variable to use; a variable
 * of another source kind never makes an error; and every documented variable is read (cli/settings.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../cli/config";
import { addCommonOptions, adSpec, type CheckOptions, entraSpec } from "../../cli/options";
import { resolveOptions } from "../../cli/resolveOptions";
import { SETTINGS } from "../../cli/settings";

const dir = mkdtempSync(path.join(tmpdir(), "syncgap-config-"));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** Parses a `gap` command line as the CLI does and returns the resolved options. */
function resolve(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) {
  let out: ReturnType<typeof resolveOptions<CheckOptions>> | undefined;
  const program = new Command().exitOverride();
  addCommonOptions(program.command("gap"))
    .option("--stack <name>")
    .action(function (this: Command) {
      out = resolveOptions<CheckOptions>(this, env, cwd);
    });
  program.parse(["node", "syncgap", "gap", ...args]);
  if (!out) throw new Error("the action did not run");
  return out;
}

const withEnv = <T>(env: NodeJS.ProcessEnv, fn: () => T): T => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
};

describe("precedence: flag > syncgap.yaml > environment > default", () => {
  const cfg = file(
    "prec/syncgap.yaml",
    ["ad:", "  ldif: exports/ad.ldif", "thresholds:", "  maxGaps: 3", "reports:", "  out: from-file", ""].join("\n"),
  );

  it("a flag beats the file, the file beats the variable, the variable beats the default", () => {
    const env = { SYNCGAP_MAX_GAPS: "5", SYNCGAP_OUT: "/tmp/from-env", SYNCGAP_DEFAULT_REGION: "GB" };
    const { options } = resolve(["--config", cfg, "--max-gaps", "2"], env);
    expect(options.maxGaps).toBe(2); // flag
    expect(options.out).toBe(path.join(dir, "prec", "from-file")); // file, relative to the file's folder
    expect(options.defaultRegion).toBe("GB"); // environment (the file has none)
    expect(options.format).toBe("csv,json,junit,md,html"); // default
    expect(resolve(["--config", cfg], env).options.maxGaps).toBe(3); // file over environment
    expect(resolve([], env).options.maxGaps).toBe(5); // no file (none in dir): the environment
  });

  it("resolves relative paths in the file against the file's folder, not the working directory", () => {
    const { options } = resolve(["--config", cfg], {}, tmpdir());
    expect(adSpec(options)).toEqual({ kind: "ldif", path: path.join(dir, "prec", "exports", "ad.ldif") });
  });

  it("finds ./syncgap.yaml on its own, and SYNCGAP_CONFIG names another file", () => {
    const here = resolve([], {}, path.join(dir, "prec"));
    expect(here.options.maxGaps).toBe(3);
    expect(here.notes.join("\n")).toContain(`settings from ${cfg}`);
    const other = file("other.yaml", "thresholds:\n  maxGaps: 9\n");
    expect(resolve([], { SYNCGAP_CONFIG: other }, path.join(dir, "prec")).options.maxGaps).toBe(9);
  });
});

describe("source kinds: another kind lower down is left aside, never an error", () => {
  it("SYNCGAP_AD_URL in the environment and --ad-ldif on the command line: the flag wins, with a note", () => {
    const r = resolve(["--ad-ldif", "ad.ldif"], {
      SYNCGAP_AD_URL: "ldaps://dc1.corp.example",
      SYNCGAP_AD_BIND_DN: "CN=reader",
    });
    expect(r.options.adUrl).toBeUndefined();
    expect(withEnv({ SYNCGAP_AD_URL: "ldaps://dc1.corp.example" }, () => adSpec(r.options))).toEqual({
      kind: "ldif",
      path: path.resolve("ad.ldif"),
    });
    expect(r.notes.join("\n")).toMatch(
      /SYNCGAP_AD_URL \(the environment\) left aside: --ad-ldif from the command line wins/,
    );
  });

  it("ad.url in the file and --ad-csv: the flag wins; entra.json in the file and --entra-graph: Graph", () => {
    const cfg = file("kinds.yaml", "ad:\n  url: ldaps://dc1.corp.example\n  bindDN: CN=r\nentra:\n  json: e.json\n");
    const r = resolve(["--config", cfg, "--ad-csv", "ad.csv", "--entra-graph"]);
    expect(adSpec(r.options)).toMatchObject({ kind: "csv" });
    expect(r.options.entraJson).toBeUndefined();
    expect(r.options.entraGraph).toBe(true);
  });

  it("two kinds in the same place are still an error", () => {
    const r = resolve(["--ad-ldif", "a.ldif", "--ad-csv", "a.csv"]);
    expect(() => adSpec(r.options)).toThrow("choose one AD source, not --ad-ldif and --ad-csv");
  });
});

describe("schema errors name the file, the line and the key", () => {
  it("an unknown key, with a suggestion", () => {
    const f = file("unknown.yaml", "ad:\n  url: ldaps://dc1\n  baseDn: OU=x\n");
    expect(() => loadConfig(f)).toThrow(`${f}:3: ad.baseDn: not a setting (did you mean ad.baseDNs?)`);
  });

  it("a wrong type, a bad choice, a bad URL, a bad share", () => {
    expect(() => loadConfig(file("type.yaml", "thresholds:\n  maxGaps: lots\n"))).toThrow(
      /type\.yaml:2: thresholds\.maxGaps: must be integer/,
    );
    expect(() => loadConfig(file("enum.yaml", "ad:\n  readMode: fast\n"))).toThrow(
      /enum\.yaml:2: ad\.readMode: must be equal to one of the allowed values \(auto, dirsync, paged\)/,
    );
    expect(() => loadConfig(file("url.yaml", "\n\nad:\n  url: dc1.corp.example\n"))).toThrow(
      /url\.yaml:4: ad\.url: must match pattern/,
    );
    expect(() => loadConfig(file("share.yaml", "thresholds:\n  minMatched: 180%\n"))).toThrow(
      /share\.yaml:2: thresholds\.minMatched: .*from 0% to 100%/,
    );
  });

  it("a YAML syntax error, with its line", () => {
    expect(() => loadConfig(file("syntax.yaml", "ad:\n  url: [ldaps://x\n"))).toThrow(
      /syntax\.yaml:\d+: not valid YAML/,
    );
  });

  it("a secret in the file is refused, naming the variable to put it in", () => {
    expect(() => loadConfig(file("secret.yaml", "ad:\n  url: ldaps://dc1\n  password: hunter2\n"))).toThrow(
      /secret\.yaml:3: ad\.password: secrets never go in the config file.*SYNCGAP_AD_PASSWORD/,
    );
    expect(() => loadConfig(file("secret2.yaml", "entra:\n  clientSecret: x\n"))).toThrow(
      /secret2\.yaml:2: .*AZURE_CLIENT_SECRET/,
    );
    // and the secret's value never appears in the message
    try {
      loadConfig(file("secret3.yaml", "entra:\n  apiToken: s3cr3t-value\n"));
      expect.unreachable();
    } catch (e) {
      expect(String(e)).toContain("secret3.yaml:2: entra.apiToken: secrets never go in the config file");
      expect(String(e)).not.toContain("s3cr3t-value");
    }
  });

  it("a missing file says which option named it", () => {
    expect(() => resolve(["--config", path.join(dir, "nope.yaml")])).toThrow(
      /cannot read the config file .*nope\.yaml/,
    );
  });
});

describe("every documented variable works", () => {
  const sample: Record<string, [string, unknown]> = {
    SYNCGAP_CONFIG: ["", undefined], // tested above
    SYNCGAP_AD_URL: ["ldaps://dc1.corp.example", "ldaps://dc1.corp.example"],
    SYNCGAP_AD_BIND_DN: ["CN=reader,DC=corp", "CN=reader,DC=corp"],
    SYNCGAP_AD_BASE_DN: ["OU=A,DC=corp; OU=B,DC=corp", ["OU=A,DC=corp", "OU=B,DC=corp"]],
    SYNCGAP_AD_CA_CERT: ["ca.pem", path.resolve("ca.pem")],
    SYNCGAP_AD_START_TLS: ["true", true],
    SYNCGAP_AD_FILTER: ["(objectClass=user)", "(objectClass=user)"],
    SYNCGAP_AD_READ_MODE: ["paged", "paged"],
    SYNCGAP_AD_TIMEOUT_SECONDS: ["7", 7],
    SYNCGAP_AD_LDIF: ["ad.ldif", path.resolve("ad.ldif")],
    SYNCGAP_AD_CSV: ["ad.csv", path.resolve("ad.csv")],
    SYNCGAP_ENTRA_JSON: ["e.json", path.resolve("e.json")],
    SYNCGAP_MAX_GAPS: ["4", 4],
    SYNCGAP_DEFAULT_REGION: ["DE", "DE"],
    SYNCGAP_OUT: ["/tmp/reports", "/tmp/reports"],
    SYNCGAP_STACK: ["prod", "prod"],
  };
  const own = SETTINGS.filter((s) => s.env && !s.graph);

  it("the samples cover every variable cli/options.ts reads", () => {
    expect(Object.keys(sample).sort()).toEqual(own.flatMap((s) => s.env as string[]).sort());
  });

  for (const s of own) {
    for (const name of s.env ?? []) {
      if (name === "SYNCGAP_CONFIG") continue;
      it(`${name} sets ${s.flag}`, () => {
        const [raw, want] = sample[name];
        expect(resolve([], { [name]: raw }).options[s.option as keyof CheckOptions]).toEqual(want);
      });
    }
  }

  it("a bad value names the variable", () => {
    expect(() => resolve([], { SYNCGAP_AD_READ_MODE: "fast" })).toThrow(
      /SYNCGAP_AD_READ_MODE must be one of auto, dirsync, paged/,
    );
    expect(() => resolve([], { SYNCGAP_MAX_GAPS: "-1" })).toThrow(/SYNCGAP_MAX_GAPS wants a whole number/);
  });

  // graph/connection.ts reads these; the flags and the file reach it as overrides.
  const graphSample: Record<string, [string, string, string]> = {
    SYNCGAP_CLOUD: ["usgov", "cloud", "usgov"],
    SYNCGAP_TENANT_ID: ["contoso.example", "tenantId", "contoso.example"],
    AZURE_TENANT_ID: ["fabrikam.example", "tenantId", "fabrikam.example"],
    SYNCGAP_CLIENT_ID: ["11111111-1111-1111-1111-111111111111", "clientId", "11111111-1111-1111-1111-111111111111"],
    AZURE_CLIENT_ID: ["22222222-2222-2222-2222-222222222222", "clientId", "22222222-2222-2222-2222-222222222222"],
    SYNCGAP_AUTH_METHOD: ["deviceCode", "authMethod", "deviceCode"],
    SYNCGAP_GRAPH_ENDPOINT: ["https://127.0.0.1:9443", "graphEndpoint", "https://127.0.0.1:9443"],
    SYNCGAP_AUTHORITY_HOST: ["https://127.0.0.1:9444", "authorityHost", "https://127.0.0.1:9444"],
    AZURE_AUTHORITY_HOST: ["https://127.0.0.1:9445", "authorityHost", "https://127.0.0.1:9445"],
    SYNCGAP_CA_CERT: ["/tmp/ca.pem", "caCertPath", "/tmp/ca.pem"],
    SYNCGAP_CLIENT_CERTIFICATE_PATH: ["/tmp/c.pem", "certificatePath", "/tmp/c.pem"],
    AZURE_CLIENT_CERTIFICATE_PATH: ["/tmp/d.pem", "certificatePath", "/tmp/d.pem"],
    SYNCGAP_SERVICE_CONNECTION_ID: ["sc-1", "serviceConnectionId", "sc-1"],
    AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: ["sc-2", "serviceConnectionId", "sc-2"],
    SYNCGAP_USERNAME: ["admin@contoso.example", "username", "admin@contoso.example"],
    AZURE_USERNAME: ["root@contoso.example", "username", "root@contoso.example"],
  };

  it("the Graph samples cover every Graph variable in the table", () => {
    expect(Object.keys(graphSample).sort()).toEqual(
      SETTINGS.filter((s) => s.graph)
        .flatMap((s) => s.env as string[])
        .sort(),
    );
  });

  for (const [name, [raw, field, want]] of Object.entries(graphSample)) {
    it(`${name} reaches the Graph connection's ${field}`, () => {
      // a complete connection around the one variable under test
      const base: NodeJS.ProcessEnv = {
        SYNCGAP_TENANT_ID: "base.example",
        SYNCGAP_CLIENT_ID: "33333333-3333-3333-3333-333333333333",
        SYNCGAP_AUTH_METHOD: "clientCertificate",
        SYNCGAP_CLIENT_CERTIFICATE_PATH: "/tmp/base.pem",
      };
      if (field === "serviceConnectionId") base.SYNCGAP_AUTH_METHOD = "azurePipelines";
      if (field === "username") base.SYNCGAP_AUTH_METHOD = "usernamePassword";
      if (name.startsWith("AZURE"))
        delete base[name.replace("AZURE_", "SYNCGAP_").replace("AZURESUBSCRIPTION_", "SYNCGAP_")];
      const env = { ...base, [name]: raw };
      const spec = withEnv(env, () => entraSpec(resolve(["--entra-graph"], env).options));
      expect(spec.kind === "graph" && spec.connection[field as keyof typeof spec.connection]).toBe(want);
    });
  }

  it("entra.* in the file overrides the Graph variables", () => {
    const cfg = file("graph.yaml", "entra:\n  graph: true\n  tenantId: from-file.example\n  authMethod: deviceCode\n");
    const env = { SYNCGAP_TENANT_ID: "from-env.example", SYNCGAP_CLIENT_ID: "44444444-4444-4444-4444-444444444444" };
    const spec = withEnv(env, () => entraSpec(resolve(["--config", cfg], env).options));
    expect(spec).toMatchObject({
      kind: "graph",
      connection: { tenantId: "from-file.example", authMethod: "deviceCode" },
    });
  });
});

describe("azureCli without a tenant id", () => {
  const noTenant = { SYNCGAP_AUTH_METHOD: "azureCli" };

  it("takes the tenant `az login` chose (az account show)", () => {
    // an az on PATH that answers `az account show --query tenantId --output tsv` as the Azure CLI does
    const bin = path.join(dir, "az-bin");
    mkdirSync(bin, { recursive: true });
    const tenant = "9c7a1b2e-3d4f-4a5b-8c6d-7e8f9a0b1c2d";
    writeFileSync(
      path.join(bin, "az"),
      `#!/bin/sh\n[ "$*" = "account show --query tenantId --output tsv" ] && echo ${tenant} && exit 0\nexit 1\n`,
      { mode: 0o755 },
    );
    const env = { ...noTenant, PATH: `${bin}:/usr/bin:/bin` };
    const spec = withEnv(env, () => entraSpec(resolve(["--entra-graph"], env).options));
    expect(spec).toMatchObject({ kind: "graph", connection: { authMethod: "azureCli", tenantId: tenant } });
  });

  it("says to run az login when az is missing or not signed in", () => {
    const env = { ...noTenant, PATH: path.join(dir, "no-such-bin") };
    expect(() => withEnv(env, () => entraSpec(resolve(["--entra-graph"], env).options))).toThrow(
      /tenant id is missing[\s\S]*run `az login`, or give --tenant-id \/ entra\.tenantId/,
    );
  });
});
