/**
 * The Graph side against the local tenant: a directory synced by the emulator's Entra Connect model, cloud edits
 * on top, then syncgap reads it the way it reads a real tenant (client credentials, TLS to the emulator's CA).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AdUser } from "../../ad/types";
import type { RunningEmulator } from "../../emulator";
import { GapInputError } from "../../gap/errors";
import { runGapAnalysis } from "../../gap/index";
import type { GapResult, GapRunSpec } from "../../gap/types";
import { trustCaFile } from "../../graph/trust";
import { writeAdLdif } from "../fixtures/gap/adLdif";
import {
  APP_ID,
  cloudEdit,
  emulatorConnection,
  gapEnv,
  gapSeed,
  NO_USERS_APP_ID,
  startGapEmulator,
  syncFrom,
} from "../support/gapTenant";
import { adUser, failingSource, memorySource, ONE_GAP_PER_CATEGORY } from "../support/gapUsers";
import { createTestCa, type LoopbackHttps, startLoopbackHttps } from "../support/loopbackHttps";

let emu: RunningEmulator;
let ad: AdUser[];
const stateDir = mkdtempSync(join(tmpdir(), "syncgap-delta-"));

const u = (sam: string, over: Partial<AdUser> = {}) =>
  adUser({
    sAMAccountName: sam,
    userPrincipalName: `${sam}@corp.example.test`,
    distinguishedName: `CN=${sam},OU=Corp Users,DC=corp,DC=example,DC=test`,
    ...over,
  });

beforeAll(async () => {
  emu = await startGapEmulator(gapSeed());
});
afterAll(async () => {
  await emu?.stop();
});

/** A synced directory with one user per category, built through sync + cloud edits. */
async function buildDirectory(): Promise<void> {
  await emu.admin.seed(gapSeed());
  const bulk = Array.from({ length: 2100 }, (_, i) =>
    u(`bulk${i}`, { mobile: `+1425555${String(i).padStart(4, "0")}` }),
  );
  ad = [
    u("in.sync", { mobile: "+14255550100" }),
    u("missing", { mobile: "+14255550101" }),
    u("mismatch", { mobile: "+14255550102" }),
    u("format", { mobile: "+1 425 555 0103" }),
    u("cloud.only", { mobile: undefined }),
    u("gone.from.ad", { mobile: "+14255550105" }),
    u("grace.hall", { userPrincipalName: "grace.hall@legacy.example.test", mobile: "+14255550106" }),
    ...bulk,
  ];
  await syncFrom(emu, ad);
  await cloudEdit(emu, "missing@corp.example.test", null);
  await cloudEdit(emu, "mismatch@corp.example.test", "+14255559999");
  await cloudEdit(emu, "format@corp.example.test", "+14255550103");
  await cloudEdit(emu, "cloud.only@corp.example.test", "+14255550104");
  // gone.from.ad: deleted in AD after the sync (the tenant keeps it); new.hire: created in AD, not synced yet.
  ad = ad.filter((a) => a.sAMAccountName !== "gone.from.ad");
  ad.push(u("new.hire", { mobile: "+14255550107" }));
}

function graphSpec(extra: Partial<Extract<GapRunSpec["entra"], { kind: "graph" }>> = {}, appId = APP_ID): GapRunSpec {
  return {
    ad: { kind: "source", source: memorySource(ad, 500) },
    entra: { kind: "graph", connection: emulatorConnection(emu, appId), ...extra },
  };
}

const categoryOf = (r: GapResult, upnStart: string) =>
  r.rows.find((x) => x.userPrincipalName.startsWith(upnStart))?.category;

describe("full Graph read", () => {
  beforeEach(buildDirectory, 60_000);

  it("reads synced users page by page and finds every category", async () => {
    const r = await runGapAnalysis(graphSpec(), { env: gapEnv(emu) });
    expect(r.counts).toMatchObject(ONE_GAP_PER_CATEGORY);
    expect(categoryOf(r, "missing@")).toBe("MissingInEntra");
    expect(categoryOf(r, "gone.from.ad@")).toBe("NotInAD");
    expect(categoryOf(r, "new.hire@")).toBe("NotInEntra");
    expect(r.totals.entraUsers).toBe(2107);
    // 2107 synced users at $top=999: three pages, three requests (the token request is not a Graph request).
    expect(r.inputs.entra).toMatchObject({ kind: "graph", mode: "live", users: 2107, requests: 3 });
    // The unverified suffix became …onmicrosoft.com in Entra: joined by anchor, reported under Entra's UPN.
    const grace = (await runGapAnalysis({ ...graphSpec(), includeInSync: true }, { env: gapEnv(emu) })).rows.find(
      (x) => x.adSamAccountName === "grace.hall",
    );
    expect(grace).toMatchObject({
      category: "InSync",
      matchedBy: "immutableId",
      userPrincipalName: "grace.hall@gaptest.onmicrosoft.com",
    });
  });

  it("names the permission when Graph answers 403", async () => {
    const err = await runGapAnalysis(graphSpec({}, NO_USERS_APP_ID), { env: gapEnv(emu, NO_USERS_APP_ID) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/GET \/users \(synced users\) failed with HTTP 403.*User\.Read\.All/);
  });

  it("an AD side that fails while Graph is still signing in or reading leaves nothing behind to crash the process", async () => {
    // Both sides start at once; the AD failure aborts the Graph read wherever it is (token request, first page).
    // A fetch left unobserved by that abort would reach the CLI's unhandledRejection handler, which exits 2 before
    // the reports are written.
    const unhandled: unknown[] = [];
    const record = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", record);
    try {
      for (const okPages of [0, 1]) {
        const spec: GapRunSpec = {
          ...graphSpec(),
          ad: { kind: "source", source: failingSource(ad, okPages, "DC went away") },
        };
        const err = await runGapAnalysis(spec, { env: gapEnv(emu) }).catch((e) => e);
        expect(err).toBeInstanceOf(GapInputError);
        expect(err.message).toMatch(/DC went away/);
      }
      await new Promise((r) => setTimeout(r, 500)); // the aborted requests settle
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", record);
    }
  });

  it("fails on a page that cannot be read, instead of reporting a partial directory", async () => {
    // Page 1 reads fine; from then on the users endpoint answers 500 (in-process, so the fault is in place before
    // the client asks for page 2).
    const err = await runGapAnalysis(graphSpec(), {
      env: gapEnv(emu),
      graph: { retry: { maxRetries: 1, baseDelayMs: 10 } },
      onProgress: (p) => {
        if (p.side === "entra" && p.pages === 1)
          emu.state.faults.add({ kind: "status", status: 500, method: "GET", path: "/v1.0/users*" });
      },
    }).catch((e) => e);
    emu.state.faults.clear();
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/GET \/users page 2 \(@odata.nextLink\) failed with HTTP 500/);
  });
});

describe("delta mode", () => {
  beforeEach(buildDirectory, 60_000);

  it("re-reads only what changed and keeps the state file private", async () => {
    const state = join(stateDir, `state-${Date.now()}.json`);
    const first = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(first.inputs.entra.mode).toBe("delta-initial");
    expect(first.counts).toMatchObject(ONE_GAP_PER_CATEGORY);
    const fullRequests = first.inputs.entra.requests as number;
    expect(fullRequests).toBe(3); // 2107 users at odata.maxpagesize=999
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(readFileSync(state, "utf8")).not.toContain(gapEnv(emu).AZURE_CLIENT_SECRET as string);

    expect(statSync(`${state}.snapshot.ndjson`).mode & 0o777).toBe(0o600);

    expect(statSync(`${state}.result.json`).mode & 0o777).toBe(0o600);
    expect(first.rowsDigest).toMatch(/^[\w-]{43}$/);

    const again = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(again.inputs.entra).toMatchObject({ mode: "delta-incremental", requests: 1, users: 2107 });
    expect(again.counts).toEqual(first.counts);
    expect(again.rows).toEqual(first.rows);
    expect(again.rowsDigest).toBe(first.rowsDigest);
    expect((again.inputs.entra.requests as number) / fullRequests).toBeLessThan(0.5);

    await cloudEdit(emu, "in.sync@corp.example.test", "+1 206 555 0000");
    await cloudEdit(emu, "mismatch@corp.example.test", "+14255550102");
    await emu.admin.deleteUser("gone.from.ad@corp.example.test");
    const third = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(third.inputs.entra.mode).toBe("delta-incremental");
    expect(categoryOf(third, "in.sync@")).toBe("ValueMismatch");
    expect(third.counts.ValueMismatch).toBe(1);
    expect(third.counts.NotInAD).toBe(0);
    expect(third.totals.entraUsers).toBe(2106);
  });

  it("reads everything again when the snapshot is gone", async () => {
    const state = join(stateDir, `state-nosnap-${Date.now()}.json`);
    const first = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    await cloudEdit(emu, "in.sync@corp.example.test", "+1 206 555 0000");
    rmSync(`${state}.snapshot.ndjson`);
    const r = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(r.notes.join(" ")).toMatch(/snapshot was missing or unreadable/);
    expect(r.inputs.entra.mode).toBe("delta-initial");
    expect(r.counts.ValueMismatch).toBe(first.counts.ValueMismatch + 1);
    const next = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(next.inputs.entra).toMatchObject({ mode: "delta-incremental", requests: 1 });
  });

  it("starts a new round when Graph no longer knows the delta token", async () => {
    const state = join(stateDir, `state-expired-${Date.now()}.json`);
    await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    await emu.admin.reset(); // a new store generation: old tokens get 410 Gone resyncRequired (a synchronization reset)
    await syncFrom(emu, ad);
    const r = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(r.inputs.entra.mode).toBe("delta-initial");
    expect(r.notes.join(" ")).toMatch(/refused the saved deltaLink.*started a new delta round/);
  });
});

describe("delta mode with an AD export file", () => {
  beforeEach(buildDirectory, 60_000);

  it("reuses the AD read while the file is unchanged and reads it again when it changes", async () => {
    const state = join(stateDir, `state-ldif-${Date.now()}.json`);
    const file = join(stateDir, `ad-${Date.now()}.ldif`);
    await writeAdLdif(file, ad);
    const spec: GapRunSpec = { ...graphSpec({ deltaStatePath: state }), ad: { kind: "ldif", path: file } };
    const first = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(first.inputs.ad).toMatchObject({ kind: "ldif", mode: "export", users: ad.length });
    const second = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(second.inputs.ad).toMatchObject({ mode: "reused", users: ad.length, pages: 0 });
    expect(second.inputs.entra).toMatchObject({ mode: "delta-incremental", requests: 1 });
    expect(second.counts).toEqual(first.counts);
    expect(second.notes.join(" ")).toMatch(/Nothing changed since .*: the result of that run was reused/);
    // A touch (new times, same bytes) is still "unchanged": the content hash decides.
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    const touched = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(touched.inputs.ad.mode).toBe("reused");
    // Only Entra changes: the AD side still comes from the snapshot.
    await cloudEdit(emu, "format@corp.example.test", "+1 425 555 0103");
    const entraOnly = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(entraOnly.inputs.ad.mode).toBe("reused");
    expect(entraOnly.counts.FormatOnly).toBe(0);
    expect(entraOnly.counts.InSync).toBe(first.counts.InSync + 1);
    // AD changes: the mismatch is fixed on the AD side (AD now holds the cloud number).
    ad = ad.map((a) => (a.sAMAccountName === "mismatch" ? { ...a, mobile: "+14255559999" } : a));
    const before = statSync(file);
    await writeAdLdif(file, ad);
    utimesSync(file, before.atime, before.mtime); // a tool that puts the old modification time back: still seen
    const third = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(third.inputs.ad.mode).toBe("export");
    expect(third.counts.ValueMismatch).toBe(0);
  });
});

describe("delta mode: the last result's rows", () => {
  beforeEach(buildDirectory, 60_000);

  it("are reused only when they are the ones the state names; else the snapshot is joined again", async () => {
    const state = join(stateDir, `state-rows-${Date.now()}.json`);
    const file = join(stateDir, `ad-rows-${Date.now()}.ldif`);
    await writeAdLdif(file, ad);
    const spec: GapRunSpec = { ...graphSpec({ deltaStatePath: state }), ad: { kind: "ldif", path: file } };
    const first = await runGapAnalysis(spec, { env: gapEnv(emu) });
    const reused = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(reused.notes.join(" ")).toMatch(/was reused/);
    expect(reused.inputs.entra.users).toBe(first.inputs.entra.users);
    expect(reused.rowsDigest).toBe(first.rowsDigest);

    rmSync(`${state}.result.json`);
    const gone = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(gone.notes.join(" ")).not.toMatch(/was reused/);
    expect(gone.inputs.entra).toMatchObject({ mode: "delta-incremental", requests: 1 });
    expect(gone.rows).toEqual(first.rows);

    // rows written for another result (a run stopped between writing them and the state): not used
    const rows = JSON.parse(readFileSync(`${state}.result.json`, "utf8"));
    writeFileSync(`${state}.result.json`, JSON.stringify({ ...rows, digest: "another-result", rows: [] }));
    const other = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(other.notes.join(" ")).not.toMatch(/was reused/);
    expect(other.rows).toEqual(first.rows);
    const next = await runGapAnalysis(spec, { env: gapEnv(emu) });
    expect(next.notes.join(" ")).toMatch(/was reused/);
    expect(next.rows).toEqual(first.rows);
  });
});

describe("unreachable Graph", () => {
  it("fails fast with the endpoint named when nothing listens", async () => {
    const conn = { ...emulatorConnection(emu), graphEndpoint: "https://127.0.0.1:9" };
    const err = await runGapAnalysis(
      { ad: { kind: "source", source: memorySource([u("x")]) }, entra: { kind: "graph", connection: conn } },
      { env: gapEnv(emu), graph: { retry: { maxRetries: 1, baseDelayMs: 10 } } },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(
      /Entra ID \(Graph https:\/\/127\.0\.0\.1:9\/v1\.0.*could not be reached|failed after 2 attempts/,
    );
  });
});

describe("an edited delta state", () => {
  let capture: LoopbackHttps;
  beforeAll(async () => {
    const ca = await createTestCa();
    trustCaFile(ca.caCertPath); // the capture server is as trusted as Graph: a request to it would succeed
    capture = await startLoopbackHttps(ca, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}');
    });
  });
  afterAll(async () => capture?.close());

  it("whose deltaLink points at another host: exit-2 error naming it, and that host gets no request", async () => {
    const state = join(stateDir, `state-edited-${Date.now()}.json`);
    const first = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) });
    expect(first.inputs.entra.mode).toBe("delta-initial");
    const saved = JSON.parse(readFileSync(state, "utf8"));
    const real = new URL(saved.entra.deltaLink);
    expect(real.origin).toBe(emu.baseUrl);
    saved.entra.deltaLink = `${capture.origin}${real.pathname}${real.search}`;
    writeFileSync(state, JSON.stringify(saved));

    const err = await runGapAnalysis(graphSpec({ deltaStatePath: state }), { env: gapEnv(emu) }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toContain(`delta state ${state}: its deltaLink points at ${capture.origin}`);
    expect(err.message).toContain(`not at the configured Graph endpoint ${emu.baseUrl}`);
    expect(capture.requests).toEqual([]);
    // The capture server does answer whoever reaches it, with the same trust the product uses.
    expect((await fetch(`${capture.origin}/probe`)).status).toBe(200);
    expect(capture.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
  });
});
