import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AzureCliTenantError, azureCliTenant } from "../../graph/azureCliTenant";
import {
  ConnectionSettingsError,
  connectionFromEnv,
  runtimeConnection,
  validateConnection,
} from "../../graph/connection";

const TENANT = "6f1c2a4e-1b7d-4e55-9c1e-2f5a8b9c0d11";
const CLIENT = "0b4f6a1e-7c2d-4b8e-9f3a-5d6e7f8a9b0c";

describe("connection settings", () => {
  it("reads SYNCGAP_* and AZURE_* variables and infers the auth method from the secret present", () => {
    const s = connectionFromEnv({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: "x" });
    expect(s).toMatchObject({ cloud: "global", tenantId: TENANT, clientId: CLIENT, authMethod: "clientSecret" });
    const wif = connectionFromEnv({
      SYNCGAP_TENANT_ID: TENANT,
      SYNCGAP_CLIENT_ID: CLIENT,
      SYNCGAP_SERVICE_CONNECTION_ID: "sc-1",
      SYSTEM_ACCESSTOKEN: "t",
    });
    expect(wif.authMethod).toBe("azurePipelines");
    expect(connectionFromEnv({ SYNCGAP_TENANT_ID: TENANT }).authMethod).toBe("azureCli");
  });

  it("lets explicit settings win over the environment", () => {
    const s = connectionFromEnv(
      { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: "x" },
      { clientId: CLIENT, cloud: "usgov" },
    );
    expect(s.cloud).toBe("usgov");
    expect(s.clientId).toBe(CLIENT);
  });

  it("lists every problem and how to fix it", () => {
    try {
      validateConnection({ cloud: "mars" as never, authMethod: "clientSecret", graphEndpoint: "http://x/v1.0" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConnectionSettingsError);
      const m = (e as Error).message;
      expect(m).toContain('cloud "mars"');
      expect(m).toContain("tenant id is missing (SYNCGAP_TENANT_ID");
      expect(m).toContain("needs a client id");
      expect(m).toContain("must be an https:// origin");
    }
  });

  it("applies endpoint overrides from the environment at run time", () => {
    const stored = validateConnection({
      cloud: "global",
      tenantId: TENANT,
      clientId: CLIENT,
      authMethod: "clientSecret",
      graphEndpoint: "https://127.0.0.1:1111",
    });
    const r = runtimeConnection(stored, {
      SYNCGAP_GRAPH_ENDPOINT: "https://127.0.0.1:2222",
      SYNCGAP_CA_CERT: "/ca.pem",
    });
    expect(r.graphEndpoint).toBe("https://127.0.0.1:2222");
    expect(r.caCertPath).toBe("/ca.pem");
    expect(runtimeConnection(stored, {}).graphEndpoint).toBe("https://127.0.0.1:1111");
  });
});

describe("runtime overrides of how to connect", () => {
  it("lets the current run sign in differently from the one that wrote the state, but never change the tenant", () => {
    const stored = validateConnection({
      cloud: "global",
      tenantId: "6f1c2a4e-1b7d-4e55-9c1e-2f5a8b9c0d11",
      clientId: "0b4f6a1e-7c2d-4b8e-9f3a-5d6e7f8a9b0c",
      authMethod: "deviceCode",
    });
    const r = runtimeConnection(stored, {
      SYNCGAP_AUTH_METHOD: "azurePipelines",
      SYNCGAP_SERVICE_CONNECTION_ID: "sc-1",
      SYNCGAP_TENANT_ID: "00000000-0000-0000-0000-000000000000",
    });
    expect(r.authMethod).toBe("azurePipelines");
    expect(r.serviceConnectionId).toBe("sc-1");
    expect(r.tenantId).toBe(stored.tenantId);
  });
});

describe("azureCli without a tenant id: the tenant `az login` chose", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "syncgap-az-"));
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  /** Puts a fake `az` (a shell script) first on PATH; it logs its arguments to `calls`. */
  function fakeAz(name: string, script: string): { calls: string } {
    const bin = path.join(dir, name);
    mkdirSync(bin, { recursive: true });
    const calls = path.join(bin, "calls");
    rmSync(calls, { force: true });
    writeFileSync(path.join(bin, "az"), `#!/bin/sh\necho "$*" >> ${calls}\n${script}\n`, { mode: 0o755 });
    process.env.PATH = `${bin}:/usr/bin:/bin`;
    return { calls };
  }
  // what the Azure CLI answers `az account show --query tenantId --output tsv` with
  const signedIn = () =>
    fakeAz("signed-in", `[ "$*" = "account show --query tenantId --output tsv" ] && echo ${TENANT} && exit 0\nexit 1`);

  it("connectionFromEnv (the Pulumi program's path) takes it, asking az for the tenant id only", () => {
    const { calls } = signedIn();
    const s = connectionFromEnv({ SYNCGAP_AUTH_METHOD: "azureCli" });
    expect(s).toMatchObject({ authMethod: "azureCli", tenantId: TENANT });
    // one call, no secret or user input on the command line
    expect(readFileSync(calls, "utf8")).toBe("account show --query tenantId --output tsv\n");
  });

  it("validateConnection (the policies' and the provider's path) takes it too", () => {
    signedIn();
    expect(validateConnection({ cloud: "global", authMethod: "azureCli" }).tenantId).toBe(TENANT);
  });

  it("does not run az when a tenant id is given, or for another credential", () => {
    const { calls } = signedIn();
    expect(connectionFromEnv({ SYNCGAP_AUTH_METHOD: "azureCli", SYNCGAP_TENANT_ID: "contoso.example" }).tenantId).toBe(
      "contoso.example",
    );
    expect(() => validateConnection({ cloud: "global", authMethod: "deviceCode", clientId: CLIENT })).toThrow(
      /tenant id is missing \(SYNCGAP_TENANT_ID, AZURE_TENANT_ID or config syncgap:tenantId\)$/m,
    );
    expect(existsSync(calls)).toBe(false);
  });

  it("says az is missing, and what to do, when it is not on PATH", () => {
    process.env.PATH = path.join(dir, "no-such-bin");
    let error: unknown;
    try {
      connectionFromEnv({ SYNCGAP_AUTH_METHOD: "azureCli" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectionSettingsError);
    expect((error as Error).cause).toBeInstanceOf(AzureCliTenantError);
    expect((error as Error).message).toMatch(
      /tenant id is missing \(SYNCGAP_TENANT_ID, AZURE_TENANT_ID or config syncgap:tenantId\), and the Azure CLI could not give the one it is signed in to: the Azure CLI \(az\) is not installed or not on PATH: install it \(https:\/\/learn\.microsoft\.com\/cli\/azure\/install-azure-cli\) and run `az login`, or give the tenant id/,
    );
  });

  it("says az is not signed in, quoting az, and to run az login", () => {
    fakeAz("signed-out", `echo "ERROR: Please run 'az login' to setup account." >&2\nexit 1`);
    expect(() => validateConnection({ cloud: "global", authMethod: "azureCli" })).toThrow(
      /the Azure CLI is not signed in \(az: ERROR: Please run 'az login' to setup account\.\): run `az login`/,
    );
  });

  it("gives up on an az that does not answer in time, and says so", () => {
    fakeAz("stuck", "exec sleep 10");
    const t0 = Date.now();
    expect(() => azureCliTenant({ timeoutMs: 300 })).toThrow(/`az account show` did not answer within 0\.3 s/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("refuses an answer that is not a tenant id", () => {
    fakeAz("odd", "echo 'not-a-tenant'");
    expect(() => azureCliTenant()).toThrow(/answered "not-a-tenant" where a tenant id was expected/);
  });
});
