/**
 * The delta round of a gap run (`deltaStatePath`, Graph only), next to the full read in run.ts: Entra ID is read with
 * `/users/delta` from the saved deltaLink, the AD read is skipped while the AD source's fingerprint is unchanged
 * (adSources.ts), the last result is reused when neither side changed, and otherwise the saved snapshot is brought up
 * to date, joined again and saved with the new deltaLink (state.ts holds the files).
 */
import { rmSync } from "node:fs";
import { checkGraphLink, type GraphConnection } from "../graph/client";
import { adFingerprint, sameAdContent } from "./adSources";
import { applyDelta, isDeltaResyncError, readUsersDelta } from "./entra/graphReader";
import { errorText, GapInputError } from "./errors";
import type { joinAndClassify } from "./join";
import { type AdRecord, AdRecords } from "./records/ad";
import type { EntraUsers } from "./records/entra";
import { EntraUsersById } from "./records/entraById";
import { type GapState, loadSnapshot, rowsDigest, SELECT_KEY, saveResultRows, saveSnapshot, saveState } from "./state";
import type { AdSourceSpec, EntraUser, GapResult, GapRow, GapTotals, SourceInfo } from "./types";

/** The Graph side of a delta round, as read by readEntraDelta. */
export interface EntraDelta {
  /** A round from the saved deltaLink: Graph's entries, for the snapshot. */
  changes: Record<string, unknown>[];
  /** An initial round: its users (readUsersDelta packs them as the pages come). */
  users?: EntraUsersById;
  deltaLink: string;
  incremental: boolean;
  endpoint: string;
  tenantId: string;
}

export interface EntraDeltaRead {
  delta: EntraDelta;
  info: SourceInfo;
  notes: string[];
}

type Progress = (p: { users: number; pages: number; done: boolean }) => void;

/**
 * The AD side when its fingerprint matches the state's: the users are the snapshot's, the source is not read.
 * Returns the fingerprint either way (the state keeps it), and the reused side only when it may be reused.
 */
export async function reusedAdSide(
  ad: AdSourceSpec,
  name: string,
  env: NodeJS.ProcessEnv,
  state: GapState | undefined,
): Promise<{ fingerprint?: string; reused?: SourceInfo }> {
  const fingerprint = await adFingerprint(ad, env, state?.ad?.fingerprint);
  if (!fingerprint || !sameAdContent(state?.ad?.fingerprint, fingerprint) || !state?.snapshot) return { fingerprint };
  return {
    fingerprint,
    reused: {
      kind: ad.kind,
      description: `${name} — unchanged since ${state.savedAt}, not read again`,
      users: state.snapshot.adUsers,
      mode: "reused",
      pages: 0,
    },
  };
}

/** `/users/delta` from the saved deltaLink (a new round when there is none, or it belongs elsewhere, or Graph refuses it). */
export async function readEntraDelta(
  conn: GraphConnection,
  statePath: string,
  state: GapState | undefined,
  opts: { signal: AbortSignal; onProgress: Progress; before: number; description: string },
): Promise<EntraDeltaRead> {
  const notes: string[] = [];
  let prior = state?.entra;
  if (prior) {
    // syncgap saves only a deltaLink that lies on the endpoint it read (readUsersDelta checks it), so one that points
    // elsewhere than the state's own endpoint was put there by hand, or by someone who wants the next run's request
    // (and token) to go to them. That ends the run (exit 2), naming the link, rather than starting a new round with a
    // note: a note in a passing report is easy to miss, an edited state file is not a condition to work around
    // quietly, and its remedy (delete the file) takes a second. The link is never fetched either way; when endpoint
    // and link were both changed, the endpoint check below starts a new round against the configured endpoint.
    const checked = checkGraphLink(prior.endpoint, prior.deltaLink);
    if ("problem" in checked) {
      throw new GapInputError(
        `delta state ${statePath}`,
        `its deltaLink ${checked.problem} (the state was made for ${String(prior.endpoint).slice(0, 200)}); syncgap never saves such a link, so the file was edited or damaged, and the link was not followed`,
        `delete ${statePath} and the files next to it that start with its name, to start a new delta round; and find out who changed it`,
      );
    }
  }
  if (
    prior &&
    (prior.endpoint !== conn.baseUrl || prior.tenantId !== conn.settings.tenantId || prior.select !== SELECT_KEY)
  ) {
    notes.push(`The delta state was made for ${prior.endpoint} (tenant ${prior.tenantId}): started a new delta round.`);
    prior = undefined;
  }
  if (prior && !state?.snapshot) prior = undefined;
  const { signal, onProgress } = opts;
  let read: Awaited<ReturnType<typeof readUsersDelta>>;
  try {
    read = await readUsersDelta(conn, prior?.deltaLink, { signal, onProgress });
  } catch (err) {
    if (!prior || !isDeltaResyncError(err)) throw err;
    notes.push(`Graph refused the saved deltaLink (${errorText(err)}): started a new delta round.`);
    prior = undefined;
    read = await readUsersDelta(conn, undefined, { signal, onProgress });
  }
  return {
    delta: {
      changes: read.changes,
      ...(read.users ? { users: read.users } : {}),
      deltaLink: read.deltaLink,
      incremental: Boolean(prior),
      endpoint: conn.baseUrl,
      tenantId: conn.settings.tenantId,
    },
    info: {
      kind: "graph",
      description: `${opts.description}: GET /users/delta (${prior ? `${read.changes.length} changes since ${state?.savedAt}` : "initial round"})`,
      users: 0,
      mode: prior ? "delta-incremental" : "delta-initial",
      requests: conn.stats.requests - opts.before,
      pages: read.pages,
    },
    notes,
  };
}

function stateOf(d: EntraDelta): NonNullable<GapState["entra"]> {
  return { endpoint: d.endpoint, tenantId: d.tenantId, select: SELECT_KEY, deltaLink: d.deltaLink };
}

/**
 * Nothing changed on either side (no Graph changes, AD not read again) and the last result was made with the same
 * settings: that result, with the new deltaLink saved. Undefined otherwise. `lastRows`: readResultRows of the state's
 * result, started by the caller.
 */
export async function reuseLastResult(
  statePath: string,
  state: GapState | undefined,
  d: EntraDelta,
  adRead: boolean,
  settings: { defaultRegion: string; includeInSync: boolean },
  lastRows: Promise<GapRow[] | undefined> | undefined,
): Promise<Pick<GapResult, "counts" | "totals" | "rows" | "rowsDigest"> | undefined> {
  const last = state?.result;
  if (!d.incremental || d.changes.length !== 0 || adRead || !last || !lastRows) return undefined;
  if (last.defaultRegion !== settings.defaultRegion || last.includeInSync !== settings.includeInSync) return undefined;
  const rows = await lastRows;
  if (!rows) return undefined;
  writeState(statePath, { ...state, entra: stateOf(d) });
  return { counts: last.counts, totals: last.totals, rows, rowsDigest: last.digest };
}

/**
 * Both sides' users for the join: this run's reads brought together with the snapshot (Entra: the snapshot with the
 * changes applied; AD: the snapshot when it was not read). Undefined when the snapshot it needs is missing or damaged.
 */
export async function deltaUsers(
  conn: GraphConnection,
  statePath: string,
  state: GapState | undefined,
  d: EntraDelta,
  adUsers: AdRecords | undefined,
): Promise<{ ad: AdRecords; entra: EntraUsers } | undefined> {
  const needSnapshot = d.incremental || !adUsers;
  let snap: Awaited<ReturnType<typeof loadSnapshot>> | undefined;
  if (needSnapshot) {
    if (!state?.snapshot) return undefined;
    try {
      snap = await loadSnapshot(statePath, state.snapshot);
    } catch {
      return undefined;
    }
  }
  const entra = d.incremental && snap ? snap.entra : (d.users ?? new EntraUsersById());
  applyDelta(conn, entra, d.changes);
  return { ad: adUsers ?? snap?.ad ?? new AdRecords(), entra: entra.users() };
}

/** Saves the round: rows first, then the snapshot, and the state that names them last. Returns the rows' digest. */
export async function saveDeltaRound(
  statePath: string,
  d: EntraDelta,
  adFingerprintValue: string | undefined,
  joined: ReturnType<typeof joinAndClassify>,
  totals: GapTotals,
  users: { entra: Iterable<EntraUser>; ad: Iterable<AdRecord> },
  settings: { defaultRegion: string; includeInSync: boolean },
): Promise<string> {
  const digest = rowsDigest(joined.rows);
  try {
    // a run that stops in between leaves a state whose rows do not load, which the next run treats as "read everything"
    saveResultRows(statePath, digest, joined.rows);
    rmSync(`${statePath}.reports`, { force: true }); // the row-part cache of syncgap versions before streamed reports
    const snapshot = await saveSnapshot(statePath, users.entra, users.ad);
    writeState(statePath, {
      entra: stateOf(d),
      ...(adFingerprintValue ? { ad: { fingerprint: adFingerprintValue } } : {}),
      result: { ...settings, counts: joined.counts, totals, digest },
      snapshot,
    });
  } catch (e) {
    if (e instanceof GapInputError) throw e;
    throw new GapInputError(
      `delta state ${statePath}`,
      `cannot write it: ${errorText(e)}`,
      "check the path and permissions",
    );
  }
  return digest;
}

function writeState(path: string, state: GapState): void {
  try {
    saveState(path, state);
  } catch (e) {
    throw new GapInputError(
      `delta state ${path}`,
      `cannot write it: ${errorText(e)}`,
      "check the path and permissions",
    );
  }
}
