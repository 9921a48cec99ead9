/**
 * The local tenant driven by Microsoft's Kiota-based Graph SDK for TypeScript (@microsoft/msgraph-sdk with its users
 * and directory packages, authenticated by @microsoft/kiota-authentication-azure over an @azure/identity credential):
 * what a team using the newer SDK instead of @microsoft/microsoft-graph-client would send. It tests the emulator, not
 * product code: app-only and delegated tokens, the onPremisesSynchronization object, users paging with
 * $filter/$select/$top=999 through the SDK's PageIterator, $count, 429 + Retry-After honoured by the SDK's retry
 * handler, and Graph error bodies surfaced as ODataError.
 */
import type { TokenCredential } from "@azure/identity";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-directory";
import "@microsoft/msgraph-sdk-users";
import {
  createUserCollectionResponseFromDiscriminatorValue,
  type OnPremisesDirectorySynchronization,
  type User,
  type UserCollectionResponse,
} from "@microsoft/msgraph-sdk/models";
import { createODataErrorFromDiscriminatorValue, type ODataError } from "@microsoft/msgraph-sdk/models/oDataErrors";
import { createGraphClientFactory, type PageCollection, PageIterator } from "@microsoft/msgraph-sdk-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  ADMIN_UPN,
  APP_ID,
  GRAPH_SCOPE,
  passwordCredential,
  READER_PASSWORD,
  READER_UPN,
  secretCredential,
  startTestEmulator,
  TENANT_ID,
} from "../support/emulatorTenant";

/** Every SDK request gets 30 s; the SDK's fetch has no timeout of its own. */
const timedFetch = (url: string, init: RequestInit) =>
  fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) });

interface Sdk {
  client: GraphServiceClient;
  adapter: GraphRequestAdapter;
}

/** The SDK as its README builds it, pointed at the emulator (allowedHosts: the emulator's host name). */
function sdk(emu: RunningEmulator, credential: TokenCredential): Sdk {
  const auth = new AzureIdentityAuthenticationProvider(credential, [GRAPH_SCOPE], undefined, new Set([emu.hostName]));
  // The default middleware (retry, redirect, telemetry…) over a fetch with a timeout; the adapter itself asks `auth`
  // for the token of each request.
  const httpClient = createGraphClientFactory(
    { graphServiceTargetVersion: "", graphProductPrefix: "graph-typescript" },
    timedFetch,
  );
  const adapter = new GraphRequestAdapter(auth, undefined, undefined, httpClient);
  adapter.baseUrl = emu.graphBaseUrl;
  return { client: createGraphServiceClient(adapter), adapter };
}

const odata = (e: unknown) => e as ODataError;

let emu: RunningEmulator;
let app: Sdk;
let admin: Sdk;

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin.generateUsers({ count: 1500 });
  await emu.admin.patchUser("user9@corp.example.test", { accountEnabled: false });
  app = sdk(emu, secretCredential(emu));
  admin = sdk(emu, passwordCredential(emu));
});
beforeEach(async () => {
  await emu.admin.setOptions({ throttling: { enabled: false }, allowAppOnlyOnPremSync: true });
  await emu.admin.clearRequests();
});
afterAll(async () => {
  await emu?.stop();
});

describe("onPremisesSynchronization through the Kiota SDK", () => {
  it("app-only (the pipeline's path): list and get by id; the SDK's model holds all 20 features", async () => {
    const list = await app.client.directory.onPremisesSynchronization.get();
    expect(list?.value).toHaveLength(1);
    const one = (await app.client.directory.onPremisesSynchronization
      .byOnPremisesDirectorySynchronizationId(TENANT_ID)
      .get()) as OnPremisesDirectorySynchronization;
    expect(one.id).toBe(TENANT_ID);
    expect(one.features?.passwordSyncEnabled).toBe(true);
    expect(one.features?.bypassDirSyncOverridesEnabled).toBe(false);
    expect(one.configuration?.accidentalDeletionPrevention?.alertThreshold).toBe(500);
    const log = await emu.admin.requests({ area: "graph" });
    expect(log.map((e) => [e.status, e.appId, e.userId])).toEqual([
      [200, APP_ID, undefined],
      [200, APP_ID, undefined],
    ]);
  });

  it("delegated as a Global Administrator; a Global Reader reads too", async () => {
    const one = await admin.client.directory.onPremisesSynchronization
      .byOnPremisesDirectorySynchronizationId(TENANT_ID)
      .get();
    expect(one?.id).toBe(TENANT_ID);
    const reader = sdk(emu, passwordCredential(emu, READER_UPN, READER_PASSWORD));
    expect((await reader.client.directory.onPremisesSynchronization.get())?.value?.[0]?.id).toBe(TENANT_ID);
    const users = await emu.admin.requests({ area: "graph" });
    expect(new Set(users.map((e) => e.userId)).size).toBe(2);
  });

  it("a refused call surfaces as ODataError with Graph's code and message (403, and 404 for another id)", async () => {
    await emu.admin.setOptions({ allowAppOnlyOnPremSync: false });
    const denied = await app.client.directory.onPremisesSynchronization.get().catch((e) => e);
    expect(odata(denied).responseStatusCode).toBe(403);
    expect(odata(denied).errorEscaped?.code).toBe("Authorization_RequestDenied");
    expect(odata(denied).errorEscaped?.message).toBe("Insufficient privileges to complete the operation.");
    const inner = odata(denied).errorEscaped?.innerError;
    expect(inner?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(inner?.date).toBeInstanceOf(Date);
    expect(odata(denied).message).toBe("Insufficient privileges to complete the operation."); // ApiError.message
    const other = await admin.client.directory.onPremisesSynchronization
      .byOnPremisesDirectorySynchronizationId("00000000-0000-4000-8000-000000000000")
      .get()
      .catch((e) => e);
    expect(odata(other).responseStatusCode).toBe(404);
    expect(odata(other).errorEscaped?.code).toBe("Request_ResourceNotFound");
  });
});

describe("users through the Kiota SDK", () => {
  it("PageIterator over $filter + $select + $top=999 follows odataNextLink to the last synced user", async () => {
    const first = (await app.client.users.get({
      queryParameters: {
        filter: "onPremisesSyncEnabled eq true",
        select: ["id", "userPrincipalName", "onPremisesImmutableId", "mobilePhone"],
        top: 999,
      },
    })) as UserCollectionResponse;
    expect(first.value).toHaveLength(999);
    expect(first.odataNextLink).toMatch(new RegExp(`^${emu.graphBaseUrl}/users\\?`));
    const seen: User[] = [];
    // The SDK's PageCollection types `value` as required where the generated model has it optional.
    const iterator = new PageIterator<User>(
      app.adapter,
      first as PageCollection<User>,
      (u) => {
        seen.push(u);
        return true;
      },
      createUserCollectionResponseFromDiscriminatorValue as never,
      { XXX: createODataErrorFromDiscriminatorValue },
    );
    await iterator.iterate();
    expect(seen).toHaveLength(1500);
    expect(new Set(seen.map((u) => u.id)).size).toBe(1500);
    expect(seen.every((u) => typeof u.onPremisesImmutableId === "string" && u.displayName === undefined)).toBe(true);
    const pages = (await emu.admin.requests({ area: "graph" })).map((e) => e.url);
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatch(/top=999/);
  });

  it("$count: the count segment and @odata.count with ConsistencyLevel: eventual; without it 400 Request_BadRequest", async () => {
    const headers = { ConsistencyLevel: "eventual" };
    expect(await app.client.users.count.get({ headers })).toBe(1502);
    expect(await app.client.users.count.get({ headers, queryParameters: { filter: "accountEnabled eq false" } })).toBe(
      1,
    );
    const page = await app.client.users.get({
      headers,
      queryParameters: { count: true, top: 5, filter: "endsWith(userPrincipalName,'@corp.example.test')" },
    });
    expect(page?.odataCount).toBe(1502);
    expect(page?.value).toHaveLength(5);
    const without = await app.client.users.count.get().catch((e) => e);
    expect(odata(without).responseStatusCode).toBe(400);
    expect(odata(without).errorEscaped?.code).toBe("Request_BadRequest");
    expect(odata(without).errorEscaped?.message).toBe("$count is not currently supported.");
  });

  it("delegated read of one user by userPrincipalName; an unknown one is ODataError 404", async () => {
    const me = await admin.client.users.byUserId(ADMIN_UPN).get({ queryParameters: { select: ["id", "displayName"] } });
    expect(me?.displayName).toBe("Admin");
    const nobody = await admin.client.users
      .byUserId("nobody@corp.example.test")
      .get()
      .catch((e) => e);
    expect(odata(nobody).responseStatusCode).toBe(404);
    expect(odata(nobody).errorEscaped?.code).toBe("Request_ResourceNotFound");
    const tooMany = await app.client.users.get({ queryParameters: { top: 1000 } }).catch((e) => e);
    expect(odata(tooMany).responseStatusCode).toBe(400);
  });

  it("429 with Retry-After: the SDK's retry handler waits as told and the call succeeds", async () => {
    // 3 resource units, refilled at 1 per second: the 4th GET (1 RU with $select and $top ≥ 20) waits 1 s.
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 3, windowSeconds: 3 } });
    for (let i = 0; i < 4; i++) {
      const r = await app.client.users.get({ queryParameters: { select: ["id"], top: 20 } });
      expect(r?.value).toHaveLength(20);
    }
    const log = await emu.admin.requests({ area: "graph" });
    expect(log.map((e) => e.status)).toEqual([200, 200, 200, 429, 200]);
    const throttled = log[3];
    const retried = log[4];
    expect(Date.parse(retried.time) - Date.parse(throttled.time)).toBeGreaterThanOrEqual(900);
  });
});

// The next two exercise behaviour the other half of issue 16 added to the emulator (PATCH that ignores instance
// annotations and merges features; delta tokens that expire): present in this tree, so tested through the SDK too.
describe("round trips through the SDK's own models", () => {
  it("GET → modify → PATCH of the SDK's onPremisesDirectorySynchronization model changes exactly the one feature", async () => {
    const item = app.client.directory.onPremisesSynchronization.byOnPremisesDirectorySynchronizationId(TENANT_ID);
    const before = (await item.get()) as OnPremisesDirectorySynchronization;
    const featuresBefore = (await emu.admin.syncObject()).features;
    if (!before.features) throw new Error("no features in the SDK's model");
    before.features.bypassDirSyncOverridesEnabled = true;
    await item.patch(before);
    const after = (await emu.admin.syncObject()).features;
    expect(after).toEqual({ ...featuresBefore, bypassDirSyncOverridesEnabled: true });
    const sent = (await emu.admin.requests({ method: "PATCH" })).at(-1);
    expect(sent?.status).toBe(204);
    expect(sent?.body).toMatchObject({ features: { bypassDirSyncOverridesEnabled: true } });
    await item.patch({ features: { bypassDirSyncOverridesEnabled: false } });
    expect((await emu.admin.syncObject()).features).toEqual(featuresBefore);
  });

  it("delta: the SDK follows pages to a deltaLink; once the token has aged past its lifetime Graph's error surfaces", async () => {
    let page = await app.client.users.delta.get({ queryParameters: { select: ["id", "mobilePhone"] } });
    let n = page?.value?.length ?? 0;
    while (page?.odataNextLink) {
      page = await app.client.users.delta.withUrl(page.odataNextLink).get();
      n += page?.value?.length ?? 0;
    }
    expect(n).toBe(1502);
    const deltaLink = page?.odataDeltaLink;
    expect(deltaLink).toMatch(/\$deltatoken=/);
    await emu.admin.patchUser("user3@corp.example.test", { mobilePhone: "+1 425 555 0100" });
    const changes = await app.client.users.delta.withUrl(String(deltaLink)).get();
    expect(changes?.value?.map((u) => u.mobilePhone)).toEqual(["+1 425 555 0100"]);
    const options = await emu.admin.getOptions();
    await emu.admin.advanceClock(options.deltaTokenLifetimeSeconds + 60);
    const expired = await app.client.users.delta
      .withUrl(String(changes?.odataDeltaLink))
      .get()
      .catch((e) => e);
    expect(odata(expired).responseStatusCode).toBe(options.deltaTokenExpiredError.status);
    expect(odata(expired).errorEscaped?.code).toBe(options.deltaTokenExpiredError.code);
  });
});
