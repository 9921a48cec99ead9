/**
 * The delta state (`--delta-state FILE`): what a re-run needs to read only what changed. Three files:
 *   - FILE (small JSON): the Graph deltaLink, the AD source's fingerprint, and the last result's counts and digest;
 *   - FILE.result.json: the last result's rows (rewritten only when the result changes);
 *   - FILE.snapshot.ndjson (large): the synced Entra users and the AD users as they stood, one JSON array per line.
 * A re-run where neither side changed reads the small file and the rows and reuses the last result; the snapshot is
 * read (line by line, so 100k users never sit in one string) only when something changed. (FILE.reports, the
 * reports' row parts that syncgap versions before the streamed reports kept, is removed when a round is saved.)
 *
 * The files hold directory data (names, phone numbers) like the reports do: they are written with mode 0600, never
 * hold a credential (the deltaLink is a state token, useless without a Graph token), and are replaced atomically
 * (write to a temporary file, then rename) only after a run that read everything.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { type AdRecord, AdRecords } from "./records/ad";
import { EntraUsersById } from "./records/entraById";
import { type Category, ENTRA_SELECT, type EntraUser, type GapRow, type GapTotals } from "./types";

export const STATE_KIND = "syncgap-gap-state";
export const STATE_VERSION = 4;
const RESULT_KIND = "syncgap-gap-result";
const SNAPSHOT_KIND = "syncgap-gap-snapshot";

type EntraTuple = [
  id: string,
  upn: string,
  displayName: string | null,
  mobilePhone: string | null,
  immutableId: string | null,
  sid: string | null,
  sam: string | null,
  onPremUpn: string | null,
  onPremDn: string | null,
  accountEnabled: boolean | null,
  department: string | null,
];
type AdTuple = [
  dn: string,
  upn: string | null,
  sam: string | null,
  displayName: string | null,
  mobile: string | null,
  otherMobile: string[],
  immutableId: string | null,
  guidImmutableId: string | null,
  sid: string | null,
  enabled: boolean,
  department: string | null,
];

export interface GapState {
  savedAt?: string;
  entra?: {
    /** Graph base URL and tenant the deltaLink belongs to, and the `$select` it was made with. */
    endpoint: string;
    tenantId: string;
    select: string;
    deltaLink: string;
  };
  ad?: { fingerprint: string };
  /** The last result, for a re-run in which nothing changed; its rows are in FILE.result.json. */
  result?: {
    defaultRegion: string;
    includeInSync: boolean;
    counts: Record<Category, number>;
    totals: GapTotals;
    /** sha256 of JSON.stringify(rows), base64url (GapResult.rowsDigest); FILE.result.json carries the same. */
    digest: string;
  };
  /** Whether FILE.snapshot.ndjson holds the users of this state. */
  snapshot?: { entraUsers: number; adUsers: number };
}

export interface Snapshot {
  /** Packed, by id: the delta round applies Graph's changes to it. */
  entra: EntraUsersById;
  /** Packed as the readers pack them. */
  ad: AdRecords;
}

export const SELECT_KEY = ENTRA_SELECT.join(",");

export function snapshotPath(statePath: string): string {
  return `${statePath}.snapshot.ndjson`;
}

const n = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

function encodeEntra(u: EntraUser): EntraTuple {
  return [
    u.id,
    u.userPrincipalName,
    n(u.displayName),
    n(u.mobilePhone),
    n(u.onPremisesImmutableId),
    n(u.onPremisesSecurityIdentifier),
    n(u.onPremisesSamAccountName),
    n(u.onPremisesUserPrincipalName),
    n(u.onPremisesDistinguishedName),
    n(u.accountEnabled),
    n(u.department),
  ];
}

function decodeEntra(t: EntraTuple): EntraUser {
  return {
    id: t[0],
    userPrincipalName: t[1],
    displayName: t[2],
    mobilePhone: t[3],
    onPremisesImmutableId: t[4],
    onPremisesSecurityIdentifier: t[5],
    onPremisesSamAccountName: t[6],
    onPremisesUserPrincipalName: t[7],
    onPremisesDistinguishedName: t[8],
    onPremisesSyncEnabled: true,
    accountEnabled: t[9],
    department: t[10],
  };
}

function encodeAd(a: AdRecord): AdTuple {
  return [
    a.dn,
    n(a.upn),
    n(a.sam),
    n(a.displayName),
    n(a.mobile),
    a.otherMobile,
    n(a.immutableId),
    n(a.guidImmutableId),
    n(a.sid),
    a.enabled,
    n(a.department),
  ];
}

function decodeAd(t: AdTuple): AdRecord {
  const r: AdRecord = { dn: t[0], otherMobile: t[5], enabled: t[9] };
  if (t[1] !== null) r.upn = t[1];
  if (t[2] !== null) r.sam = t[2];
  if (t[3] !== null) r.displayName = t[3];
  if (t[4] !== null) r.mobile = t[4];
  if (t[6] !== null) r.immutableId = t[6];
  if (t[7] !== null) r.guidImmutableId = t[7];
  if (t[8] !== null) r.sid = t[8];
  if (t[10] !== null) r.department = t[10];
  return r;
}

export class StateFileError extends Error {
  override name = "StateFileError";
}

/** Loads the small state; undefined when the file does not exist. Throws StateFileError when it is unusable. */
export function loadState(path: string): GapState | undefined {
  if (!existsSync(path)) return undefined;
  let raw: GapState & { kind?: unknown; version?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new StateFileError(`delta state ${path} is unreadable: ${(e as Error).message}`);
  }
  if (raw?.kind !== STATE_KIND || raw.version !== STATE_VERSION) {
    throw new StateFileError(`delta state ${path} is not a syncgap state file of version ${STATE_VERSION}`);
  }
  const { kind: _k, version: _v, ...state } = raw;
  return state;
}

/** Reads the snapshot next to the state, line by line. */
export async function loadSnapshot(statePath: string, expect: NonNullable<GapState["snapshot"]>): Promise<Snapshot> {
  const file = snapshotPath(statePath);
  const entra = new EntraUsersById();
  const ad = new AdRecords();
  let lineNo = 0;
  try {
    const rl = createInterface({
      input: createReadStream(file, { encoding: "utf8" }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of rl) {
      lineNo++;
      if (!line) continue;
      const rec = JSON.parse(line) as [string, ...unknown[]];
      if (lineNo === 1) {
        if ((rec as unknown as { kind?: string }).kind !== SNAPSHOT_KIND) throw new Error("not a syncgap snapshot");
        continue;
      }
      if (rec[0] === "e") {
        entra.set(decodeEntra(rec.slice(1) as EntraTuple));
      } else if (rec[0] === "a") ad.push(decodeAd(rec.slice(1) as AdTuple));
      else throw new Error(`unknown record type ${JSON.stringify(rec[0])}`);
    }
  } catch (e) {
    throw new StateFileError(`delta snapshot ${file} is unreadable at line ${lineNo}: ${(e as Error).message}`);
  }
  if (entra.size !== expect.entraUsers || ad.length !== expect.adUsers) {
    throw new StateFileError(
      `delta snapshot ${file} holds ${entra.size} Entra and ${ad.length} AD users, the state says ${expect.entraUsers} and ${expect.adUsers}`,
    );
  }
  return { entra, ad };
}

function atomicWriteSmall(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function resultPath(statePath: string): string {
  return `${statePath}.result.json`;
}

/** sha256 of the rows' JSON, base64url: names one set of rows (GapState.result.digest). */
export function rowsDigest(rows: readonly GapRow[]): string {
  return createHash("sha256").update(JSON.stringify(rows)).digest("base64url");
}

/** Writes the rows of a result under its digest (atomically). */
export function saveResultRows(statePath: string, digest: string, rows: readonly GapRow[]): void {
  atomicWriteSmall(resultPath(statePath), JSON.stringify({ kind: RESULT_KIND, version: STATE_VERSION, digest, rows }));
}

/**
 * The rows saved under `digest`; undefined when the file is missing, damaged or holds other rows. Never rejects: a
 * run starts it before it knows whether it will reuse the result (gap/run.ts), so that the file is read and parsed
 * while the reads wait for Graph and the DC.
 */
export async function readResultRows(statePath: string, digest: string): Promise<GapRow[] | undefined> {
  try {
    const raw = JSON.parse(await readFile(resultPath(statePath), "utf8")) as {
      kind?: unknown;
      version?: unknown;
      digest?: unknown;
      rows?: unknown;
    };
    if (raw.kind !== RESULT_KIND || raw.version !== STATE_VERSION || raw.digest !== digest) return undefined;
    return Array.isArray(raw.rows) ? (raw.rows as GapRow[]) : undefined;
  } catch {
    return undefined;
  }
}

export function saveState(path: string, state: GapState): void {
  atomicWriteSmall(
    path,
    JSON.stringify({ kind: STATE_KIND, version: STATE_VERSION, ...state, savedAt: new Date().toISOString() }),
  );
}

/** Writes the snapshot (streamed); returns what the state should record. */
export async function saveSnapshot(
  statePath: string,
  entra: Iterable<EntraUser>,
  ad: Iterable<AdRecord>,
): Promise<NonNullable<GapState["snapshot"]>> {
  const file = snapshotPath(statePath);
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o600, encoding: "utf8" });
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  let entraUsers = 0;
  await write(JSON.stringify({ kind: SNAPSHOT_KIND, version: STATE_VERSION }));
  for (const u of entra) {
    await write(JSON.stringify(["e", ...encodeEntra(u)]));
    entraUsers++;
  }
  let adUsers = 0;
  for (const a of ad) {
    await write(JSON.stringify(["a", ...encodeAd(a)]));
    adUsers++;
  }
  out.end();
  await once(out, "finish");
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { entraUsers, adUsers };
}
