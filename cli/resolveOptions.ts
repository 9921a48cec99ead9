/**
 * A command's options from all three places, in one order: a flag overrides syncgap.yaml, which overrides the
 * environment, which overrides the default (cli/settings.ts lists which setting has which). The Graph connection's
 * variables are read by graph/connection.ts, under the flags and the file (passed to it as overrides).
 *
 * Source kinds: AD is one of --ad-url / --ad-ldif / --ad-csv and Entra ID one of --entra-graph / --entra-json. The
 * highest place that names a kind decides it, and kinds named lower down are dropped with a note: SYNCGAP_AD_URL in
 * the environment never turns `--ad-ldif x` into "choose one AD source". Two kinds in the same place stay an error.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { parseShare } from "../gap/coverage";
import { errorText } from "../gap/errors";
import { CONFIG_FILE, type LoadedConfig, loadConfig } from "./config";
import { bool, type CommonOptions, nonNegativeInt, positiveNumber, UsageError } from "./options";
import { printError } from "./output";
import { AD_SOURCE_OPTIONS, ENTRA_SOURCE_OPTIONS, SETTINGS, type Setting } from "./settings";

export interface Resolved<T> {
  options: T;
  /** Things worth saying (a config file used, a variable of another source kind left aside). */
  notes: string[];
  config?: LoadedConfig;
}

/** An environment value as the option's type; a bad one is a usage error naming the variable. */
function envValue(s: Setting, name: string, raw: string): unknown {
  switch (s.type) {
    case "boolean":
      return bool(name)(raw);
    case "number":
      return positiveNumber(name)(raw);
    case "integer":
      return nonNegativeInt(name)(raw);
    case "share":
      try {
        return parseShare(name, raw);
      } catch (e) {
        throw new UsageError(errorText(e));
      }
    case "choice":
      if (!s.choices?.includes(raw)) {
        throw new UsageError(`${name} must be one of ${s.choices?.join(", ")}, got "${raw}"`);
      }
      return raw;
    case "list":
      // DNs hold commas, so the variable separates them with ";"
      if (s.option === "adBaseDn")
        return raw
          .split(";")
          .map((d) => d.trim())
          .filter(Boolean);
      return raw;
    case "path":
      return path.resolve(raw);
    default:
      return raw;
  }
}

function fromEnv(s: Setting, env: NodeJS.ProcessEnv): { name: string; value: unknown } | undefined {
  if (s.graph || !s.env) return undefined;
  for (const name of s.env) {
    const raw = env[name];
    if (raw !== undefined && raw !== "") return { name, value: envValue(s, name, raw) };
  }
  return undefined;
}

/** The config file: --config, else SYNCGAP_CONFIG, else ./syncgap.yaml when there is one. */
function configPath(cmd: Command, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const flag = cmd.getOptionValue("config") as string | undefined;
  if (flag) return path.resolve(cwd, flag);
  if (env.SYNCGAP_CONFIG) return path.resolve(cwd, env.SYNCGAP_CONFIG);
  const here = path.join(cwd, CONFIG_FILE);
  return existsSync(here) ? here : undefined;
}

export function resolveOptions<T extends CommonOptions>(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Resolved<T> {
  const notes: string[] = [];
  const file = configPath(cmd, env, cwd);
  const config = file ? loadConfig(file) : undefined;
  if (config && !cmd.getOptionValue("config") && !env.SYNCGAP_CONFIG) notes.push(`settings from ${config.file}`);
  const has = (option: string) => cmd.options.some((o) => o.attributeName() === option);
  const fromCli = (option: string) => cmd.getOptionValueSource(option) === "cli";
  const opts = { ...cmd.opts() } as Record<string, unknown>;

  const layered = new Map<string, "cli" | "file" | "env">();
  const envNames = new Map<string, string>();
  for (const s of SETTINGS) {
    if (s.option === "config" || !has(s.option)) continue;
    if (fromCli(s.option)) {
      layered.set(s.option, "cli");
      continue;
    }
    if (config && s.option in config.values) {
      opts[s.option] = config.values[s.option];
      layered.set(s.option, "file");
      continue;
    }
    const e = fromEnv(s, env);
    if (e) {
      opts[s.option] = e.value;
      layered.set(s.option, "env");
      envNames.set(s.option, e.name);
    }
  }

  // The highest place that names a source kind decides it.
  const where = { cli: "the command line", file: config?.file ?? "the config file", env: "the environment" };
  for (const group of [AD_SOURCE_OPTIONS, ENTRA_SOURCE_OPTIONS] as readonly (readonly string[])[]) {
    const named = group.filter((o) => layered.has(o) && opts[o] !== undefined && opts[o] !== false);
    const top = (["cli", "file", "env"] as const).find((l) => named.some((o) => layered.get(o) === l));
    if (!top) continue;
    for (const o of named) {
      if (layered.get(o) === top) continue;
      const s = SETTINGS.find((x) => x.option === o) as Setting;
      const label = layered.get(o) === "env" ? (envNames.get(o) as string) : (s.key as string);
      const chosen = named.filter((x) => layered.get(x) === top).map((x) => SETTINGS.find((y) => y.option === x)?.flag);
      notes.push(
        `${label} (${where[layered.get(o) as "file" | "env"]}) left aside: ${chosen.join(", ")} from ${where[top]} wins`,
      );
      opts[o] = undefined;
    }
  }
  return { options: opts as T, notes, ...(config ? { config } : {}) };
}

/** resolveOptions, with its notes on stderr (unless --quiet): what a command's action calls. */
export function commandOptions<T extends CommonOptions>(cmd: Command): T {
  const { options, notes } = resolveOptions<T>(cmd);
  if (!options.quiet) for (const n of notes) printError(`syncgap: note: ${n}`);
  return options;
}
