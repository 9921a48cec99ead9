/**
 * One gap-analysis run: read both sides at once, join, classify. Readers → join → classify; the reporters take the
 * GapResult from here. Delta mode (`deltaStatePath`, Graph only) is a round of its own around the same join:
 * deltaRound.ts.
 */
import { performance } from "node:perf_hooks";
import { createGraphConnection, type GraphClientOptions, type GraphConnection } from "../graph/client";
import { ConnectionSettingsError } from "../graph/connection";
import { adSourceName, openAdSource, readAdSource } from "./adSources";
import {
  deltaUsers,
  type EntraDelta,
  readEntraDelta,
  reusedAdSide,
  reuseLastResult,
  saveDeltaRound,
} from "./deltaRound";
import { readCloudManagedUsers, readSyncedUsers } from "./entra/graphReader";
import { readEntraJsonFileInWorker } from "./entra/jsonExportThread";
import { isSynced, toEntraUser } from "./entra/users";
import { errorText, GapInputError } from "./errors";
import { joinAndClassify } from "./join";
import { PhoneNormalizer } from "./phone";
import type { AdRecords } from "./records/ad";
import { EntraUsers } from "./records/entra";
import { type GapState, loadState, readResultRows } from "./state";
import { type EntraUser, type GapResult, type GapRunSpec, OTHER_MOBILE_NOTE, type SourceInfo } from "./types";
import { TOOL } from "./version";

export interface GapProgress {
  side: "ad" | "entra";
  users: number;
  pages: number;
  done: boolean;
}

export interface GapRunOptions {
  /** Where secrets are read from (AD bind password, Graph credentials). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Options for the Graph client (retry policy; a credential object in tests). */
  graph?: GraphClientOptions;
  /** A Graph connection to use instead of creating one (the gate shares its own). */
  graphConnection?: GraphConnection;
  onProgress?: (p: GapProgress) => void;
  /**
   * Graph full read only: also read the users moved to cloud management (onPremisesSyncEnabled null after the move,
   * so the synced-users filter leaves them out) and hand them to the join with `cloudManaged: true`
   * (graphReader.ts readCloudManagedUsers). Costs the pages of not-synced users plus one beta `$batch` per 20
   * candidates.
   */
  cloudManaged?: boolean;
}

interface AdSide {
  /** Undefined when the AD read was skipped (unchanged fingerprint): the users come from the snapshot. */
  users?: AdRecords;
  info: SourceInfo;
  ms: number;
  fingerprint?: string;
}

interface EntraSide {
  /** Full reads; undefined for a delta round (see `delta`). */
  users?: EntraUsers;
  delta?: EntraDelta;

  info: SourceInfo;
  ms: number;
  notes: string[];
  /** The Graph connection of a delta round (applyDelta names it in errors). */
  conn?: GraphConnection;
}

export function runGapAnalysis(spec: GapRunSpec, options: GapRunOptions = {}): Promise<GapResult> {
  return run(spec, options, true);
}

async function run(spec: GapRunSpec, options: GapRunOptions, useState: boolean): Promise<GapResult> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const region = spec.defaultRegion ?? "US";
  const includeInSync = spec.includeInSync ?? false;
  let phones: PhoneNormalizer;
  try {
    phones = new PhoneNormalizer(region);
  } catch (e) {
    throw new GapInputError("--default-region", errorText(e));
  }
  const statePath = spec.entra.kind === "graph" ? spec.entra.deltaStatePath : undefined;
  const notes: string[] = [];
  let state: GapState | undefined;
  if (statePath && useState) {
    try {
      state = loadState(statePath);
    } catch (e) {
      notes.push(`${errorText(e)}; this run read everything and wrote a new state.`);
    }
  }

  // A delta re-run most often finds nothing changed and reuses the last result: its rows are read meanwhile (the
  // file while the Graph client starts, the parse while the reads wait for Graph and the DC), and dropped unread
  // when the result cannot be reused.
  const lastRows = statePath && state?.result ? readResultRows(statePath, state.result.digest) : undefined;
  const abort = new AbortController();
  const adTask = readAd(spec, env, statePath ? state : undefined, Boolean(statePath), abort.signal, options);
  const entraTask = readEntra(spec, env, state, abort.signal, options);

  // Both sides run at once; the first failure stops the other (no partial data is ever analysed) and is the one
  // reported, under its own side's name (the other side then fails with the same error, through the abort).
  let first: { side: string; err: unknown } | undefined;
  const failFast = <T>(side: string, p: Promise<T>) =>
    p.catch((err) => {
      first ??= { side, err };
      abort.abort(err);
      throw err;
    });
  const settled = await Promise.allSettled([failFast(adSourceName(spec.ad), adTask), failFast("Entra ID", entraTask)]);
  if (first) {
    const { side, err } = first;
    if (err instanceof GapInputError) throw err;
    throw new GapInputError(side, errorText(err), undefined, { cause: err });
  }
  const ad = (settled[0] as PromiseFulfilledResult<AdSide>).value;
  const entra = (settled[1] as PromiseFulfilledResult<EntraSide>).value;
  notes.push(...entra.notes);

  const base = (): Omit<GapResult, "counts" | "totals" | "rows" | "timings"> => ({
    tool: { ...TOOL },
    generatedAt: new Date().toISOString(),
    defaultRegion: phones.region,
    includeInSync,
    inputs: { ad: ad.info, entra: entra.info },
    otherMobileNote: OTHER_MOBILE_NOTE,
    notes,
  });
  const timings = (joinMs: number) => ({
    adReadMs: Math.round(ad.ms),
    entraReadMs: Math.round(entra.ms),
    joinMs: Math.round(joinMs),
    totalMs: Math.round(performance.now() - started),
  });

  // Delta mode, nothing changed on either side: the last result stands.
  const d = entra.delta;
  const settings = { defaultRegion: phones.region, includeInSync };
  const reused =
    statePath && d ? await reuseLastResult(statePath, state, d, Boolean(ad.users), settings, lastRows) : undefined;
  if (reused) {
    entra.info.users = reused.totals.entraUsers;
    notes.push(
      `Nothing changed since ${state?.savedAt} (no Graph changes, AD source unchanged): the result of that run was reused.`,
    );
    return { ...base(), ...reused, timings: timings(0) };
  }

  // Otherwise: the users of both sides, from this run's reads and (delta mode) the snapshot.
  let adUsers: AdRecords | undefined = ad.users;
  let entraUsers: EntraUsers | EntraUser[] | undefined = entra.users;
  if (statePath && d) {
    const users = await deltaUsers(entra.conn as GraphConnection, statePath, state, d, ad.users);
    if (!users) {
      // The snapshot is gone or damaged: start over without state (the reads were cheap when it was skipped).
      notes.push("The delta snapshot was missing or unreadable: this run read everything again.");
      const again = await run(spec, options, false);
      return { ...again, notes: [...notes, ...again.notes] };
    }
    entraUsers = users.entra;
    adUsers = users.ad;
    entra.info.users = entraUsers.length;
    ad.info.users = users.ad.length;
  }
  const adList = adUsers as AdRecords;
  const entraList = entraUsers as EntraUsers | EntraUser[];

  const tJoin = performance.now();
  const joined = joinAndClassify(adList, entraList, phones, includeInSync);
  const joinMs = performance.now() - tJoin;
  const outOfSync = Object.entries(joined.counts).reduce((acc, [c, v]) => (c === "InSync" ? acc : acc + v), 0);
  const totals = {
    adUsers: adList.length,
    entraUsers: entraList.length,
    matched: joined.matched,
    outOfSync,
    rows: joined.rows.length,
    matchedBy: joined.matchedBy,
  };

  const digest =
    statePath && d
      ? await saveDeltaRound(statePath, d, ad.fingerprint, joined, totals, { entra: entraList, ad: adList }, settings)
      : undefined;
  return {
    ...base(),
    counts: joined.counts,
    totals,
    timings: timings(joinMs),
    rows: joined.rows,
    ...(digest ? { rowsDigest: digest } : {}),
  };
}

async function readAd(
  spec: GapRunSpec,
  env: NodeJS.ProcessEnv,
  state: GapState | undefined,
  delta: boolean,
  signal: AbortSignal,
  options: GapRunOptions,
): Promise<AdSide> {
  const t = performance.now();
  const name = adSourceName(spec.ad);
  let fingerprint: string | undefined;
  if (delta) {
    const check = await reusedAdSide(spec.ad, name, env, state);
    fingerprint = check.fingerprint;
    if (check.reused) {
      options.onProgress?.({ side: "ad", users: check.reused.users, pages: 0, done: true });
      return { info: check.reused, ms: performance.now() - t, fingerprint };
    }
  }
  const source = await openAdSource(spec.ad, env);
  const read = await readAdSource(source, name, {
    signal,
    onProgress: (p) => options.onProgress?.({ side: "ad", ...p }),
  });
  // The LDAP reader counts its search requests (round trips): reports and the benchmark show them.
  const stats = (source as { stats?: { requests?: unknown; method?: unknown; fallback?: unknown } }).stats;
  const searches = stats?.requests;
  return {
    users: read.users,
    info: {
      kind: spec.ad.kind,
      description: spec.ad.kind === "source" ? source.description : name,
      users: read.users.length,
      mode: spec.ad.kind === "ldap" ? "live" : spec.ad.kind === "source" ? "memory" : "export",
      pages: read.pages,
      ...(typeof searches === "number" ? { requests: searches } : {}),
      ...(stats?.method === "dirsync" || stats?.method === "paged" ? { method: stats.method } : {}),
      ...(typeof stats?.fallback === "string" ? { note: stats.fallback } : {}),
    },
    ms: performance.now() - t,
    fingerprint,
  };
}

async function readEntra(
  spec: GapRunSpec,
  env: NodeJS.ProcessEnv,
  state: GapState | undefined,
  signal: AbortSignal,
  options: GapRunOptions,
): Promise<EntraSide> {
  const t = performance.now();
  const e = spec.entra;
  if (e.kind === "users") {
    const users = EntraUsers.from(e.users.map((u, i) => toEntraUser(u, `/users/${i}`)).filter(isSynced));
    options.onProgress?.({ side: "entra", users: users.length, pages: 1, done: true });
    return {
      users,
      info: {
        kind: "users",
        description: `${e.users.length} Entra ID user objects handed in`,
        users: users.length,
        mode: "memory",
      },
      ms: performance.now() - t,
      notes: [],
    };
  }
  if (e.kind === "json") {
    // In a worker thread for a large file: the scan would otherwise hold up the AD read, which runs at the same time.
    const x = await readEntraJsonFileInWorker(e.path, { signal });
    options.onProgress?.({ side: "entra", users: x.users.length, pages: 1, done: true });
    return { users: x.users, info: x.info, ms: performance.now() - t, notes: x.notes };
  }
  let conn: GraphConnection;
  try {
    conn = options.graphConnection ?? createGraphConnection(e.connection, { env, ...options.graph });
  } catch (err) {
    if (err instanceof ConnectionSettingsError) throw new GapInputError("Entra ID (Graph)", errorText(err));
    throw new GapInputError("Entra ID (Graph)", errorText(err), undefined, { cause: err });
  }
  const before = conn.stats.requests;
  const onProgress = (p: { users: number; pages: number; done: boolean }) =>
    options.onProgress?.({ side: "entra", ...p });
  const base = `Microsoft Graph ${conn.baseUrl} (tenant ${conn.settings.tenantId})`;
  if (!e.deltaStatePath) {
    const users = await readSyncedUsers(conn, { signal, onProgress });
    const notes: string[] = [];
    if (options.cloudManaged) {
      const cm = await readCloudManagedUsers(conn, { signal });
      if (cm.unconfirmed) notes.push(`${cm.unconfirmed}; they are left out of this report.`);
      else for (const u of cm.users) users.push(u);
    }
    return {
      users,
      info: {
        kind: "graph",
        description: `${base}: GET /users?$filter=onPremisesSyncEnabled eq true`,
        users: users.length,
        mode: "live",
        requests: conn.stats.requests - before,
      },
      ms: performance.now() - t,
      notes,
    };
  }
  const round = await readEntraDelta(conn, e.deltaStatePath, state, {
    signal,
    onProgress,
    before,
    description: base,
  });
  return { conn, ...round, ms: performance.now() - t };
}
