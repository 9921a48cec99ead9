import { describe, expect, it } from "vitest";
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
