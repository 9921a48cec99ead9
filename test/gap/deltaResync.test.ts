/**
 * Delta runs when Graph ends the saved round, against the local tenant with its clock moved past the seven-day token
 * lifetime (https://learn.microsoft.com/graph/delta-query-overview#token-duration): every answer Learn names for it
 * (400 syncStateNotFound, 410 Gone, resyncRequired, other 40X with those codes) makes runGapAnalysis read everything
 * again in a new round, with a note, and the same counts as a fresh run; any other error stays an error (exit 2),
 * never a pass. Also: the cloud-managed read (readCloudManagedUsers through runGapAnalysis's `cloudManaged`).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AdUser } from "../../ad/types";
import type { RunningEmulator } from "../../emulator";
import { GapInputError } from "../../gap/errors";
import { runGapAnalysis } from "../../gap/index";
import type { GapRunSpec } from "../../gap/types";
import {
  APP_ID,
  APP_SECRET,
  cloudEdit,
  emulatorConnection,
  gapEnv,
  gapSeed,
  startGapEmulator,
  syncFrom,
} from "../support/gapTenant";
import { adUser, memorySource } from "../support/gapUsers";

let emu: RunningEmulator;
let ad: AdUser[];
const stateDir = mkdtempSync(join(tmpdir(), "syncgap-resync-"));
const EIGHT_DAYS = 8 * 24 * 3600;
const SOA_APP_ID = "5f6b2c1d-8e4a-4b7c-9d2e-5a6b7c8d9e0f";

const u = (sam: string, mobile: string) =>
  adUser({
    sAMAccountName: sam,
    userPrincipalName: `${sam}@corp.example.test`,
    distinguishedName: `CN=${sam},OU=Corp Users,DC=corp,DC=example,DC=test`,
    mobile,
  });

function seed() {
  const s = gapSeed();
  s.applications?.push({
    displayName: "gap with SOA read",
    appId: SOA_APP_ID,
    clientSecrets: [{ value: APP_SECRET }],
    appRoles: ["User.Read.All", "User-OnPremisesSyncBehavior.ReadWrite.All"],
  });
  return s;
}

function spec(statePath?: string, appId = APP_ID): GapRunSpec {
  return {
    ad: { kind: "source", source: memorySource(ad, 500) },
    entra: {
      kind: "graph",
      connection: emulatorConnection(emu, appId),
      ...(statePath ? { deltaStatePath: statePath } : {}),
    },
  };
}

beforeAll(async () => {
  emu = await startGapEmulator(seed());
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  await emu.admin.seed(seed());
  ad = [u("in.sync", "+14255550100"), u("mismatch", "+14255550102"), u("moved", "+14255550103")];
  await syncFrom(emu, ad);
  await cloudEdit(emu, "mismatch@corp.example.test", "+1 206 555 0102");
});

const answers: { what: string; setup: () => Promise<void> }[] = [
  { what: "400 syncStateNotFound (Entra's answer to an expired token)", setup: async () => {} },
  {
    what: "410 resyncRequired",
    setup: async () => {
      await emu.admin.setOptions({ deltaTokenExpiredError: { status: 410, code: "resyncRequired" } });
    },
  },
  {
    what: "410 syncStateNotFound",
    setup: async () => {
      await emu.admin.setOptions({ deltaTokenExpiredError: { status: 410, code: "syncStateNotFound" } });
    },
  },
  {
    what: "400 resyncRequired",
    setup: async () => {
      await emu.admin.setOptions({ deltaTokenExpiredError: { status: 400, code: "resyncRequired" } });
    },
  },
  {
    what: "404 syncStateNotFound (another 40X)",
    setup: async () => {
      await emu.admin.setOptions({ deltaTokenExpiredError: { status: 404, code: "syncStateNotFound" } });
    },
  },
  {
    what: "400 resyncApplyDifferences",
    setup: async () => {
      await emu.admin.setOptions({ deltaTokenExpiredError: { status: 400, code: "resyncApplyDifferences" } });
    },
  },
];

describe("an expired or reset delta token starts a new round, never a false pass", () => {
  for (const a of answers) {
    it(a.what, async () => {
      const state = join(stateDir, `state-${Math.random().toString(36).slice(2)}.json`);
      const first = await runGapAnalysis(spec(state), { env: gapEnv(emu) });
      expect(first.inputs.entra.mode).toBe("delta-initial");
      expect(first.counts.ValueMismatch).toBe(1);
      await a.setup();
      await cloudEdit(emu, "in.sync@corp.example.test", "+1 206 555 0100"); // a change the new round must see
      await emu.admin.advanceClock(EIGHT_DAYS);
      const r = await runGapAnalysis(spec(state), { env: gapEnv(emu) });
      expect(r.inputs.entra.mode).toBe("delta-initial");
      expect(r.notes.join(" ")).toMatch(/Graph refused the saved deltaLink.*started a new delta round/);
      expect(r.counts.ValueMismatch).toBe(2);
      const fresh = await runGapAnalysis(spec(), { env: gapEnv(emu) });
      expect(r.counts).toEqual(fresh.counts);
      // the new round's deltaLink was saved: the next run is incremental again
      const next = await runGapAnalysis(spec(state), { env: gapEnv(emu) });
      expect(next.inputs.entra).toMatchObject({ mode: "delta-incremental", requests: 1 });
    });
  }

  it("a synchronization reset (410 Gone with a Location header)", async () => {
    const state = join(stateDir, `state-reset-${Date.now()}.json`);
    await runGapAnalysis(spec(state), { env: gapEnv(emu) });
    await emu.admin.resetDeltaTokens();
    const r = await runGapAnalysis(spec(state), { env: gapEnv(emu) });
    expect(r.inputs.entra.mode).toBe("delta-initial");
    expect(r.notes.join(" ")).toMatch(/410/);
  });

  it("a token younger than seven days is still read incrementally", async () => {
    const state = join(stateDir, `state-young-${Date.now()}.json`);
    await runGapAnalysis(spec(state), { env: gapEnv(emu) });
    await emu.admin.advanceClock(6 * 24 * 3600);
    const r = await runGapAnalysis(spec(state), { env: gapEnv(emu) });
    expect(r.inputs.entra.mode).toBe("delta-incremental");
    expect(r.notes).toEqual([]);
  });

  it("any other 400 on the saved deltaLink is an error naming it (exit 2), not a new round", async () => {
    const state = join(stateDir, `state-other-${Date.now()}.json`);
    await runGapAnalysis(spec(state), { env: gapEnv(emu) });
    await emu.admin.addFault({ path: "/v1.0/users/delta", kind: "status", status: 400, count: 1 });
    const err = await runGapAnalysis(spec(state), { env: gapEnv(emu) }).catch((e) => e);
    expect(err).toBeInstanceOf(GapInputError);
    expect(err.message).toMatch(/GET \/users\/delta \(saved deltaLink\) failed with HTTP 400/);
  });
});

describe("users moved to cloud management", () => {
  it("are read with cloudManaged true and given to the join (which files them as CloudManaged)", async () => {
    await emu.admin.setCloudManaged("moved@corp.example.test", true);
    await cloudEdit(emu, "moved@corp.example.test", "+1 206 555 0103"); // now editable in the cloud
    const without = await runGapAnalysis(spec(undefined, SOA_APP_ID), { env: gapEnv(emu, SOA_APP_ID) });
    // left out by onPremisesSyncEnabled eq true: its AD user looks unmatched
    expect(without.rows.find((x) => x.userPrincipalName.startsWith("moved@"))?.category).toBe("NotInEntra");
    const r = await runGapAnalysis(spec(undefined, SOA_APP_ID), { env: gapEnv(emu, SOA_APP_ID), cloudManaged: true });
    expect(r.rows.find((x) => x.userPrincipalName.startsWith("moved@"))?.category).toBe("CloudManaged");
    expect(r.counts.NotInEntra).toBe(0);
    const batches = await emu.admin.requests({ pathPrefix: "/beta/$batch" });
    expect(batches.length).toBeGreaterThan(0);
  });

  it("without the beta permission the candidates are named in a note and left out, not guessed", async () => {
    await emu.admin.setCloudManaged("moved@corp.example.test", true);
    const r = await runGapAnalysis(spec(), { env: gapEnv(emu), cloudManaged: true });
    expect(r.notes.join(" ")).toMatch(
      /1 users were synced and are not any more.*User-OnPremisesSyncBehavior.ReadWrite.All/,
    );
    expect(r.rows.find((x) => x.userPrincipalName.startsWith("moved@"))?.category).toBe("NotInEntra");
  });
});
