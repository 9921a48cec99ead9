/**
 * State of the local tenant: organization, domains, app registrations, the onPremisesSynchronization object, users,
 * options and the configured sync source. One emulator process serves one tenant.
 */
import { createHash, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { certificateThumbprints } from "./certs";
import { resolveRole } from "./directoryRoles";
import {
  DEFAULT_OPTIONS,
  FEATURE_NAMES,
  type Features,
  type Seed,
  type SeedUser,
  type SyncConfiguration,
  type SyncSourceConfig,
  type TenantOptions,
  type TenantOptionsPatch,
} from "./seed/types";
import { blankUser, type GraphUser, USER_PROPS, UserStore } from "./users";

export interface VerifiedDomain {
  capabilities: string;
  isDefault: boolean;
  isInitial: boolean;
  name: string;
  type: string;
}

export interface AppCertificate {
  pem: string;
  displayName: string | null;
  thumbprintSha1: string;
  thumbprintSha256: string;
  publicKey: KeyObject;
  endDateTime: string | null;
}

export interface AppRegistration {
  displayName: string;
  appId: string;
  servicePrincipalId: string;
  secrets: { value: string; displayName: string | null; endDateTime: string | null; hint: string }[];
  certificates: AppCertificate[];
  appRoles: string[];
  delegatedScopes?: string[];
  publicClient: boolean;
  signInAudience: "AzureADMyOrg" | "AzureADMultipleOrgs";
}

/** What the admin API shows of an app (never the secret values). */
export interface AppRegistrationView {
  displayName: string;
  appId: string;
  servicePrincipalId: string;
  secrets: { displayName: string | null; endDateTime: string | null; hint: string }[];
  certificates: {
    displayName: string | null;
    thumbprintSha1: string;
    thumbprintSha256: string;
    endDateTime: string | null;
  }[];
  appRoles: string[];
  delegatedScopes?: string[];
  publicClient: boolean;
  signInAudience: "AzureADMyOrg" | "AzureADMultipleOrgs";
}

function allFalse(): Features {
  return Object.fromEntries(FEATURE_NAMES.map((f) => [f, false])) as Features;
}

function deterministicGuid(seedText: string): string {
  // Stable service principal ids for seeds that don't give one (not a real UUIDv5; just stable and well-formed).
  const h = createHash("sha256").update(seedText).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class Tenant {
  readonly id: string;
  readonly displayName: string;
  readonly initialDomain: string;
  readonly verifiedDomains: VerifiedDomain[];
  readonly createdDateTime: string;
  options: TenantOptions;
  features: Features;
  configuration: SyncConfiguration;
  org: { onPremisesSyncEnabled: boolean | null; onPremisesLastSyncDateTime: string | null };
  readonly apps = new Map<string, AppRegistration>();
  readonly users = new UserStore();
  syncSource: SyncSourceConfig | undefined;

  constructor(readonly seed: Seed) {
    const t = seed.tenant;
    this.id = t.id.toLowerCase();
    this.displayName = t.displayName;
    this.initialDomain = t.initialDomain.toLowerCase();
    this.createdDateTime = t.createdDateTime ?? new Date().toISOString();
    const names = [this.initialDomain, ...(t.verifiedDomains ?? []).map((d) => d.toLowerCase())];
    const def = (t.defaultDomain ?? t.verifiedDomains?.[0] ?? this.initialDomain).toLowerCase();
    this.verifiedDomains = [...new Set(names)].map((name) => ({
      capabilities: name === this.initialDomain ? "Email, OfficeCommunicationsOnline" : "None",
      isDefault: name === def,
      isInitial: name === this.initialDomain,
      name,
      type: "Managed",
    }));
    this.options = mergeOptions(DEFAULT_OPTIONS, seed.options ?? {});
    this.features = { ...allFalse(), ...(seed.onPremisesSynchronization?.features ?? {}) };
    this.configuration = {
      accidentalDeletionPrevention: { alertThreshold: 500, synchronizationPreventionType: "enabledForCount" },
      ...(seed.onPremisesSynchronization?.configuration ?? {}),
    } as SyncConfiguration;
    this.org = {
      onPremisesSyncEnabled: seed.organization?.onPremisesSyncEnabled ?? null,
      onPremisesLastSyncDateTime: seed.organization?.onPremisesLastSyncDateTime ?? null,
    };
    for (const a of seed.applications ?? []) {
      const certificates = (a.certificates ?? []).map((c) => {
        const t2 = certificateThumbprints(c.pem);
        return {
          pem: c.pem,
          displayName: c.displayName ?? null,
          thumbprintSha1: t2.sha1,
          thumbprintSha256: t2.sha256,
          publicKey: createPublicKey(new X509Certificate(c.pem).publicKey.export({ format: "pem", type: "spki" })),
          endDateTime: c.endDateTime ?? new X509Certificate(c.pem).validTo,
        };
      });
      this.apps.set(a.appId.toLowerCase(), {
        displayName: a.displayName,
        appId: a.appId.toLowerCase(),
        servicePrincipalId: (a.servicePrincipalId ?? deterministicGuid(`${this.id}/${a.appId}`)).toLowerCase(),
        secrets: (a.clientSecrets ?? []).map((s) => ({
          value: s.value,
          displayName: s.displayName ?? null,
          endDateTime: s.endDateTime ?? null,
          hint: s.value.slice(0, 3),
        })),
        certificates,
        appRoles: a.appRoles ?? [],
        delegatedScopes: a.delegatedScopes,
        publicClient: a.publicClient ?? true,
        signInAudience: a.signInAudience ?? "AzureADMyOrg",
      });
    }
    for (const u of seed.users ?? []) this.addSeedUser(u);
    this.syncSource = seed.syncSource;
  }

  addSeedUser(u: SeedUser): void {
    const { id, dirSyncOverride, password, scopes, directoryRoles, ...props } = u;
    const data = blankUser(id?.toLowerCase());
    for (const [k, v] of Object.entries(props)) {
      if (!(k in USER_PROPS)) throw new Error(`unknown user property ${k}`);
      (data as Record<string, unknown>)[k] = v;
    }
    if (data.mailNickname === null) data.mailNickname = data.userPrincipalName.split("@")[0];
    this.users.add(data as GraphUser, {
      dirSyncOverride: dirSyncOverride ?? false,
      directoryRoles: (directoryRoles ?? []).map(resolveRole),
      signIn: password ? { password, scopes: scopes ?? [] } : undefined,
    });
  }

  /** True when `segment` (a path's tenant part) names this tenant: its id, initial domain or a verified domain. */
  matches(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.id || this.verifiedDomains.some((d) => d.name === s);
  }

  isVerifiedDomain(name: string): boolean {
    const n = name.toLowerCase();
    return this.verifiedDomains.some((d) => d.name === n);
  }

  getApp(appId: string): AppRegistration | undefined {
    return this.apps.get(appId.toLowerCase());
  }

  appView(a: AppRegistration): AppRegistrationView {
    return {
      displayName: a.displayName,
      appId: a.appId,
      servicePrincipalId: a.servicePrincipalId,
      secrets: a.secrets.map(({ displayName, endDateTime, hint }) => ({ displayName, endDateTime, hint })),
      certificates: a.certificates.map(({ displayName, thumbprintSha1, thumbprintSha256, endDateTime }) => ({
        displayName,
        thumbprintSha1,
        thumbprintSha256,
        endDateTime,
      })),
      appRoles: a.appRoles,
      delegatedScopes: a.delegatedScopes,
      publicClient: a.publicClient,
      signInAudience: a.signInAudience,
    };
  }

  /** The tenant's onPremisesDirectorySynchronization object (its id is the tenant id). */
  syncObject(): { id: string; configuration: SyncConfiguration; features: Features } {
    return {
      id: this.id,
      configuration: structuredClone(this.configuration),
      features: { ...this.features },
    };
  }

  organization(): Record<string, unknown> {
    return {
      id: this.id,
      deletedDateTime: null,
      assignedPlans: [],
      businessPhones: [],
      city: null,
      country: null,
      countryLetterCode: null,
      createdDateTime: this.createdDateTime,
      displayName: this.displayName,
      marketingNotificationEmails: [],
      onPremisesLastSyncDateTime: this.org.onPremisesLastSyncDateTime,
      onPremisesSyncEnabled: this.org.onPremisesSyncEnabled,
      postalCode: null,
      preferredLanguage: "en",
      securityComplianceNotificationMails: [],
      securityComplianceNotificationPhones: [],
      state: null,
      street: null,
      technicalNotificationMails: [],
      tenantType: "AAD",
      verifiedDomains: this.verifiedDomains.map((d) => ({ ...d })),
    };
  }
}

export function mergeOptions(base: TenantOptions, patch: TenantOptionsPatch): TenantOptions {
  return {
    ...base,
    ...patch,
    throttling: { ...base.throttling, ...(patch.throttling ?? {}) },
  };
}
