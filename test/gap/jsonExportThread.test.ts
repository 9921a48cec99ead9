/**
 * The Graph JSON export read in a worker thread (gap/entra/jsonExportThread.ts) gives what the in-thread read gives:
 * the same users in the same order, the same info and notes, and the same error for every broken file, also when
 * the users before the failure span several of the worker's batches.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type EntraExport, readEntraJsonFile } from "../../gap/entra/jsonExport";
import { readEntraJsonFileInWorker } from "../../gap/entra/jsonExportThread";
import { GapInputError } from "../../gap/errors";
import { graphExportUser } from "../support/entraExport";
import { tempFiles } from "../support/tempFiles";

const FIXTURES = resolve(__dirname, "../fixtures/gap");
const { dir: tmp, write: file } = tempFiles("syncgap-json-thread-");
const u = (i: number, over: Record<string, unknown> = {}) =>
  graphExportUser(i, {
    onPremisesUserPrincipalName: `user${i}@corp.example.test`,
    department: `Dept ${i % 7}`,
    onPremisesSyncEnabled: i % 11 === 0 ? null : true,
    ...over,
  });
const users = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => u(from + k));
const NEXT = "https://graph.microsoft.com/v1.0/users?$skiptoken=x";

type Outcome = { ok: unknown } | { error: { source: string; problem: string; remedy?: string } };
const outcome = async (read: () => unknown): Promise<Outcome> => {
  try {
    return { ok: await read() };
  } catch (e) {
    expect(e).toBeInstanceOf(GapInputError);
    const g = e as GapInputError;
    return { error: { source: g.source, problem: g.problem, remedy: g.remedy } };
  }
};

/** The users as objects: the packed table compares as equal to any other. */
const plain = (x: EntraExport) => ({ ...x, users: x.users.toArray() });

async function same(path: string): Promise<Outcome> {
  const here = await outcome(() => plain(readEntraJsonFile(path)));
  const there = await outcome(async () => plain(await readEntraJsonFileInWorker(path, { minWorkerBytes: 0 })));
  expect(there).toEqual(here);
  return here;
}

describe("the Graph JSON export read in a worker thread", () => {
  it("reads the fixture exports as the in-thread read does", async () => {
    for (const f of [
      "entra-users.json",
      "entra-pages.json",
      "entra-single-page.json",
      "entra-powershell.json",
      "entra-mixed.json",
      "entra-bad-user.json",
    ])
      await same(join(FIXTURES, f));
  });

  it("reads many users over many batches, in every shape, and shares the repeated strings again", async () => {
    const pages = [
      { "@odata.nextLink": NEXT, value: users(0, 999) },
      { "@odata.nextLink": NEXT, value: users(999, 2400) },
      { value: users(2400, 2500) },
    ];
    for (const text of [
      JSON.stringify(pages, null, 2),
      JSON.stringify(users(0, 2500)),
      JSON.stringify({ "@odata.count": 2500, value: users(0, 2500) }),
    ]) {
      const r = (await same(file(text))) as { ok: { users: { userPrincipalName: string }[] } };
      expect(r.ok.users.length).toBe(2500 - 228);
    }
    const x = await readEntraJsonFileInWorker(file(JSON.stringify(users(0, 3000))), { minWorkerBytes: 0 });
    const [a, b] = [x.users.toArray()[1]!, x.users.toArray()[2]!];
    expect(a.onPremisesUserPrincipalName).toBe(a.userPrincipalName);
    expect(x.users.toArray().find((v) => v !== a && v.department === a.department)?.department).toBe(a.department);
    expect(b.id).not.toBe(a.id);
  });

  it("fails as the in-thread read does, with the users before the failure checked first", async () => {
    const dupLater = users(0, 2500);
    dupLater[2200] = u(5);
    const cases = [
      JSON.stringify(dupLater),
      // a duplicate in an early batch, then a syntax error further on: the duplicate is reported
      `${JSON.stringify(dupLater).slice(0, -1)},{"id": }]`,
      // a syntax error after more than one batch of good users
      `${JSON.stringify(users(0, 2500)).slice(0, -1)},{"id": }]`,
      JSON.stringify([{ value: users(0, 10), "@odata.nextLink": NEXT }]),
      JSON.stringify({ "@odata.count": 3, value: users(0, 2) }),
      JSON.stringify([...users(0, 1500), { id: "x", userPrincipalName: 5 }]),
      JSON.stringify(users(0, 1200)).slice(0, -3),
      "[]",
      "",
    ];
    for (const text of cases) expect(await same(file(text))).toHaveProperty("error");
    expect(await same(join(tmp, "missing.json"))).toHaveProperty("error");
  });

  it("stops when the run is aborted", async () => {
    const ac = new AbortController();
    const p = readEntraJsonFileInWorker(file(JSON.stringify(users(0, 20000))), {
      minWorkerBytes: 0,
      signal: ac.signal,
    });
    ac.abort(new Error("the AD side failed"));
    await expect(p).rejects.toThrow("the AD side failed");
  });
});
