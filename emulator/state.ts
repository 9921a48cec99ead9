/**
 * Everything one running emulator holds: the tenant, token service, device codes and refresh tokens, limits, faults,
 * the request log and the sync runner.
 */
import { randomBytes } from "node:crypto";
import type { AdSource } from "../ad/types";
import { createAdSource } from "./adSource";
import { type AuditActor, AuditLog } from "./audit";
import { type PolicyType, runSyncCycle, type SyncResult } from "./entraConnect";
import { FaultSet, RequestLog, Throttle } from "./limits";
import type { Seed, SyncSourceConfig, TenantOptions, TenantOptionsPatch } from "./seed/types";
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
  /**
   * How far the emulator's clock is ahead of the machine's. Only delta tokens and audit records read this clock
   * (`now()`): tests move it forward (`advanceClock`) to age delta tokens past their lifetime without waiting 7 days,
   * while access tokens, certificates and TLS keep real time.
   */
  private clockOffsetMs = 0;
  /** The tenant's directory audit log (emulator/audit.ts). */
  readonly audit = new AuditLog(() => this.now());

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
    this.audit.clear();
    this.clockOffsetMs = 0;
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

  /** The emulator's time in ms (the machine's plus what advanceClock added). */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the emulator's clock forward; returns the new offset in seconds. */
  advanceClock(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error("seconds must be a number ≥ 0");
    this.clockOffsetMs += seconds * 1000;
    return this.clockOffsetMs / 1000;
  }

  clockOffsetSeconds(): number {
    return this.clockOffsetMs / 1000;
  }

  /**
   * Changes the tenant's sync features as `actor` and writes the audit record Entra writes ("Set DirSync feature").
   * Unknown names are the caller's to check. Returns the features after the change.
   */
  changeFeatures(
    changes: Record<string, boolean | null>,
    actor: AuditActor,
    replace = false,
  ): Record<string, boolean | null> {
    const t = this.tenant;
    const before = { ...t.features } as Record<string, boolean | null>;
    const after: Record<string, boolean | null> = replace
      ? Object.fromEntries(Object.keys(before).map((k) => [k, false]))
      : { ...before };
    Object.assign(after, changes);
    const changed = Object.keys({ ...before, ...after }).some((k) => (before[k] ?? null) !== (after[k] ?? null));
    t.features = after as typeof t.features;
    if (changed) this.audit.dirSyncFeaturesChanged(t.id, actor, before, after);
    return { ...after };
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
