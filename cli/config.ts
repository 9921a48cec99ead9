/**
 * syncgap.yaml: AD, Entra ID, thresholds, region and report settings in one file (docs/configuration.md). Its JSON
 * Schema is built from the settings table (cli/settings.ts) and checked with ajv; every problem names the file, the
 * line and the key, and says what to write instead. Secrets are never read from it: a secret key is an error naming
 * the environment variable to use. Relative paths in the file are relative to the file's folder, so a config
 * works from any working directory.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { parseShare } from "../gap/coverage";
import { errorText } from "../gap/errors";
import { AD_SOURCE_PROPERTIES } from "../gap/sources";
import { UsageError } from "./options";
import { SECRETS, SETTINGS, type Setting } from "./settings";

export const CONFIG_FILE = "syncgap.yaml";
export const CONFIG_SCHEMA_ID = "syncgap-config.schema.json";

function valueSchema(s: Setting): Record<string, unknown> {
  const described = { description: s.description };
  switch (s.type) {
    case "boolean":
      return { type: "boolean", ...described };
    case "integer":
      return { type: "integer", minimum: 0, ...described };
    case "number":
      return { type: "number", exclusiveMinimum: 0, ...described };
    case "share":
      return {
        oneOf: [
          { type: "number", minimum: 0, maximum: 100 },
          { type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$" },
        ],
        ...described,
      };
    case "choice":
      return { type: "string", enum: [...(s.choices ?? [])], ...described };
    case "list":
      return {
        oneOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }],
        ...described,
      };
    default: {
      const adKey = s.key?.startsWith("ad.") ? (s.key.slice(3) as keyof typeof AD_SOURCE_PROPERTIES) : undefined;
      const pattern =
        adKey && "pattern" in AD_SOURCE_PROPERTIES[adKey] ? AD_SOURCE_PROPERTIES[adKey].pattern : undefined;
      return { type: "string", minLength: 1, ...(pattern ? { pattern } : {}), ...described };
    }
  }
}

/** The JSON Schema of syncgap.yaml (schemas/syncgap-config.schema.json is this, written out). */
export function configSchema(): Record<string, unknown> {
  type Obj = { type: "object"; additionalProperties: false; properties: Record<string, unknown> };
  const root: Obj = { type: "object", additionalProperties: false, properties: { $schema: { type: "string" } } };
  for (const s of SETTINGS) {
    if (!s.key) continue;
    const parts = s.key.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) {
      node.properties[p] ??= { type: "object", additionalProperties: false, properties: {} };
      node = node.properties[p] as Obj;
    }
    node.properties[parts[parts.length - 1]] = valueSchema(s);
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: CONFIG_SCHEMA_ID,
    title: "syncgap.yaml",
    description:
      "Settings of syncgap gap|impact|check (docs/configuration.md). Flags override the file, the file overrides the environment. Secrets never go here: they come from the environment.",
    ...root,
  };
}

/** The file's settings by option name, already typed (paths absolute), and where it came from. */
export interface LoadedConfig {
  file: string;
  values: Record<string, unknown>;
}

export class ConfigError extends UsageError {
  override name = "ConfigError";
}

let validator: ReturnType<Ajv["compile"]> | undefined;

export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read the config file ${file}: ${errorText(e)} (check --config or SYNCGAP_CONFIG)`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? file : `${file}:${lines.linePos(offset).line}`);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ConfigError(`${at(e.pos[0])}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const nodeAt = (keyPath: string[]) => {
    const node = doc.getIn(keyPath, true) as { range?: [number, number, number] } | undefined;
    return node?.range?.[0];
  };
  /** The offset of a key itself (for a key that should not be there). */
  const keyAt = (parent: string[], key: string): number | undefined => {
    const map = parent.length ? doc.getIn(parent, true) : doc.contents;
    if (!isMap(map)) return undefined;
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
  };
  const data = doc.toJS() ?? {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(
      `${file}: the config file must be a mapping of settings (ad:, entra:, thresholds:, reports:)`,
    );
  }

  // Secrets first: a secret must never be "just an unknown key" — say where it goes.
  const known = new Set(SETTINGS.flatMap((s) => (s.key ? [s.key] : [])));
  const walk = (obj: Record<string, unknown>, prefix: string[]) => {
    for (const [k, v] of Object.entries(obj)) {
      const keyPath = [...prefix, k];
      const dotted = keyPath.join(".");
      const secret = SECRETS.find((s) => s.keys.includes(dotted));
      if (secret || (!known.has(dotted) && /password|secret|token/i.test(k))) {
        throw new ConfigError(
          `${at(keyAt(prefix, k))}: ${dotted}: secrets never go in the config file (it is read, copied and committed like code): ` +
            `remove it and put the ${secret?.what ?? "secret"} in the environment variable ${secret?.env ?? "the credential reads (docs/authentication.md)"}`,
        );
      }
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, keyPath);
    }
  };
  walk(data, []);

  validator ??= new Ajv({ allErrors: false, strict: false }).compile(configSchema());
  if (!validator(data)) {
    const err = validator.errors?.[0];
    const keyPath = (err?.instancePath ?? "").split("/").filter(Boolean);
    if (err?.keyword === "additionalProperties") {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      const dotted = [...keyPath, extra].join(".");
      // the same key in another case, or one letter short (baseDn for baseDNs)
      const squash = (k: string) => k.toLowerCase().replace(/s$/, "");
      const near = [...known].filter((k) => squash(k.split(".").pop() ?? "") === squash(extra));
      throw new ConfigError(
        `${at(keyAt(keyPath, extra))}: ${dotted}: not a setting${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; the settings are listed in docs/configuration.md`,
      );
    }
    const dotted = keyPath.join(".") || "(top level)";
    const allowed = (err?.params as { allowedValues?: string[] })?.allowedValues;
    throw new ConfigError(
      `${at(nodeAt(keyPath))}: ${dotted}: ${err?.message ?? "invalid"}${allowed ? ` (${allowed.join(", ")})` : ""}; see docs/configuration.md`,
    );
  }

  const baseDir = path.dirname(path.resolve(file));
  const values: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    if (!s.key) continue;
    const v = doc.getIn(s.key.split("."));
    if (v === undefined || v === null) continue;
    const js = (v as { toJSON?: () => unknown }).toJSON ? (v as { toJSON: () => unknown }).toJSON() : v;
    try {
      values[s.option] = fileValue(s, js, baseDir);
    } catch (e) {
      throw new ConfigError(`${at(nodeAt(s.key.split(".")))}: ${s.key}: ${errorText(e)}; see docs/configuration.md`);
    }
  }
  return { file, values };
}

/** A schema-valid file value as the option's type (what commander would have made of the flag). */
function fileValue(s: Setting, v: unknown, baseDir: string): unknown {
  switch (s.type) {
    case "path":
      return path.resolve(baseDir, v as string);
    case "list":
      if (s.option === "adBaseDn") return Array.isArray(v) ? v : [v];
      return Array.isArray(v) ? v.join(",") : v;
    case "share":
      return parseShare(s.key as string, String(v));
    default:
      return v;
  }
}
