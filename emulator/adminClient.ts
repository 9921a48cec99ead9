/**
 * Client of the local tenant's admin API (`/_emulator/…`), usable from any process that has the base URL, the admin
 * key and the CA (PEM text or file path). Requests go over HTTPS and trust only that CA.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import type { AdUser } from "../ad/types";
import type { AdminUserView, GenerateUsersSpec } from "./admin";
import type { DirectoryAudit } from "./audit";
import type { PolicyType, SyncResult } from "./entraConnect";
import type { FaultRule, FaultRuleInput, RequestLogEntry } from "./limits";
import type {
  Features,
  Seed,
  SeedUser,
  SyncConfiguration,
  SyncSourceConfig,
  TenantOptions,
  TenantOptionsPatch,
} from "./seed/types";
import type { AppRegistrationView } from "./tenant";

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    const e = (body as { error?: { message?: string; details?: string[] } } | undefined)?.error;
    super(
      `${method} ${path} → ${status}${e?.message ? `: ${e.message}` : ""}${e?.details?.length ? `\n  ${e.details.join("\n  ")}` : ""}`,
    );
    this.name = "AdminApiError";
  }
}

export interface EmulatorInfo {
  baseUrl: string;
  authorityHost: string;
  graphBaseUrl: string;
  caCertPath: string;
  tenantId: string;
  displayName: string;
  initialDomain: string;
  verifiedDomains: string[];
  users: number;
  applications: AppRegistrationView[];
  options: TenantOptions;
  syncSource: Record<string, unknown> | null;
}

export interface DeviceCodeView {
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: string;
  approvedUserId: string | null;
  denied: boolean;
}

export class AdminClient {
  private readonly ca: string;

  /**
   * @param baseUrl `https://127.0.0.1:PORT`
   * @param adminKey the key the emulator printed or returned
   * @param trust `{ ca }` PEM text or `{ caCertPath }`
   */
  constructor(
    readonly baseUrl: string,
    private readonly adminKey: string,
    trust: { ca: string } | { caCertPath: string },
  ) {
    this.ca = "ca" in trust ? trust.ca : readFileSync(trust.caCertPath, "utf8");
  }

  /** Sends one admin request; resolves with the parsed JSON body (undefined for 204). */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`/_emulator${path}`, this.baseUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            "x-emulator-admin-key": this.adminKey,
            accept: "application/json",
            ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            if ((res.statusCode ?? 500) >= 400) reject(new AdminApiError(res.statusCode ?? 500, parsed, method, path));
            else resolve(parsed as T);
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  health(): Promise<{ status: string }> {
    return this.call("GET", "/health");
  }
  info(): Promise<EmulatorInfo> {
    return this.call("GET", "/info");
  }
  /** Replaces the tenant with this seed (validated; errors list each bad value). */
  seed(seed: Seed): Promise<{ tenantId: string; users: number }> {
    return this.call("POST", "/seed", seed);
  }
  /** Back to the current seed (users, options, sync object, faults, request log). */
  reset(): Promise<{ tenantId: string; users: number }> {
    return this.call("POST", "/reset");
  }
  getOptions(): Promise<TenantOptions> {
    return this.call("GET", "/options");
  }
  setOptions(options: TenantOptionsPatch): Promise<TenantOptions> {
    return this.call("PATCH", "/options", options);
  }
  apps(): Promise<AppRegistrationView[]> {
    return this.call("GET", "/apps");
  }
  users(
    params: { offset?: number; limit?: number; synced?: boolean } = {},
  ): Promise<{ total: number; users: AdminUserView[] }> {
    const q = new URLSearchParams();
    if (params.offset !== undefined) q.set("offset", String(params.offset));
    if (params.limit !== undefined) q.set("limit", String(params.limit));
    if (params.synced !== undefined) q.set("synced", String(params.synced));
    const s = q.toString();
    return this.call("GET", `/users${s ? `?${s}` : ""}`);
  }
  /** A user by object id or userPrincipalName. */
  user(key: string): Promise<AdminUserView> {
    return this.call("GET", `/users/${encodeURIComponent(key)}`);
  }
  addUsers(users: SeedUser[]): Promise<{ added: number; total: number }> {
    return this.call("POST", "/users", { users });
  }
  /** Bulk-creates users server-side (benchmarks). */
  generateUsers(spec: GenerateUsersSpec): Promise<{ added: number; total: number }> {
    return this.call("POST", "/users", { generate: spec });
  }
  /** Edits a user directly, without Graph's rules (e.g. to set `dirSyncOverride`). */
  patchUser(key: string, patch: Record<string, unknown> & { dirSyncOverride?: boolean }): Promise<AdminUserView> {
    return this.call("PATCH", `/users/${encodeURIComponent(key)}`, patch);
  }
  deleteUser(key: string): Promise<void> {
    return this.call("DELETE", `/users/${encodeURIComponent(key)}`);
  }
  syncObject(): Promise<{
    id: string;
    configuration: SyncConfiguration;
    features: Features & Record<string, boolean | null>;
  }> {
    return this.call("GET", "/sync-object");
  }
  /**
   * Changes sync features out of band as a named user (`{userPrincipalName}`) or app (`{appId}`): merged, and written to
   * the audit log as "Set DirSync feature" naming them.
   */
  setFeatures(
    features: Record<string, boolean | null>,
    as?: { userPrincipalName: string } | { appId: string },
  ): Promise<{ id: string; configuration: SyncConfiguration; features: Record<string, boolean | null> }> {
    return this.call("POST", "/sync-object/features", { features, ...(as ? { as } : {}) });
  }
  /** Moves a user's source of authority to the cloud (true) or back (false), as beta onPremisesSyncBehavior does. */
  setCloudManaged(
    key: string,
    cloudManaged: boolean,
    as?: { userPrincipalName: string } | { appId: string },
  ): Promise<AdminUserView> {
    return this.call("PATCH", `/users/${encodeURIComponent(key)}`, { cloudManaged, ...(as ? { as } : {}) });
  }
  /** The directory audit log, oldest first. */
  audit(): Promise<DirectoryAudit[]> {
    return this.call("GET", "/audit");
  }
  clock(): Promise<{ offsetSeconds: number; now: string }> {
    return this.call("GET", "/clock");
  }
  /** Moves the emulator's clock (delta tokens, audit records) forward by `seconds`. */
  advanceClock(seconds: number): Promise<{ offsetSeconds: number; now: string }> {
    return this.call("POST", "/clock/advance", { seconds });
  }
  /** A "synchronization reset": every delta token issued so far gets 410 Gone. */
  resetDeltaTokens(): Promise<{ deltaEpoch: number }> {
    return this.call("POST", "/delta/reset");
  }
  organization(): Promise<Record<string, unknown>> {
    return this.call("GET", "/organization");
  }
  setSyncSource(source: SyncSourceConfig): Promise<{ source: Record<string, unknown> }> {
    return this.call("PUT", "/sync-source", source);
  }
  /** Shortcut: sync from these AD users. */
  setInlineSyncSource(users: AdUser[]): Promise<{ source: Record<string, unknown> }> {
    return this.setSyncSource({ kind: "inline", users });
  }
  clearSyncSource(): Promise<void> {
    return this.call("DELETE", "/sync-source");
  }
  /** One sync cycle, like `Start-ADSyncSyncCycle -PolicyType Delta|Initial`. */
  sync(policyType: PolicyType = "Delta"): Promise<SyncResult> {
    return this.call("POST", "/sync", { policyType });
  }
  lastSync(): Promise<{ result: SyncResult | null; error: string | null }> {
    return this.call("GET", "/sync/last");
  }
  faults(): Promise<FaultRule[]> {
    return this.call("GET", "/faults");
  }
  addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return this.call("POST", "/faults", rule);
  }
  removeFault(id: string): Promise<void> {
    return this.call("DELETE", `/faults/${encodeURIComponent(id)}`);
  }
  clearFaults(): Promise<void> {
    return this.call("DELETE", "/faults");
  }
  requests(
    filter: { method?: string; pathPrefix?: string; area?: "graph" | "identity" | "other"; since?: number } = {},
  ): Promise<RequestLogEntry[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return this.call("GET", `/requests${s ? `?${s}` : ""}`);
  }
  clearRequests(): Promise<void> {
    return this.call("DELETE", "/requests");
  }
  deviceCodes(): Promise<DeviceCodeView[]> {
    return this.call("GET", "/device-codes");
  }
  approveDeviceCode(
    userCode: string,
    userPrincipalName: string,
  ): Promise<{ userCode: string; approvedUserId: string }> {
    return this.call("POST", "/device-codes/approve", { userCode, userPrincipalName });
  }
  denyDeviceCode(userCode: string): Promise<{ userCode: string; denied: boolean }> {
    return this.call("POST", "/device-codes/deny", { userCode });
  }
}
