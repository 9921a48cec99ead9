/**
 * The local Entra ID tenant server: one HTTPS listener on 127.0.0.1 serving the identity platform (authority), Microsoft
 * Graph v1.0 and the admin API (`/_emulator/…`), and `startEmulator()`, its programmatic entry point. What every request
 * goes through is ./requestPipeline.ts, the Graph routes and `$batch` ./graphRoutes.ts, the TLS material ./tls.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { registerAdminRoutes } from "../admin";
import { AdminClient } from "../adminClient";
import { registerIdentityRoutes } from "../identity";
import type { Seed, TenantOptionsPatch } from "../seed/types";
import { loadSeedFile, validateSeed } from "../seed/validate";
import { EmulatorState } from "../state";
import { loadOrCreateSigningKey, TokenService } from "../tokens";
import { registerGraphRoutes } from "./graphRoutes";
import { registerRequestPipeline } from "./requestPipeline";
import { loadTls } from "./tls";

export const DEFAULT_SEED_PATH = resolve(__dirname, "..", "seeds", "contoso.json");
export const ADMIN_KEY_HEADER = "x-emulator-admin-key";

export interface StartEmulatorOptions {
  /** Port on 127.0.0.1 (0 or absent: a free port). */
  port?: number;
  /** A seed object or the path of a seed JSON file (default: emulator/seeds/contoso.json). */
  seed?: Seed | string;
  /** Keep the CA, its key and the token signing key here, so clients trust the same CA across restarts. */
  stateDir?: string;
  /** Use this CA (it issues the server certificate) or this ready server certificate instead of making a CA. */
  tls?: { caCertPem: string; caKeyPem: string } | { certPem: string; keyPem: string; caPem: string };
  /** Shortcut for options.tokenLifetimeSeconds. */
  tokenLifetimeSeconds?: number;
  /** Tenant options over the seed's. */
  options?: TenantOptionsPatch;
  /** Admin key (default: random). */
  adminKey?: string;
  /** Informational log lines (never secrets). */
  log?: (line: string) => void;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:PORT` */
  baseUrl: string;
  /** The authority host for @azure/identity (`authorityHost`): same as baseUrl. */
  authorityHost: string;
  /** `https://127.0.0.1:PORT/v1.0` */
  graphBaseUrl: string;
  hostName: string;
  port: number;
  /** File holding the CA certificate (PEM) that clients must trust. */
  caCertPath: string;
  caPem: string;
  /** Id of the tenant currently served (changes when a different seed is loaded). */
  readonly tenantId: string;
  adminKey: string;
  admin: AdminClient;
  /** In-process access to the tenant (tests); other processes use `admin`. */
  state: EmulatorState;
  stop(): Promise<void>;
}

function resolveSeed(opts: StartEmulatorOptions): Seed {
  const base =
    opts.seed === undefined
      ? loadSeedFile(DEFAULT_SEED_PATH)
      : typeof opts.seed === "string"
        ? loadSeedFile(opts.seed)
        : validateSeed(structuredClone(opts.seed));
  const options: TenantOptionsPatch = { ...(base.options ?? {}), ...(opts.options ?? {}) };
  if (opts.options?.throttling || base.options?.throttling) {
    options.throttling = { ...(base.options?.throttling ?? {}), ...(opts.options?.throttling ?? {}) };
  }
  if (opts.tokenLifetimeSeconds !== undefined) options.tokenLifetimeSeconds = opts.tokenLifetimeSeconds;
  return validateSeed({ ...base, options });
}

/** Starts the local tenant on 127.0.0.1 over HTTPS. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const log = opts.log ?? (() => {});
  const seed = resolveSeed(opts);
  const ownsDir = !opts.stateDir;
  const dir = opts.stateDir ? resolve(opts.stateDir) : mkdtempSync(join(tmpdir(), "syncgap-emulator-"));
  mkdirSync(dir, { recursive: true });
  const tls = await loadTls(opts, dir);
  const caCertPath = join(dir, "ca.pem");
  writeFileSync(caCertPath, tls.caPem);
  chmodSync(caCertPath, 0o644);
  const key = await loadOrCreateSigningKey(opts.stateDir ? join(dir, "signing-key.json") : undefined);
  const state = new EmulatorState(seed, new TokenService(key));
  const adminKey = opts.adminKey ?? randomBytes(24).toString("base64url");

  const app = Fastify({
    https: { key: tls.keyPem, cert: tls.certPem },
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  let port = 0;
  const origins = () => [`https://127.0.0.1:${port}`, `https://localhost:${port}`, `https://[::1]:${port}`];
  const originOf = (req: FastifyRequest): string => {
    const o = `https://${req.headers.host ?? ""}`.toLowerCase();
    return origins().includes(o) ? o : `https://127.0.0.1:${port}`;
  };

  registerRequestPipeline(app, { state, originOf });
  registerGraphRoutes(app, { state, originOf, port: () => port });

  registerIdentityRoutes(app, { state, originOf, origins });
  await app.register(
    async (scope) => {
      registerAdminRoutes(scope, {
        state,
        adminKey,
        info: () => ({ baseUrl: `https://127.0.0.1:${port}`, caCertPath }),
      });
    },
    { prefix: "/_emulator" },
  );

  await app.listen({ port: opts.port ?? 0, host: "127.0.0.1" });
  const addr = app.server.address();
  port = typeof addr === "object" && addr ? addr.port : 0;
  const baseUrl = `https://127.0.0.1:${port}`;
  log(`local tenant ${state.tenant.displayName} (${state.tenant.id}) listening on ${baseUrl}`);

  let stopped = false;
  return {
    baseUrl,
    authorityHost: baseUrl,
    graphBaseUrl: `${baseUrl}/v1.0`,
    hostName: "127.0.0.1",
    port,
    caCertPath,
    caPem: tls.caPem,
    get tenantId() {
      return state.tenant.id;
    },
    adminKey,
    admin: new AdminClient(baseUrl, adminKey, { ca: tls.caPem }),
    state,
    async stop() {
      if (stopped) return;
      stopped = true;
      state.close();
      await app.close();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
