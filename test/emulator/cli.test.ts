/**
 * The `start` command as a user runs it, and the product's way of trusting the emulator: a separate Node process
 * with NODE_EXTRA_CA_CERTS (no trustEmulatorCa) getting a token with ClientSecretCredential and reading Graph.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../emulator";

const root = join(__dirname, "../..");
const tsx = join(root, "node_modules/.bin/tsx");
let child: ChildProcess;
let env: Record<string, string>;

beforeAll(async () => {
  child = spawn(tsx, ["emulator/cli.ts", "start", "--json"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(rl, "line")) as [string];
  env = JSON.parse(line);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

describe("emulator start", () => {
  it("prints endpoints, CA path, tenant id and local-only sample credentials", () => {
    expect(env.SYNCGAP_EMULATOR_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(env.SYNCGAP_GRAPH_BASE_URL).toBe(`${env.SYNCGAP_EMULATOR_URL}/v1.0`);
    expect(env.AZURE_AUTHORITY_HOST).toBe(env.SYNCGAP_EMULATOR_URL);
    expect(env.NODE_EXTRA_CA_CERTS).toMatch(/ca\.pem$/);
    expect(env.AZURE_TENANT_ID).toBe("5e3ce6c0-2b1f-4285-8d4b-75ee78787346");
    expect(env.AZURE_CLIENT_SECRET).toBeTruthy();
    expect(env.localOnly).toBe(true);
  });

  it("admin API from another process, trusting only the printed CA", async () => {
    const admin = new AdminClient(env.SYNCGAP_EMULATOR_URL, env.SYNCGAP_EMULATOR_ADMIN_KEY, {
      caCertPath: env.NODE_EXTRA_CA_CERTS,
    });
    const info = await admin.info();
    expect(info.verifiedDomains).toContain("corp.example.test");
    const r = await admin.sync("Initial");
    expect(r.read).toBe(5);
    expect(r.mobileKeptByOverride).toBe(1);
    await expect(
      new AdminClient(env.SYNCGAP_EMULATOR_URL, "wrong", { caCertPath: env.NODE_EXTRA_CA_CERTS }).info(),
    ).rejects.toMatchObject({ status: 401 });
  });

  it("a product-like process trusts the CA through NODE_EXTRA_CA_CERTS and uses the real clients", async () => {
    const script = `
      const { ClientSecretCredential } = require("@azure/identity");
      const { Client } = require("@microsoft/microsoft-graph-client");
      const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
      const e = process.env;
      const cred = new ClientSecretCredential(e.AZURE_TENANT_ID, e.AZURE_CLIENT_ID, e.AZURE_CLIENT_SECRET, { authorityHost: e.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true });
      const client = Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(cred, { scopes: ["https://graph.microsoft.com/.default"] }),
        baseUrl: e.SYNCGAP_EMULATOR_URL + "/", customHosts: new Set([new URL(e.SYNCGAP_EMULATOR_URL).hostname]),
      });
      client.api("/users").filter("onPremisesSyncEnabled eq true").select("userPrincipalName,mobilePhone").get()
        .then((r) => console.log(JSON.stringify(r.value.length)))
        .catch((err) => { console.error(err); process.exit(1); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
    });
    expect(JSON.parse(stdout.trim())).toBe(5);
  });

  it("stops on SIGTERM", async () => {
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });
});
