/**
 * Validating bodies against one of the OpenAPI subsets in test/fixtures/graph-openapi, converted for ajv the way that
 * folder's README says: `additionalProperties: {type: object}` dropped, `nullable: true` turned into a null type,
 * `x-ms-*` / `x-subset-*` / `discriminator` dropped, refs pointed at the ajv schema ids.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

type Json = Record<string, unknown>;

function convert(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, id));
  if (!node || typeof node !== "object") return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith("x-ms-") || k.startsWith("x-subset-") || k === "discriminator" || k === "nullable") continue;
    if (k === "additionalProperties" && v && typeof v === "object" && (v as Json).type === "object") continue;
    if (k === "$ref") {
      out.$ref = String(v).replace("#/components/schemas/", `${id}#/definitions/`);
      continue;
    }
    out[k] = convert(v, id);
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

export interface OpenApiSubset {
  /** Null when `body` matches the component schema `name`, else ajv's error text. */
  problems(name: string, body: unknown): string | null;
  /** The raw document (paths, components). */
  doc: { paths: Json; components: { schemas: Record<string, Json> } };
}

/**
 * Loads `test/fixtures/graph-openapi/<file>`. `patch` may adjust the converted schemas first (e.g. the audit subset's
 * `initiatedBy.app`/`user`, which Microsoft's own example returns as null).
 */
export function loadOpenApiSubset(file: string, patch?: (defs: Record<string, Json>) => void): OpenApiSubset {
  const doc = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "graph-openapi", file), "utf8"));
  const id = file.replace(/\W/g, "_");
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
  const defs = Object.fromEntries(
    Object.entries(doc.components.schemas as Record<string, Json>).map(([k, v]) => [k, convert(v, id) as Json]),
  );
  patch?.(defs);
  ajv.addSchema({ $id: id, definitions: defs });
  return {
    doc,
    problems(name, body) {
      const fn = ajv.getSchema(`${id}#/definitions/${name}`) as ValidateFunction | undefined;
      if (!fn) return `no schema ${name} in ${file}`;
      return fn(body) ? null : ajv.errorsText(fn.errors);
    },
  };
}
