/**
 * Every kind of emulator response body validated against Microsoft's OpenAPI description of Graph v1.0
 * (test/fixtures/graph-openapi, converted for ajv as its README says), plus a check that the emulator sends no property
 * the schema does not know.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { adminToken, appToken, raw, startTestEmulator, TENANT_ID } from "../support/emulatorTenant";

type Json = Record<string, unknown>;
const doc = JSON.parse(readFileSync(join(__dirname, "../fixtures/graph-openapi/graph-v1.0-subset.json"), "utf8")) as {
  components: { schemas: Record<string, Json> };
};
const schemas = doc.components.schemas;

/** The conversion the fixture README describes. */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== "object") return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith("x-ms-") || k.startsWith("x-subset-") || k === "discriminator" || k === "nullable") continue;
    if (k === "additionalProperties" && v && typeof v === "object" && (v as Json).type === "object") continue;
    if (k === "$ref") {
      out.$ref = String(v).replace("#/components/schemas/", "graph#/definitions/");
      continue;
    }
    out[k] = convert(v);
  }
  if (src.nullable === true) {
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    } else {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
for (const f of [
  "int32",
  "int64",
  "uuid",
  "base64url",
  "double",
  "float",
  "decimal",
  "int8",
  "int16",
  "uint8",
  "duration",
  "date",
  "time",
]) {
  if (!ajv.formats[f]) ajv.addFormat(f, true);
}
ajv.addSchema({
  $id: "graph",
  definitions: Object.fromEntries(Object.entries(schemas).map(([k, v]) => [k, convert(v)])),
});
const v = (name: string): ValidateFunction => ajv.getSchema(`graph#/definitions/${name}`) as ValidateFunction;

function check(name: string, body: unknown): void {
  const fn = v(name);
  const ok = fn(body);
  expect(ok, `${name}: ${ajv.errorsText(fn.errors)}`).toBe(true);
}

/** Property names a schema (with allOf/refs) declares. */
function declared(name: string): Set<string> {
  const out = new Set<string>();
  const walk = (s: Json) => {
    if (s.$ref) walk(schemas[String(s.$ref).replace("#/components/schemas/", "")]);
    for (const part of (s.allOf as Json[] | undefined) ?? []) walk(part);
    for (const k of Object.keys((s.properties as Json | undefined) ?? {})) out.add(k);
  };
  walk(schemas[name]);
  return out;
}

function onlyDeclared(name: string, obj: Json, extra: string[] = []): void {
  const known = declared(name);
  const unknown = Object.keys(obj).filter((k) => !known.has(k) && !extra.includes(k));
  expect(unknown, `${name}: undeclared properties`).toEqual([]);
}

let emu: RunningEmulator;
let app: string;
let admin: string;

beforeAll(async () => {
  emu = await startTestEmulator(); // app-only reads the sync object by default, as in Entra today
  await emu.admin.generateUsers({ count: 150 });
  app = await appToken(emu);
  admin = await adminToken(emu);
});
afterAll(async () => {
  await emu?.stop();
});

const ALL_USER_PROPS =
  "businessPhones,displayName,givenName,jobTitle,mail,mobilePhone,officeLocation,preferredLanguage,surname,userPrincipalName,id,accountEnabled,city,companyName,country,createdDateTime,deletedDateTime,department,employeeId,mailNickname,onPremisesDistinguishedName,onPremisesDomainName,onPremisesImmutableId,onPremisesLastSyncDateTime,onPremisesSamAccountName,onPremisesSecurityIdentifier,onPremisesSyncEnabled,onPremisesUserPrincipalName,postalCode,proxyAddresses,state,streetAddress,usageLocation,userType";

describe("response bodies match Microsoft's OpenAPI (v1.0)", () => {
  it("onPremisesSynchronization collection and object", async () => {
    const list = (await raw(emu, "GET", "/v1.0/directory/onPremisesSynchronization", { token: admin })).body as Json;
    check("microsoft.graph.onPremisesDirectorySynchronizationCollectionResponse", list);
    const item = (list.value as Json[])[0];
    check("microsoft.graph.onPremisesDirectorySynchronization", item);
    onlyDeclared("microsoft.graph.onPremisesDirectorySynchronization", item);
    onlyDeclared("microsoft.graph.onPremisesDirectorySynchronizationFeature", item.features as Json);
    expect(Object.keys(item.features as Json)).toHaveLength(
      declared("microsoft.graph.onPremisesDirectorySynchronizationFeature").size,
    );
    onlyDeclared("microsoft.graph.onPremisesDirectorySynchronizationConfiguration", item.configuration as Json);
    const one = (await raw(emu, "GET", `/v1.0/directory/onPremisesSynchronization/${TENANT_ID}`, { token: app }))
      .body as Json;
    check("microsoft.graph.onPremisesDirectorySynchronization", one);
    onlyDeclared("microsoft.graph.onPremisesDirectorySynchronization", one, ["@odata.context"]);
  });

  it("users page (default properties, all properties, with @odata.count)", async () => {
    for (const q of ["", `?$select=${ALL_USER_PROPS}&$top=120`]) {
      const page = (await raw(emu, "GET", `/v1.0/users${q}`, { token: app })).body as Json;
      check("microsoft.graph.userCollectionResponse", page);
      expect(page["@odata.nextLink"]).toBeTruthy();
      for (const u of page.value as Json[]) onlyDeclared("microsoft.graph.user", u);
    }
    const counted = (
      await raw(emu, "GET", "/v1.0/users?$count=true&$top=5", { token: app, headers: { ConsistencyLevel: "eventual" } })
    ).body as Json;
    check("microsoft.graph.userCollectionResponse", counted);
    check("BaseCollectionPaginationCountResponse", counted);
    expect(counted["@odata.count"]).toBe(152);
  });

  it("single user", async () => {
    const u = (await raw(emu, "GET", `/v1.0/users/user1@corp.example.test?$select=${ALL_USER_PROPS}`, { token: app }))
      .body as Json;
    check("microsoft.graph.user", u);
    onlyDeclared("microsoft.graph.user", u, ["@odata.context"]);
    expect(Object.keys(u)).toHaveLength(ALL_USER_PROPS.split(",").length + 1);
    const d = (await raw(emu, "GET", "/v1.0/users/admin@corp.example.test", { token: app })).body as Json;
    check("microsoft.graph.user", d);
  });

  it("delta pages, including removed entries", async () => {
    const first = (await raw(emu, "GET", `/v1.0/users/delta?$select=${ALL_USER_PROPS}`, { token: app })).body as Json;
    check("microsoft.graph.userDeltaResponse", first);
    let page = first;
    while (page["@odata.nextLink"])
      page = (await fetch(page["@odata.nextLink"] as string, { headers: { authorization: `Bearer ${app}` } }).then(
        (r) => r.json(),
      )) as Json;
    check("microsoft.graph.userDeltaResponse", page);
    check("BaseDeltaFunctionResponse", page);
    await emu.admin.deleteUser("user2@corp.example.test");
    const changes = (await fetch(page["@odata.deltaLink"] as string, {
      headers: { authorization: `Bearer ${app}` },
    }).then((r) => r.json())) as Json;
    check("microsoft.graph.userDeltaResponse", changes);
    expect((changes.value as Json[])[0]["@removed"]).toEqual({ reason: "changed" });
  });

  it("organization", async () => {
    const org = (await raw(emu, "GET", "/v1.0/organization", { token: admin })).body as Json;
    check("microsoft.graph.organizationCollectionResponse", org);
    const o = (org.value as Json[])[0];
    onlyDeclared("microsoft.graph.organization", o);
    for (const d of o.verifiedDomains as Json[]) onlyDeclared("microsoft.graph.verifiedDomain", d);
    const one = (await raw(emu, "GET", `/v1.0/organization/${TENANT_ID}`, { token: admin })).body as Json;
    check("microsoft.graph.organization", one);
  });

  it("error bodies of /users/$count without ConsistencyLevel and of the write quota's 429", async () => {
    const count = await raw(emu, "GET", "/v1.0/users/$count", { token: app });
    expect(count.status).toBe(400);
    check("microsoft.graph.ODataErrors.ODataError", count.body);
    await emu.admin.setOptions({ throttling: { enabled: true, writeBucketSize: 1, writeWindowSeconds: 1000 } });
    const patch = () =>
      raw(emu, "PATCH", "/v1.0/users/user3@corp.example.test", { token: app, body: { usageLocation: "US" } });
    const first = await patch();
    const second = await patch();
    await emu.admin.setOptions({ throttling: { enabled: false, writeBucketSize: 3000, writeWindowSeconds: 150 } });
    expect([first.status, second.status]).toEqual([204, 429]);
    check("microsoft.graph.ODataErrors.ODataError", second.body);
  });

  it("error bodies (400, 401, 403, 404, 405, 429)", async () => {
    const bodies = [
      await raw(emu, "GET", "/v1.0/users?$top=1000", { token: admin }),
      await raw(emu, "GET", "/v1.0/users"),
      await raw(emu, "GET", "/v1.0/nosuch", { token: admin }),
      await raw(emu, "GET", "/v1.0/users/nobody@corp.example.test", { token: admin }),
      await raw(emu, "DELETE", "/v1.0/organization", { token: admin }),
    ];
    await emu.admin.setOptions({ throttling: { enabled: true, bucketSize: 1, windowSeconds: 1000 } });
    await raw(emu, "GET", "/v1.0/users?$select=id&$top=5", { token: admin });
    bodies.push(await raw(emu, "GET", "/v1.0/users?$select=id&$top=5", { token: admin }));
    await emu.admin.setOptions({ throttling: { enabled: false } });
    const ro = await raw(emu, "PATCH", `/v1.0/directory/onPremisesSynchronization/${TENANT_ID}`, {
      token: await adminToken(emu, "reader@corp.example.test", "reader-password"),
      body: { features: {} },
    });
    bodies.push(ro);
    expect(bodies.map((b) => b.status).sort()).toEqual([400, 400, 401, 403, 404, 405, 429].sort());
    for (const b of bodies) {
      check("microsoft.graph.ODataErrors.ODataError", b.body);
      const e = (b.body as { error: Json }).error;
      expect(Object.keys(e).sort()).toEqual(["code", "innerError", "message"]);
      expect(Object.keys(e.innerError as Json).sort()).toEqual(["client-request-id", "date", "request-id"]);
    }
  });
});
