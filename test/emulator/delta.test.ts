/**
 * /users/delta as Entra answers it today: tokens die after seven days (400 syncStateNotFound, on a clock the admin
 * API moves), a synchronization reset is 410 Gone resyncRequired with a Location header, `$deltatoken=latest` gives a
 * deltaLink and no users, and `$filter=id eq '…' [or …]` tracks only those users
 * (https://learn.microsoft.com/graph/delta-query-overview, https://learn.microsoft.com/graph/api/user-delta).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { appToken, raw, startTestEmulator, syncedPair } from "../support/emulatorTenant";
import { loadOpenApiSubset } from "../support/openapi";

let emu: RunningEmulator;
let token: string;
const v1 = loadOpenApiSubset("graph-v1.0-subset.json");
const SEVEN_DAYS = 7 * 24 * 3600;

type DeltaPage = { value: Record<string, unknown>[]; "@odata.deltaLink"?: string; "@odata.nextLink"?: string };

async function get(url: string, headers: Record<string, string> = {}) {
  const u = new URL(url, emu.baseUrl);
  return raw(emu, "GET", u.pathname + u.search, { token, headers });
}

/** Reads a whole round; returns the entries and the deltaLink. */
async function round(start: string, headers: Record<string, string> = {}) {
  const value: Record<string, unknown>[] = [];
  let url: string | undefined = start;
  while (url) {
    const r = await get(url, headers);
    expect(r.status, r.text).toBe(200);
    const page = r.body as DeltaPage;
    value.push(...page.value);
    if (page["@odata.deltaLink"]) return { value, deltaLink: page["@odata.deltaLink"] };
    url = page["@odata.nextLink"];
  }
  throw new Error("no deltaLink");
}

beforeAll(async () => {
  emu = await startTestEmulator();
});
beforeEach(async () => {
  await emu.admin.reset();
  await emu.admin.addUsers(
    [1, 2, 3].map((n) => ({ userPrincipalName: syncedPair(n, null).upn, onPremisesSyncEnabled: true })),
  );
  token = await appToken(emu);
});
afterAll(async () => {
  await emu?.stop();
});

describe("token lifetime", () => {
  it("a deltaLink older than seven days is 400 syncStateNotFound with Graph's message; a new round works", async () => {
    const first = await round("/v1.0/users/delta?$select=id,mobilePhone");
    await emu.admin.advanceClock(SEVEN_DAYS - 60);
    const fresh = await get(first.deltaLink);
    expect(fresh.status).toBe(200);
    await emu.admin.advanceClock(SEVEN_DAYS + 60);
    const old = await get(first.deltaLink);
    expect(old.status).toBe(400);
    expect(v1.problems("microsoft.graph.ODataErrors.ODataError", old.body)).toBeNull();
    expect((old.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: "syncStateNotFound",
      message:
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    });
    const again = await round("/v1.0/users/delta?$select=id,mobilePhone");
    expect(again.value.length).toBeGreaterThanOrEqual(3);
  });

  it("a nextLink of a round that began more than seven days ago expires too", async () => {
    const r = await get("/v1.0/users/delta", { Prefer: "odata.maxpagesize=1" });
    const next = (r.body as DeltaPage)["@odata.nextLink"] as string;
    expect(next).toBeTruthy();
    await emu.admin.advanceClock(SEVEN_DAYS + 1);
    expect((await get(next)).status).toBe(400);
  });

  it("status, code and lifetime are tenant options (other 40X answers Learn allows)", async () => {
    await emu.admin.setOptions({
      deltaTokenExpiredError: { status: 410, code: "resyncRequired" },
      deltaTokenLifetimeSeconds: 60,
    });
    const first = await round("/v1.0/users/delta");
    await emu.admin.advanceClock(61);
    const r = await get(first.deltaLink);
    expect(r.status).toBe(410);
    expect((r.body as { error: { code: string } }).error.code).toBe("resyncRequired");
    await expect(emu.admin.setOptions({ deltaTokenExpiredError: { status: 500, code: "x" } })).rejects.toThrow(
      /status/,
    );
  });

  it("the clock is the admin API's: advanceClock adds up and reset puts it back", async () => {
    expect((await emu.admin.clock()).offsetSeconds).toBe(0);
    await emu.admin.advanceClock(10);
    const c = await emu.admin.advanceClock(5);
    expect(c.offsetSeconds).toBe(15);
    expect(Date.parse(c.now) - Date.now()).toBeGreaterThan(14_000);
    await emu.admin.reset();
    expect((await emu.admin.clock()).offsetSeconds).toBe(0);
  });
});

describe("synchronization reset", () => {
  it("every token issued before is 410 Gone resyncRequired, with a Location header for the initial query", async () => {
    const first = await round("/v1.0/users/delta?$select=id,displayName");
    await emu.admin.resetDeltaTokens();
    const r = await get(first.deltaLink);
    expect(r.status).toBe(410);
    expect((r.body as { error: { code: string } }).error.code).toBe("resyncRequired");
    expect(r.headers.get("location")).toBe(`${emu.baseUrl}/v1.0/users/delta?$select=id,displayName`);
    const again = await round(r.headers.get("location") as string);
    expect(again.value.map((u) => Object.keys(u).sort())[0]).toEqual(["displayName", "id"]);
  });
});

describe("$deltatoken=latest", () => {
  it("returns a deltaLink and no users; the link then reports only later changes", async () => {
    const r = await get("/v1.0/users/delta?$select=id,mobilePhone&$deltatoken=latest");
    expect(r.status).toBe(200);
    const page = r.body as DeltaPage;
    expect(page.value).toEqual([]);
    expect(page["@odata.nextLink"]).toBeUndefined();
    const link = page["@odata.deltaLink"] as string;
    expect(link).toMatch(/\$deltatoken=/);
    await emu.admin.patchUser(syncedPair(2, null).upn, { mobilePhone: "+1 425 555 0199" });
    const changes = await round(link);
    expect(changes.value).toHaveLength(1);
    expect(changes.value[0]).toMatchObject({ mobilePhone: "+1 425 555 0199" });
  });
});

describe("$filter on users/delta", () => {
  it("id eq '…' or id eq '…' tracks only those users, in the first round and later ones", async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => (await emu.admin.user(syncedPair(n, null).upn)).user.id as string),
    );
    const f = encodeURIComponent(`id eq '${ids[0]}' or id eq '${ids[2]}'`);
    const first = await round(`/v1.0/users/delta?$filter=${f}&$select=id,mobilePhone`);
    expect(first.value.map((u) => u.id).sort()).toEqual([ids[0], ids[2]].sort());
    await emu.admin.patchUser(ids[1], { mobilePhone: "+1 425 555 0102" });
    await emu.admin.patchUser(ids[2], { mobilePhone: "+1 425 555 0103" });
    const next = await round(first.deltaLink);
    expect(next.value.map((u) => u.id)).toEqual([ids[2]]);
  });

  it("anything else (in, another property, more than 50 ids) is refused with 400", async () => {
    const cases = [
      "id in ('a','b')",
      "displayName eq 'x'",
      Array.from({ length: 51 }, (_, i) => `id eq '${String(i).padStart(8, "0")}-0000-4000-8000-000000000000'`).join(
        " or ",
      ),
    ];
    for (const c of cases) {
      const r = await get(`/v1.0/users/delta?$filter=${encodeURIComponent(c)}`);
      expect(r.status, c.slice(0, 40)).toBe(400);
    }
  });
});
