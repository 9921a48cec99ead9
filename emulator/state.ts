/**
 * Everything one running emulator holds: the tenant, token service, device codes and refresh tokens, limits, faults,
 * the request log and the sync runner.
 */
import { randomBytes } from "node:crypto";
import type { AdSource } from "../ad/types";
import { createAdSource } from "./adSource";
import { FaultSet, RequestLog, Throttle } from "./limits";
import type { Seed, SyncSourceConfig, TenantOptions, TenantOptionsPatch } from "./seed";
import { type PolicyType, runSyncCycle, type SyncResult } from "./sync";
import { mergeOptions, Tenant } from "./tenant";
import type { TokenService } from "./tokens";

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  interval: number;
  /** Set when approved. */
  userId?: string;
  denied?: boolean;
}

export interface RefreshGrant {
  userId: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export class EmulatorState {
  tenant: Tenant;
  readonly faults = new FaultSet();
  readonly throttle: Throttle;
  readonly log: RequestLog;
  readonly deviceCodes = new Map<string, DeviceCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  /** Marks `$batch` sub-requests the server injects into itself. */
  readonly batchNonce = randomBytes(16).toString("hex");
  /** An AdSource given programmatically (wins over the tenant's configured sync source). */
  private adSourceOverride: AdSource | undefined;
  private syncChain: Promise<unknown> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  lastSync: SyncResult | undefined;
  lastSyncError: string | undefined;

  constructor(
    private initialSeed: Seed,
    readonly tokens: TokenService,
  ) {
    this.tenant = new Tenant(initialSeed);
    this.throttle = new Throttle(this.tenant.options.throttling);
    this.log = new RequestLog(this.tenant.options.requestLogLimit);
    this.applyOptions();
  }

  /** Replaces the tenant with a new seed (and makes it the one `reset()` returns to). */
  seed(seed: Seed): void {
    this.initialSeed = seed;
    this.reset();
  }

  /** Back to the current seed: users, options, sync object, faults, device codes, request log. */
  reset(): void {
    this.tenant = new Tenant(this.initialSeed);
    this.adSourceOverride = undefined;
    this.faults.clear();
    this.deviceCodes.clear();
    this.refreshTokens.clear();
    this.log.clear();
    this.lastSync = undefined;
    this.lastSyncError = undefined;
    this.applyOptions();
  }

  setOptions(patch: TenantOptionsPatch): TenantOptions {
    this.tenant.options = mergeOptions(this.tenant.options, patch);
    this.applyOptions();
    return this.tenant.options;
  }

  private applyOptions(): void {
    const o = this.tenant.options;
    this.throttle.configure(o.throttling);
    this.log.limit = o.requestLogLimit;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = undefined;
    if (o.syncIntervalSeconds) {
      this.syncTimer = setInterval(() => {
        if (!this.hasSyncSource()) return;
        this.sync("Delta").catch(() => {
          /* recorded in lastSyncError */
        });
      }, o.syncIntervalSeconds * 1000);
      this.syncTimer.unref();
    }
  }

  setSyncSource(config: SyncSourceConfig | undefined): void {
    this.tenant.syncSource = config;
    this.adSourceOverride = undefined;
  }

  /** Programmatic only: sync from any AdSource object (e.g. one the test built from an array). */
  setAdSource(source: AdSource | undefined): void {
    this.adSourceOverride = source;
  }

  hasSyncSource(): boolean {
    return this.adSourceOverride !== undefined || this.tenant.syncSource !== undefined;
  }

  /** Runs one sync cycle (cycles never overlap: a second call waits for the first). */
  sync(policyType: PolicyType = "Delta"): Promise<SyncResult> {
    const run = async () => {
      const tenant = this.tenant;
      const source = this.adSourceOverride ?? (tenant.syncSource ? await createAdSource(tenant.syncSource) : undefined);
      if (!source) throw new Error("no sync source configured (PUT /_emulator/sync-source)");
      try {
        const result = await runSyncCycle(tenant, source, policyType);
        this.lastSync = result;
        this.lastSyncError = undefined;
        return result;
      } catch (e) {
        this.lastSyncError = (e as Error).message;
        throw e;
      }
    };
    const p = this.syncChain.then(run, run);
    this.syncChain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = undefined;
  }
}
