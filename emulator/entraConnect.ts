/**
 * Directory sync as Entra Connect does it, reduced to users: read the on-prem directory from an AdSource and create or
 * update synced users, matching cloud objects by source anchor (`onPremisesImmutableId`).
 *
 * Rules modelled (sources in docs/emulator.md):
 * - Source anchor: `AdUser.immutableId`, else base64 of mS-DS-ConsistencyGuid, else of objectGUID
 *   (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts#sourceanchor).
 * - UPN: a suffix that is not a verified domain becomes `<alias>@<initial domain>` (…onmicrosoft.com)
 *   (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname).
 * - Soft match on UPN for cloud-only users unless `blockSoftMatchEnabled`; hard match of a cloud-managed object is
 *   refused when `blockCloudObjectTakeoverThroughHardMatchEnabled`.
 * - mobilePhone: a user with a DirSync override (mobile edited in the cloud) keeps the cloud value unless the tenant's
 *   `bypassDirSyncOverridesEnabled` is true, in which case AD's value wins and the override is cleared
 *   (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides).
 * - Delta cycles only process AD objects that changed since the last cycle that touched them; Initial (full) cycles
 *   process all. So turning the bypass on fixes unchanged users only after an Initial cycle, as Microsoft advises.
 * - A user whose source of authority was moved to the cloud (beta onPremisesSyncBehavior.isCloudManaged) gets no AD
 *   updates at all: Connect Sync logs event 6956 and skips it
 *   (https://learn.microsoft.com/entra/identity/hybrid/how-to-user-source-of-authority-configure). After a rollback
 *   (isCloudManaged back to false) the next cycle takes the object over again, whatever the hard-match protection says.
 * - Synced users missing from AD are kept (default) or soft-deleted (option `syncDeletions`), subject to accidental
 *   deletion prevention (`configuration.accidentalDeletionPrevention`, count threshold).
 */
import { createHash, randomInt } from "node:crypto";
import { immutableIdFromGuidString } from "../ad/ids";
import type { AdSource, AdUser } from "../ad/types";
import type { Tenant } from "./tenant";
import { blankUser, type GraphUser, type UserRecord } from "./users";

export type PolicyType = "Delta" | "Initial";

export interface SyncResult {
  policyType: PolicyType;
  source: string;
  startedAt: string;
  finishedAt: string;
  /** AD users read. */
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Delta cycle: AD objects unchanged since they were last synced (not processed). */
  skippedUnchangedInAd: number;
  /** Users whose cloud mobilePhone was kept over a differing AD value because of a DirSync override. */
  mobileKeptByOverride: number;
  /** DirSync overrides cleared because bypassDirSyncOverridesEnabled was on. */
  overridesCleared: number;
  /** UPNs rewritten to the initial domain because their suffix is not verified. */
  upnRewritten: number;
  softMatched: number;
  /** AD users whose Entra object is cloud-managed: not synced (Connect Sync's event 6956). */
  skippedCloudManaged: number;
  /** Synced users in Entra that the source no longer has. */
  notInSource: number;
  softDeleted: number;
  /** Deletions withheld by accidental deletion prevention. */
  deletionsPrevented: number;
  errors: { distinguishedName: string; reason: string }[];
}

/** Entra Connect's source anchor for an AD user, as `onPremisesImmutableId`. */
export function sourceAnchor(u: AdUser): string | undefined {
  if (u.immutableId) return u.immutableId;
  if (u.consistencyGuid) return immutableIdFromGuidString(u.consistencyGuid);
  if (u.objectGuid) return immutableIdFromGuidString(u.objectGuid);
  return undefined;
}

function domainFromDn(dn: string): string | null {
  const parts = dn
    .split(/,(?=(?:[^\\]|\\\\)*$)/)
    .map((p) => p.trim())
    .filter((p) => /^dc=/i.test(p))
    .map((p) => p.slice(3));
  return parts.length ? parts.join(".").toLowerCase() : null;
}

function adFingerprint(u: AdUser): string {
  return createHash("sha1")
    .update(
      JSON.stringify([
        u.distinguishedName,
        u.userPrincipalName,
        u.sAMAccountName,
        u.displayName,
        u.mobile,
        u.enabled,
        u.objectSid,
        u.immutableId,
        u.consistencyGuid,
        u.objectGuid,
        // Last and only when set, so users without one keep the fingerprint they had before department was synced.
        ...(u.department !== undefined ? [u.department] : []),
      ]),
    )
    .digest("base64");
}

export async function runSyncCycle(tenant: Tenant, source: AdSource, policyType: PolicyType): Promise<SyncResult> {
  const startedAt = new Date().toISOString();
  const r: SyncResult = {
    policyType,
    source: source.description,
    startedAt,
    finishedAt: startedAt,
    read: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skippedUnchangedInAd: 0,
    mobileKeptByOverride: 0,
    overridesCleared: 0,
    upnRewritten: 0,
    softMatched: 0,
    skippedCloudManaged: 0,
    notInSource: 0,
    softDeleted: 0,
    deletionsPrevented: 0,
    errors: [],
  };
  const store = tenant.users;
  const f = tenant.features;
  const seen = new Set<string>();

  const processUser = (ad: AdUser) => {
    r.read++;
    const anchor = sourceAnchor(ad);
    if (!anchor) {
      r.errors.push({
        distinguishedName: ad.distinguishedName,
        reason: "no source anchor (objectGUID/mS-DS-ConsistencyGuid)",
      });
      return;
    }
    seen.add(anchor);
    const hash = adFingerprint(ad);
    let rec = store.getByImmutableId(anchor);
    if (rec?.cloudManaged) {
      r.skippedCloudManaged++;
      return;
    }
    const takeover = rec?.soaRollbackPending === true;
    if (rec && !takeover && policyType === "Delta" && rec.adHash === hash) {
      r.skippedUnchangedInAd++;
      return;
    }
    if (
      rec &&
      !takeover &&
      rec.data.onPremisesSyncEnabled !== true &&
      f.blockCloudObjectTakeoverThroughHardMatchEnabled
    ) {
      r.errors.push({
        distinguishedName: ad.distinguishedName,
        reason: "hard match of a cloud-managed object blocked (blockCloudObjectTakeoverThroughHardMatchEnabled)",
      });
      return;
    }

    const adUpn =
      ad.userPrincipalName ?? (ad.sAMAccountName ? `${ad.sAMAccountName}@${tenant.initialDomain}` : undefined);
    if (!adUpn?.includes("@")) {
      r.errors.push({ distinguishedName: ad.distinguishedName, reason: "no userPrincipalName or sAMAccountName" });
      return;
    }
    const at = adUpn.lastIndexOf("@");
    const alias = adUpn.slice(0, at);
    const suffix = adUpn.slice(at + 1);
    let upn = adUpn;
    if (!tenant.isVerifiedDomain(suffix)) {
      upn = `${alias}@${tenant.initialDomain}`;
      r.upnRewritten++;
    }

    if (!rec) {
      // soft match: a cloud-only user with the same UPN
      const candidate = store.getByUpn(upn);
      if (candidate && candidate.data.onPremisesSyncEnabled !== true && !candidate.data.onPremisesImmutableId) {
        if (f.blockSoftMatchEnabled) {
          r.errors.push({
            distinguishedName: ad.distinguishedName,
            reason: `soft match to ${upn} blocked (blockSoftMatchEnabled)`,
          });
          return;
        }
        rec = candidate;
        r.softMatched++;
      }
    }
    if (store.upnTaken(upn, rec)) {
      // Entra ID resolves UPN conflicts by adding 4 random digits to the prefix in the initial domain.
      upn = `${alias}${randomInt(1000, 10000)}@${tenant.initialDomain}`;
    }

    const desired: Record<string, unknown> = {
      userPrincipalName: upn,
      displayName: ad.displayName ?? ad.sAMAccountName ?? alias,
      department: ad.department ?? null,
      accountEnabled: ad.enabled,
      mailNickname: ad.sAMAccountName ?? alias,
      onPremisesImmutableId: anchor,
      onPremisesSecurityIdentifier: ad.objectSid ?? null,
      onPremisesSamAccountName: ad.sAMAccountName ?? null,
      onPremisesDistinguishedName: ad.distinguishedName,
      onPremisesUserPrincipalName: ad.userPrincipalName ?? null,
      onPremisesDomainName: domainFromDn(ad.distinguishedName),
      onPremisesSyncEnabled: true,
    };
    const adMobile = ad.mobile ?? null;
    let clearOverride = false;
    if (rec?.dirSyncOverride) {
      if (f.bypassDirSyncOverridesEnabled) {
        desired.mobilePhone = adMobile;
        clearOverride = true;
      } else if (rec.data.mobilePhone !== adMobile) {
        r.mobileKeptByOverride++;
      }
    } else {
      desired.mobilePhone = adMobile;
    }

    const now = new Date().toISOString();
    if (!rec) {
      const data = blankUser();
      Object.assign(data, desired, { onPremisesLastSyncDateTime: now });
      store.add(data as GraphUser, { adHash: hash });
      r.created++;
      return;
    }
    const changed = store.update(rec, desired);
    if (takeover) rec.soaRollbackPending = false;
    if (clearOverride) {
      rec.dirSyncOverride = false;
      r.overridesCleared++;
      if (!changed) store.touch(rec);
    }
    if (changed || clearOverride) {
      rec.data.onPremisesLastSyncDateTime = now;
      r.updated++;
    } else {
      r.unchanged++;
    }
    rec.adHash = hash;
  };

  for await (const page of source.pages()) {
    for (const ad of page) processUser(ad);
  }

  // Synced users the source no longer has.
  const missing: UserRecord[] = [];
  for (const rec of store.list) {
    const imm = rec.data.onPremisesImmutableId;
    if (rec.data.onPremisesSyncEnabled === true && typeof imm === "string" && !seen.has(imm)) missing.push(rec);
  }
  r.notInSource = missing.length;
  if (tenant.options.syncDeletions === "softDelete" && missing.length) {
    const adp = tenant.configuration.accidentalDeletionPrevention;
    const threshold = adp?.synchronizationPreventionType === "enabledForCount" ? (adp.alertThreshold ?? 500) : null;
    if (threshold !== null && missing.length > threshold) {
      r.deletionsPrevented = missing.length;
    } else {
      for (const rec of missing) store.remove(rec);
      r.softDeleted = missing.length;
    }
  }

  r.finishedAt = new Date().toISOString();
  tenant.org.onPremisesLastSyncDateTime = r.finishedAt;
  tenant.org.onPremisesSyncEnabled = true;
  return r;
}
