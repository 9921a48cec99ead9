/**
 * Everything the pipelines need, on this machine, so the local runner can prove them (docs/pipelines.md):
 *   - a Samba AD domain controller with the demo users (test/support/sambaDc.ts);
 *   - the local Entra ID tenant (emulator/) syncing from that DC as Entra Connect would, with an app registration
 *     standing in for the pipeline identity (the Graph application permissions the bootstrap grants);
 *   - a copy of the repository as the agent's checkout (stack files and reports are written there, never into the
 *     working tree), with node_modules linked in;
 *   - the Pulumi state in Azure Blob Storage: Azurite (test/support/azurite.ts) on 127.0.0.1 with an account key of
 *     its own, the container created first, as docs/run-in-your-tenant.md step 3 does with a storage account;
 *   - what Azure DevOps would hold: the `syncgap` variable group (endpoints, the `azblob://` backend URL and
 *     storage account, AD settings; the secrets — the storage key among them — as secret variables) and a service
 *     connection for the tenant.
 *
 * The runner does not do workload identity federation (there is no Azure DevOps token issuer here): the variable
 * group sets SYNCGAP_AUTH_METHOD=clientSecret and the app's secret, which is the pipelines' documented fallback for
 * tenants without federation. Everything else — the steps, scripts, policy pack, Pulumi CLI — is what a real run uses.
 */
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DELEGATED_SCOPES } from "../../bootstrap/grants";
import { ldapSyncSource, type Seed } from "../../emulator";
import { createGraphConnection } from "../../graph/client";
import type { GraphConnectionSettings } from "../../graph/connection";
import { type FeatureName, getDirectorySync, patchFeatures } from "../../graph/onPremisesSynchronization";
import { type Azurite, startAzurite } from "../../test/support/azurite";
import { type EmulatorProcess, spawnEmulator } from "../../test/support/emulatorProcess";
import { type SambaDc, startSambaDc } from "../../test/support/sambaDc";
import { pipelineApplication, tenantSeed } from "../../test/support/tenantSeed";
import type { LocalAgent, VariableGroup } from "./run";
import type { ServiceConnection } from "./taskHost";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const LOCAL_TENANT_ID = "2b7e4f1a-9c3d-4e5f-8a6b-7c8d9e0f1a2b";
export const PIPELINE_APP_ID = "6d1f3a5b-7c9e-4b2d-8f0a-1c3e5a7b9d2f";
export const SERVICE_CONNECTION = "syncgap-local";
/**
 * The pipeline identity as the bootstrap makes it with `auditEvidence: true` (AuditLog.Read.All and Directory.Read.All
 * besides), behind a service connection of its own, so one local tenant shows both nightly drift messages: with the
 * name of who changed the switch, and with the note on the permission that would tell.
 */
export const AUDIT_APP_ID = "4c8e0a2b-6d1f-4e3a-9b5c-0d2f4a6c8e1b";
export const AUDIT_SERVICE_CONNECTION = "syncgap-local-audit";
/** The public-client app for delegated enforcement (the bootstrap's delegatedClientId). */
export const DELEGATED_APP_ID = "8e2a4c6d-0f1b-4d3e-9a5c-7b9d1f3a5c7e";
/** A cloud-only Global Administrator who signs in with the device code (delegated enforcement). */
export const GLOBAL_ADMIN_UPN = "ga@syncgaplocal.onmicrosoft.com";
/** The sync scope OU of the Samba DC's demo users. */
export const DEMO_OU = "OU=Demo,OU=Corp Users,DC=corp,DC=example,DC=test";
/** The Blob container that holds the Pulumi state (docs/run-in-your-tenant.md step 3 names it so). */
export const STATE_CONTAINER = "syncgap-state";

export interface LocalTenantOptions {
  /** Loopback address of the Samba DC this starts (default 127.0.0.7). */
  sambaAddress?: string;
  /** Where the Pulumi state lives: Azure Blob Storage in Azurite (default), or a local folder (`file://`). */
  stateBackend?: "azblob" | "file";
  log?: (line: string) => void;
}

export type TenantEntry = {
  stack: string;
  serviceConnection: string;
  environment: string;
  policyPackConfig: string;
};

/**
 * Copies the repository into `dest` the way a checkout looks (no node_modules, .git, build output or stack
 * files), then links each installed package into a node_modules folder of its own, with the toolchain's
 * "dependencies installed" stamp, so the pipeline's `npm ci` step has nothing to do and can touch nothing shared.
 */
export function stageSources(dest: string, from: string = REPO_ROOT): string {
  const skipTop = /^(\.git|out|reports|\.cache|\.pulumi-state)(\/|$)/;
  const skipAnywhere = /(^|\/)(node_modules|Pulumi\.[^/]+\.yaml)$/;
  cpSync(from, dest, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      return rel === "" || !(skipTop.test(rel) || skipAnywhere.test(rel));
    },
  });
  const modules = path.join(dest, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(from, "node_modules"))) {
    if (entry === ".syncgap-lock-stamp" || entry === ".package-lock.json") continue;
    symlinkSync(path.join(from, "node_modules", entry), path.join(modules, entry));
  }
  copyFileSync(path.join(dest, "package-lock.json"), path.join(modules, ".syncgap-lock-stamp"));
  return dest;
}

export class LocalTenant {
  readonly sourcesDir: string;
  readonly stateDir: string;
  readonly variableGroups: Record<string, VariableGroup>;
  readonly serviceConnections: Record<string, ServiceConnection>;
  /** The agent's environment: Node.js 22 and the Pulumi CLI already on PATH, as on a prepared self-hosted agent. */
  readonly agentEnv: Record<string, string>;

  /** The state backend URL the variable group hands the pipelines. */
  readonly backendUrl: string;

  private constructor(
    readonly dir: string,
    readonly emulator: EmulatorProcess,
    readonly dc: SambaDc,
    private readonly secret: string,
    /** The Blob endpoint of the state (undefined with stateBackend "file"). */
    readonly azurite?: Azurite,
  ) {
    this.sourcesDir = stageSources(path.join(dir, "s"));
    this.stateDir = path.join(dir, "state");
    mkdirSync(this.stateDir);
    mkdirSync(path.join(dir, "pulumi-home"));
    this.backendUrl = azurite ? azurite.backendUrl(STATE_CONTAINER) : `file://${this.stateDir}`;
    const storage = azurite?.env();
    this.variableGroups = {
      syncgap: {
        variables: {
          SYNCGAP_AUTH_METHOD: "clientSecret",
          SYNCGAP_GRAPH_ENDPOINT: emulator.baseUrl,
          SYNCGAP_AUTHORITY_HOST: emulator.baseUrl,
          SYNCGAP_CA_CERT: emulator.caCertPath,
          PULUMI_BACKEND_URL: this.backendUrl,
          // The account is no secret; gocloud needs it in the environment for the shared key (common.sh).
          ...(storage ? { AZURE_STORAGE_ACCOUNT: storage.AZURE_STORAGE_ACCOUNT } : {}),
          PULUMI_HOME: path.join(dir, "pulumi-home"),
          SYNCGAP_AD_URL: dc.url,
          SYNCGAP_AD_BIND_DN: dc.bindDN,
          SYNCGAP_AD_BASE_DN: DEMO_OU,
          SYNCGAP_AD_CA_CERT: dc.caCertPath,
          SYNCGAP_SYNC_TIMEOUT: "120",
          SYNCGAP_POLL_INTERVAL: "1",
          SYNCGAP_DELEGATED_CLIENT_ID: DELEGATED_APP_ID,
          // The back-fill's writer (backfill-apply.sh). Here the reader's account, which may write mobile only once
          // a test grants it "Write mobile" (test/support/backfillDc.ts); a real tenant uses an account of its own.
          SYNCGAP_BACKFILL_BIND_DN: dc.bindDN,
        },
        secrets: {
          PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"),
          AZURE_CLIENT_SECRET: secret,
          SYNCGAP_AD_PASSWORD: dc.password,
          SYNCGAP_BACKFILL_PASSWORD: dc.password,
          // The storage key stands in for what a real tenant gets from Key Vault or `az storage account keys
          // list` (no Azure CLI login here: the runner does not run `az login`).
          ...(storage ? { AZURE_STORAGE_KEY: storage.AZURE_STORAGE_KEY } : {}),
        },
      },
    };
    this.serviceConnections = {
      [SERVICE_CONNECTION]: {
        id: "0f4e2d6c-8a1b-4c3d-9e5f-7a6b5c4d3e2f",
        tenantId: emulator.tenantId,
        servicePrincipalId: PIPELINE_APP_ID,
      },
      [AUDIT_SERVICE_CONNECTION]: {
        id: "5a7c9e1b-3d5f-4a6c-8e0b-2d4f6a8c0e3d",
        tenantId: emulator.tenantId,
        servicePrincipalId: AUDIT_APP_ID,
      },
    };
    const pulumiDir = (process.env.PATH ?? "")
      .split(":")
      .find((d) => d && existsSync(path.join(d, "pulumi")) && existsSync(path.join(d, "pulumi-language-nodejs")));
    if (!pulumiDir) {
      throw new Error(
        "no Pulumi CLI (with pulumi-language-nodejs) on PATH: run through scripts/test.sh or source scripts/toolchain.sh",
      );
    }
    this.agentEnv = {
      PATH: [path.dirname(process.execPath), pulumiDir, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
      HOME: process.env.HOME ?? dir,
      LANG: "C.UTF-8",
      TMPDIR: tmpdir(),
    };
  }

  static async start(opts: LocalTenantOptions = {}): Promise<LocalTenant> {
    const dir = mkdtempSync(path.join(tmpdir(), "syncgap-local-tenant-"));
    // A DC of its own on its own loopback address (Samba's ports are fixed, so one DC per address), so no other
    // test's DC lifetime or seeding can interfere; it starts from the cached template in about two seconds.
    const dc = await startSambaDc({ address: opts.sambaAddress ?? "127.0.0.7", onLog: opts.log });
    const secret = randomBytes(18).toString("base64url");
    const seed: Seed = tenantSeed(
      {
        id: LOCAL_TENANT_ID,
        displayName: "syncgap local tenant (pipelines)",
        initialDomain: "syncgaplocal.onmicrosoft.com",
      },
      {
        applications: [
          pipelineApplication("syncgap pipeline (local)", PIPELINE_APP_ID, secret),
          // the variable group holds one AZURE_CLIENT_SECRET for the tenant's pipeline identities
          pipelineApplication("syncgap pipeline (local, audit evidence)", AUDIT_APP_ID, secret, {
            auditEvidence: true,
          }),
          {
            displayName: "syncgap pipeline (local, delegated enforcement)",
            appId: DELEGATED_APP_ID,
            publicClient: true,
            delegatedScopes: Object.values(DELEGATED_SCOPES).map((p) => p.value),
          },
        ],
        users: [
          {
            userPrincipalName: GLOBAL_ADMIN_UPN,
            displayName: "Global Administrator (local)",
            accountEnabled: true,
            password: randomBytes(18).toString("base64url"),
            scopes: ["OnPremDirectorySynchronization.ReadWrite.All"],
            directoryRoles: ["Global Administrator"],
          },
        ],
        syncSource: ldapSyncSource(dc, [DEMO_OU]),
      },
    );
    let emulator: EmulatorProcess | undefined;
    let azurite: Azurite | undefined;
    try {
      if ((opts.stateBackend ?? "azblob") === "azblob") {
        azurite = await startAzurite({ dataDir: path.join(dir, "azurite"), log: opts.log });
        await azurite.createContainer(STATE_CONTAINER);
      }
      emulator = await spawnEmulator(seed, { log: (line) => opts.log?.(`[emulator] ${line}`) });
      const first = await emulator.admin.sync("Initial");
      if (first.errors.length) throw new Error(`the first sync failed: ${JSON.stringify(first.errors)}`);
      // Numbers edited in the cloud while AD was not authoritative (DirSync overrides): what AD authority fixes.
      await emulator.admin.patchUser("alice.baker@corp.example.test", {
        mobilePhone: "+1 206 555 0100",
        dirSyncOverride: true,
      });
      await emulator.admin.patchUser("bob.chen@corp.example.test", {
        mobilePhone: "+14255550101",
        dirSyncOverride: true,
      });
      return new LocalTenant(dir, emulator, dc, secret, azurite);
    } catch (e) {
      await emulator?.stop();
      await azurite?.stop();
      await dc.stop();
      throw e;
    }
  }

  /**
   * A tenant entry for the pipeline's `tenants` parameter, with its stack file (Pulumi.<stack>.yaml) and policy
   * configuration written into the checkout. `authority: "cloud"` makes a stack the policy pack rejects.
   */
  tenant(
    stack: string,
    authority: "onPremises" | "cloud" = "onPremises",
    opts: { auditEvidence?: boolean; noLoss?: boolean } = {},
  ): TenantEntry {
    writeFileSync(
      path.join(this.sourcesDir, `Pulumi.${stack}.yaml`),
      `config:\n  syncgap:mobilePhoneAuthority: ${authority}\n`,
    );
    const policyPackConfig = `pipelines/local-policy-${stack}.json`;
    writeFileSync(
      path.join(this.sourcesDir, policyPackConfig),
      `${JSON.stringify(
        {
          "mobile-authority-flag": { enforcementLevel: "mandatory", authority: "onPremises" },
          ...(opts.auditEvidence ? { "pipeline-identity-least-privilege": { auditEvidence: true } } : {}),
          "one-settings-resource-per-tenant": { enforcementLevel: "mandatory" },
          "mobile-gap-impact": {
            // no-loss mode: the preview fails until every number the switch would lose is settled by the reviewed
            // plan committed as backfill-plans/<stack>/ (relative to the policy pack's folder, policies/)
            ...(opts.noLoss
              ? { enforcementLevel: "mandatory", noLoss: { plan: `../backfill-plans/${stack}/backfill-plan.json` } }
              : { enforcementLevel: "advisory" }),
            maxOverwrites: 0,
            ad: {
              kind: "ldap",
              url: this.dc.url,
              bindDN: this.dc.bindDN,
              passwordEnv: "SYNCGAP_AD_PASSWORD",
              baseDNs: [DEMO_OU],
              caCertPath: this.dc.caCertPath,
            },
          },
        },
        null,
        2,
      )}\n`,
    );
    return {
      stack,
      serviceConnection: opts.auditEvidence ? AUDIT_SERVICE_CONNECTION : SERVICE_CONNECTION,
      environment: `syncgap-${stack}`,
      policyPackConfig,
    };
  }

  /** The pipeline identity's Graph connection (what an administrator's tool would use for an out-of-band change). */
  connection(): GraphConnectionSettings {
    return {
      cloud: "global",
      tenantId: this.emulator.tenantId,
      clientId: PIPELINE_APP_ID,
      authMethod: "clientSecret",
      authorityHost: this.emulator.baseUrl,
      graphEndpoint: this.emulator.baseUrl,
      caCertPath: this.emulator.caCertPath,
    };
  }

  /** Changes a feature through Graph, outside Pulumi (someone in the portal or with PowerShell). */
  /**
   * Changes a feature outside Pulumi: through Graph as the pipeline's app, or (`as`) as a named user of the tenant, the
   * way a person does in the portal — the directory audit log then names that user.
   */
  async changeOutOfBand(feature: FeatureName, value: boolean, as?: { userPrincipalName: string }): Promise<void> {
    if (as) {
      await this.emulator.admin.setFeatures({ [feature]: value }, as);
      return;
    }
    const { client } = createGraphConnection(this.connection(), { clientSecret: this.secret });
    await patchFeatures(client, await getDirectorySync(client, "write"), { [feature]: value });
  }

  async features(): Promise<Record<string, unknown>> {
    return (await this.emulator.admin.syncObject()).features as unknown as Record<string, unknown>;
  }

  /**
   * Signs in as the Global Administrator for every device code the tenant is waiting on, until stopped: what the
   * approver of a delegated deployment does with the code shown in the deploy step's log. Returns the codes seen.
   */
  approveDeviceCodes(): { stop(): Promise<string[]> } {
    const seen: string[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const code of await this.emulator.admin.deviceCodes()) {
          if (code.approvedUserId || code.denied || seen.includes(code.userCode)) continue;
          seen.push(code.userCode);
          await this.emulator.admin.approveDeviceCode(code.userCode, GLOBAL_ADMIN_UPN);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return seen;
      },
    };
  }

  /**
   * The self-hosted agent on this tenant's Entra Connect server, for the deploy stage's initial_sync job
   * (initialSync: true): Windows, with SYNCGAP_ENTRA_CONNECT naming the stack, as docs/pipelines.md sets it up.
   * It does not run PowerShell (this machine has none): it finds the script's `Start-ADSyncSyncCycle -PolicyType
   * <type>` and runs that sync cycle in the local tenant, which syncs from the Samba DC as Entra Connect would.
   * The cycles it ran are in `cycles`.
   */
  entraConnectAgent(stack: string): LocalAgent & { cycles: string[] } {
    const cycles: string[] = [];
    return {
      name: `entra-connect-${stack}`,
      capabilities: { "Agent.OS": "Windows_NT", SYNCGAP_ENTRA_CONNECT: stack },
      cycles,
      powershell: async (script, { log }) => {
        const m = /^\s*(?:\$\w+\s*=\s*)?Start-ADSyncSyncCycle\s+-PolicyType\s+(Initial|Delta)\b/im.exec(script);
        if (!m) {
          log("##[error]the local Entra Connect agent runs only Start-ADSyncSyncCycle -PolicyType Initial|Delta");
          return 1;
        }
        const policyType = m[1] as "Initial" | "Delta";
        const r = await this.sync(policyType);
        cycles.push(policyType);
        log(`Start-ADSyncSyncCycle -PolicyType ${policyType}: ${r.errors.length ? "Failure" : "Success"}`);
        log(`(local Entra Connect) ${JSON.stringify({ read: r.read, updated: r.updated, unchanged: r.unchanged })}`);
        return r.errors.length ? 1 : 0;
      },
    };
  }

  /** A sync cycle (Entra Connect's scheduler, or Start-ADSyncSyncCycle). */
  sync(policyType: "Initial" | "Delta" = "Delta") {
    return this.emulator.admin.sync(policyType);
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
    await this.azurite?.stop();
    await this.dc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
