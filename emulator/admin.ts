/**
 * Admin API of the local tenant, under `/_emulator`, protected by the admin key (header `x-emulator-admin-key`).
 * Product code never calls it: tests, the demo and people rehearsing a change do (see AdminClient).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { describeSyncSource } from "./adSource";
import type { AuditActor } from "./audit";
import type { PolicyType } from "./entraConnect";
import { GraphError } from "./errors";
import { setCloudManaged } from "./graph/onPremisesSyncBehavior";
import { knownFeatureNames, syncObjectView } from "./graph/onPremisesSynchronization";
import { approveDeviceCode } from "./identity/deviceCode";
import type { FaultRuleInput } from "./limits";
import type { SeedUser } from "./seed/types";
import { SeedValidationError, validateOptions, validateSeed, validateSyncSource } from "./seed/validate";
import type { EmulatorState } from "./state";
import { blankUser, checkUserValue, flat, type GraphUser, USER_PROPS, type UserRecord } from "./users";

export interface AdminDeps {
  state: EmulatorState;
  adminKey: string;
  info: () => { baseUrl: string; caCertPath: string };
}

/** A user as the admin API shows it: Graph properties plus emulator flags (never passwords). */
export interface AdminUserView {
  user: Record<string, unknown>;
  dirSyncOverride: boolean;
  /** Source of authority in the cloud (beta onPremisesSyncBehavior.isCloudManaged). */
  cloudManaged: boolean;
  directoryRoles: string[];
  canSignIn: boolean;
  delegatedScopes: string[];
  changeSeq: number;
}

export function adminUserView(r: UserRecord): AdminUserView {
  return {
    user: { ...r.data },
    dirSyncOverride: r.dirSyncOverride,
    cloudManaged: r.cloudManaged === true,
    directoryRoles: r.directoryRoles,
    canSignIn: r.signIn !== undefined,
    delegatedScopes: r.signIn?.scopes ?? [],
    changeSeq: r.changeSeq,
  };
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

function keyMatches(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface GenerateUsersSpec {
  count: number;
  /** UPN prefix (default "user"): users are `<prefix><n>@<domain>`. */
  prefix?: string;
  /** UPN domain (default: the tenant's default domain). */
  domain?: string;
  /** Make them synced users (onPremises* filled, onPremisesSyncEnabled true). Default true. */
  synced?: boolean;
  /** Give every user a mobile number. Default true. */
  mobile?: boolean;
  /** First number (default: 1). */
  start?: number;
}

/** Makes `count` users quickly (benchmarks): ids, UPNs, names, and on-prem attributes for synced ones. */
export function generateUsers(state: EmulatorState, spec: GenerateUsersSpec): number {
  const tenant = state.tenant;
  const domain = (
    spec.domain ??
    tenant.verifiedDomains.find((d) => d.isDefault)?.name ??
    tenant.initialDomain
  ).toLowerCase();
  const prefix = spec.prefix ?? "user";
  const synced = spec.synced ?? true;
  const mobile = spec.mobile ?? true;
  const start = spec.start ?? 1;
  const now = new Date().toISOString();
  const adDomain = domain
    .split(".")
    .map((p) => `DC=${p}`)
    .join(",");
  let added = 0;
  for (let n = start; n < start + spec.count; n++) {
    const alias = flat(`${prefix}${n}`);
    const upn = flat(`${alias}@${domain}`);
    if (tenant.users.upnTaken(upn)) continue;
    const data = blankUser(undefined, now);
    data.userPrincipalName = upn;
    data.displayName = flat(`User ${n}`);
    data.givenName = "User";
    data.surname = flat(String(n));
    data.mail = upn;
    data.mailNickname = alias;
    if (mobile) data.mobilePhone = flat(`+1 555 ${String(n % 10_000_000).padStart(7, "0")}`);
    if (synced) {
      const guid = createHash("md5").update(`${tenant.id}/${upn}`).digest();
      data.onPremisesImmutableId = guid.toString("base64");
      data.onPremisesSecurityIdentifier = flat(`S-1-5-21-1004336348-1177238915-682003330-${1000 + n}`);
      data.onPremisesSamAccountName = alias.length > 20 ? flat(alias.slice(0, 20)) : alias;
      data.onPremisesDistinguishedName = flat(`CN=${alias},OU=Users,${adDomain}`);
      data.onPremisesUserPrincipalName = upn;
      data.onPremisesDomainName = domain;
      data.onPremisesSyncEnabled = true;
      data.onPremisesLastSyncDateTime = now;
    }
    tenant.users.add(data as GraphUser);
    added++;
  }
  return added;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { state } = deps;
  const bigBody = { bodyLimit: 512 * 1024 * 1024 };

  app.addHook("onRequest", async (req) => {
    if (req.url.endsWith("/_emulator/health")) return;
    if (!keyMatches(req.headers["x-emulator-admin-key"], deps.adminKey)) {
      throw new AdminError(401, "Unauthorized", "missing or wrong x-emulator-admin-key header");
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof AdminError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if (err instanceof SeedValidationError) {
      return reply.code(400).send({ error: { code: "InvalidSeed", message: err.message, details: err.errors } });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply
      .code(status)
      .send({ error: { code: status === 500 ? "InternalError" : "BadRequest", message: err.message } });
  });

  const findUser = (key: string): UserRecord => {
    const r = state.tenant.users.find(key);
    if (!r) throw new AdminError(404, "NotFound", `no user '${key}'`);
    return r;
  };

  /**
   * Who an out-of-band change is made as (it is what the audit record names): `{userPrincipalName}` of a tenant user,
   * `{appId}` of an app registration, or, without `as`, the admin API itself (an app named so).
   */
  const actorFrom = (as: unknown): AuditActor => {
    if (as === undefined || as === null) {
      return {
        kind: "app",
        appId: "00000000-0000-0000-0000-00000000e1e1",
        displayName: "syncgap local tenant admin API",
        servicePrincipalId: "00000000-0000-0000-0000-00000000e1e1",
      };
    }
    const a = as as { userPrincipalName?: unknown; appId?: unknown };
    if (typeof a.userPrincipalName === "string") {
      const u = findUser(a.userPrincipalName);
      return {
        kind: "user",
        id: u.data.id,
        displayName: (u.data.displayName as string | null) ?? null,
        userPrincipalName: u.data.userPrincipalName,
      };
    }
    if (typeof a.appId === "string") {
      const app = state.tenant.getApp(a.appId);
      if (!app) throw new AdminError(404, "NotFound", `no app '${a.appId}'`);
      return {
        kind: "app",
        appId: app.appId,
        displayName: app.displayName,
        servicePrincipalId: app.servicePrincipalId,
      };
    }
    throw new AdminError(400, "BadRequest", "'as' needs userPrincipalName or appId");
  };

  app.get("/health", async () => ({ status: "ok" }));

  app.get("/info", async () => {
    const t = state.tenant;
    const { baseUrl, caCertPath } = deps.info();
    return {
      baseUrl,
      authorityHost: baseUrl,
      graphBaseUrl: `${baseUrl}/v1.0`,
      caCertPath,
      tenantId: t.id,
      displayName: t.displayName,
      initialDomain: t.initialDomain,
      verifiedDomains: t.verifiedDomains.map((d) => d.name),
      users: t.users.size,
      applications: [...t.apps.values()].map((a) => t.appView(a)),
      options: t.options,
      syncSource: describeSyncSource(t.syncSource),
    };
  });

  app.post("/seed", bigBody, async (req) => {
    const seed = validateSeed(req.body);
    state.seed(seed);
    return { tenantId: state.tenant.id, users: state.tenant.users.size };
  });

  app.post("/reset", async () => {
    state.reset();
    return { tenantId: state.tenant.id, users: state.tenant.users.size };
  });

  app.get("/options", async () => state.tenant.options);
  app.patch("/options", async (req) => state.setOptions(validateOptions(req.body ?? {})));

  app.get("/apps", async () => [...state.tenant.apps.values()].map((a) => state.tenant.appView(a)));

  app.get("/users", async (req) => {
    const q = req.query as { offset?: string; limit?: string; synced?: string };
    const offset = Number(q.offset ?? 0) || 0;
    const limit = Math.min(Number(q.limit ?? 1000) || 1000, 100_000);
    let list = state.tenant.users.list;
    if (q.synced === "true") list = list.filter((r) => r.data.onPremisesSyncEnabled === true);
    return { total: list.length, users: list.slice(offset, offset + limit).map(adminUserView) };
  });

  app.get("/users/:key", async (req) => adminUserView(findUser((req.params as { key: string }).key)));

  app.post("/users", bigBody, async (req) => {
    const body = (req.body ?? {}) as { users?: SeedUser[]; generate?: GenerateUsersSpec };
    if (body.generate) {
      const g = body.generate;
      if (!Number.isInteger(g.count) || g.count < 1 || g.count > 2_000_000) {
        throw new AdminError(400, "BadRequest", "generate.count must be an integer 1–2,000,000");
      }
      return { added: generateUsers(state, g), total: state.tenant.users.size };
    }
    if (!Array.isArray(body.users))
      throw new AdminError(400, "BadRequest", "body needs 'users' (seed users) or 'generate'");
    const t = state.tenant;
    // validate with the seed schema (tenant part is irrelevant here)
    validateSeed({
      tenant: { id: t.id, displayName: t.displayName, initialDomain: t.initialDomain },
      users: body.users,
    });
    for (const u of body.users) {
      if (t.users.upnTaken(u.userPrincipalName))
        throw new AdminError(409, "Conflict", `user ${u.userPrincipalName} exists`);
    }
    for (const u of body.users) t.addSeedUser(u);
    return { added: body.users.length, total: t.users.size };
  });

  /** Direct edit without Graph's rules (test setup): Graph properties and/or `dirSyncOverride`. */
  app.patch("/users/:key", async (req) => {
    const rec = findUser((req.params as { key: string }).key);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === "dirSyncOverride" || k === "cloudManaged" || k === "as") continue;
      if (!(k in USER_PROPS) || k === "id")
        throw new AdminError(400, "BadRequest", `unknown or fixed user property '${k}'`);
      try {
        checkUserValue(k, v);
      } catch (e) {
        throw new AdminError(400, "BadRequest", (e as Error).message);
      }
      patch[k] = v;
    }
    state.tenant.users.update(rec, patch);
    if (typeof body.dirSyncOverride === "boolean" && body.dirSyncOverride !== rec.dirSyncOverride) {
      rec.dirSyncOverride = body.dirSyncOverride;
      state.tenant.users.touch(rec);
    }
    if (body.cloudManaged !== undefined) {
      if (typeof body.cloudManaged !== "boolean")
        throw new AdminError(400, "BadRequest", "cloudManaged must be boolean");
      try {
        setCloudManaged(state, rec, body.cloudManaged, actorFrom(body.as));
      } catch (e) {
        if (e instanceof GraphError) throw new AdminError(400, "BadRequest", e.message);
        throw e;
      }
    }
    return adminUserView(rec);
  });

  app.delete("/users/:key", async (req, reply) => {
    state.tenant.users.remove(findUser((req.params as { key: string }).key));
    return reply.code(204).send();
  });

  app.get("/sync-object", async () => syncObjectView(state));

  /**
   * Changes sync features out of band, as a named user or app (`as`), the way an admin in the portal or PowerShell
   * would: merged into the features, with the "Set DirSync feature" audit record naming them. Names must be known to
   * the tenant (Microsoft's 20 plus options.additionalFeatureNames).
   */
  app.post("/sync-object/features", async (req) => {
    const body = (req.body ?? {}) as { features?: Record<string, unknown>; as?: unknown };
    if (!body.features || typeof body.features !== "object" || Array.isArray(body.features)) {
      throw new AdminError(400, "BadRequest", "body needs 'features': {name: boolean}");
    }
    const known = new Set(knownFeatureNames(state));
    const changes: Record<string, boolean | null> = {};
    for (const [k, v] of Object.entries(body.features)) {
      if (!known.has(k)) {
        throw new AdminError(
          400,
          "BadRequest",
          `unknown feature '${k}' (add it to options.additionalFeatureNames first)`,
        );
      }
      if (v !== null && typeof v !== "boolean")
        throw new AdminError(400, "BadRequest", `feature '${k}' must be boolean or null`);
      changes[k] = v as boolean | null;
    }
    state.changeFeatures(changes, actorFrom(body.as));
    return syncObjectView(state);
  });

  app.get("/audit", async () => state.audit.records);

  app.get("/clock", async () => ({
    offsetSeconds: state.clockOffsetSeconds(),
    now: new Date(state.now()).toISOString(),
  }));
  /** Moves the clock that delta tokens and audit records use (access tokens keep real time). */
  app.post("/clock/advance", async (req) => {
    const seconds = (req.body as { seconds?: unknown } | undefined)?.seconds;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw new AdminError(400, "BadRequest", "body needs 'seconds': a number ≥ 0");
    }
    state.advanceClock(seconds);
    return { offsetSeconds: state.clockOffsetSeconds(), now: new Date(state.now()).toISOString() };
  });
  /** Entra's "synchronization reset": every delta token issued so far is answered 410 Gone. */
  app.post("/delta/reset", async () => {
    state.tenant.users.deltaEpoch++;
    return { deltaEpoch: state.tenant.users.deltaEpoch };
  });
  app.get("/organization", async () => state.tenant.organization());

  app.get("/sync-source", async () => ({ source: describeSyncSource(state.tenant.syncSource) }));
  app.put("/sync-source", bigBody, async (req) => {
    state.setSyncSource(validateSyncSource(req.body));
    return { source: describeSyncSource(state.tenant.syncSource) };
  });
  app.delete("/sync-source", async (_req, reply) => {
    state.setSyncSource(undefined);
    return reply.code(204).send();
  });

  /** Start-ADSyncSyncCycle -PolicyType Delta|Initial */
  app.post("/sync", async (req) => {
    const body = (req.body ?? {}) as { policyType?: string };
    const policyType = (body.policyType ?? "Delta") as PolicyType;
    if (policyType !== "Delta" && policyType !== "Initial")
      throw new AdminError(400, "BadRequest", "policyType must be Delta or Initial");
    if (!state.hasSyncSource())
      throw new AdminError(409, "NoSyncSource", "no sync source configured (PUT /_emulator/sync-source)");
    try {
      return await state.sync(policyType);
    } catch (e) {
      throw new AdminError(502, "SyncFailed", `sync cycle failed: ${(e as Error).message}`);
    }
  });
  app.get("/sync/last", async () => ({ result: state.lastSync ?? null, error: state.lastSyncError ?? null }));

  app.get("/faults", async () => state.faults.list());
  app.post("/faults", async (req) => {
    const b = (req.body ?? {}) as FaultRuleInput;
    if (typeof b.path !== "string" || !b.path)
      throw new AdminError(400, "BadRequest", "fault needs 'path' (a glob like /v1.0/users*)");
    if (!["status", "latency", "drop"].includes(b.kind))
      throw new AdminError(400, "BadRequest", "fault 'kind' must be status, latency or drop");
    if (b.probability !== undefined && (typeof b.probability !== "number" || b.probability < 0 || b.probability > 1)) {
      throw new AdminError(400, "BadRequest", "probability must be 0–1");
    }
    if (b.count !== undefined && (!Number.isInteger(b.count) || b.count < 1))
      throw new AdminError(400, "BadRequest", "count must be a positive integer");
    if (b.status !== undefined && (!Number.isInteger(b.status) || b.status < 400 || b.status > 599)) {
      throw new AdminError(400, "BadRequest", "status must be 400–599");
    }
    return state.faults.add(b);
  });
  app.delete("/faults", async (_req, reply) => {
    state.faults.clear();
    return reply.code(204).send();
  });
  app.delete("/faults/:id", async (req, reply) => {
    if (!state.faults.remove((req.params as { id: string }).id)) throw new AdminError(404, "NotFound", "no such fault");
    return reply.code(204).send();
  });

  app.get("/requests", async (req) => {
    const q = req.query as { method?: string; pathPrefix?: string; area?: string; since?: string };
    return state.log.list({
      method: q.method,
      pathPrefix: q.pathPrefix,
      area: q.area,
      sinceSeq: q.since ? Number(q.since) : undefined,
    });
  });
  app.delete("/requests", async (_req, reply) => {
    state.log.clear();
    return reply.code(204).send();
  });

  app.get("/device-codes", async () =>
    [...state.deviceCodes.values()].map((d) => ({
      userCode: d.userCode,
      clientId: d.clientId,
      scopes: d.scopes,
      expiresAt: new Date(d.expiresAt).toISOString(),
      approvedUserId: d.userId ?? null,
      denied: d.denied ?? false,
    })),
  );
  app.post("/device-codes/approve", async (req) => {
    const b = (req.body ?? {}) as { userCode?: string; userPrincipalName?: string };
    if (!b.userCode || !b.userPrincipalName)
      throw new AdminError(400, "BadRequest", "needs userCode and userPrincipalName");
    try {
      const dc = approveDeviceCode(state, b.userCode, b.userPrincipalName);
      return { userCode: dc.userCode, approvedUserId: dc.userId };
    } catch (e) {
      throw new AdminError(404, "NotFound", (e as Error).message);
    }
  });
  app.post("/device-codes/deny", async (req) => {
    const b = (req.body ?? {}) as { userCode?: string };
    const code = (b.userCode ?? "").replace(/[\s-]/g, "").toUpperCase();
    const dc = [...state.deviceCodes.values()].find((d) => d.userCode === code);
    if (!dc) throw new AdminError(404, "NotFound", `no pending device code '${b.userCode ?? ""}'`);
    dc.denied = true;
    return { userCode: dc.userCode, denied: true };
  });
}
