/**
 * Cache@2, emulated: the key from `|`-separated segments (quoted text, file paths hashed, globs), restored from a
 * local cache store (RunOptions.cacheStore, exactly or by a restoreKeys prefix), saved after a successful job when
 * the key missed. https://learn.microsoft.com/azure/devops/pipelines/release/caching
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TaskHost, TaskResult } from "./taskHost";
import { readInputs, resolveIn, TaskInputError } from "./taskInputs";

function cacheKey(host: TaskHost, spec: string): string {
  return spec
    .split("|")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((segment) => {
      const quoted = /^"(.*)"$/.exec(segment);
      if (quoted) return quoted[1] as string;
      const looksLikePath = /[*?[/]/.test(segment) || /\.[A-Za-z0-9]+$/.test(segment);
      if (!looksLikePath) return segment;
      const files = /[*?[]/.test(segment)
        ? globSync(segment, { cwd: host.defaultWorkingDirectory }).sort()
        : [segment].filter((f) => existsSync(resolveIn(host.defaultWorkingDirectory, f)));
      if (files.length === 0) throw new TaskInputError(`Cache@2: no file matches the key segment "${segment}"`);
      const h = createHash("sha256");
      for (const f of files) {
        const abs = resolveIn(host.defaultWorkingDirectory, f);
        if (statSync(abs).isFile()) h.update(f).update(readFileSync(abs));
      }
      return h.digest("base64");
    })
    .join("|");
}

export async function cache(host: TaskHost, raw: Record<string, string>): Promise<TaskResult> {
  const inputs = readInputs("Cache@2", raw, {
    names: ["key", "path", "cacheHitVar", "restoreKeys"],
    required: ["key", "path"],
  });
  const key = cacheKey(host, inputs.key as string);
  const target = resolveIn(host.defaultWorkingDirectory, inputs.path as string);
  const entry = (k: string) => path.join(host.cacheStore, createHash("sha256").update(k).digest("hex"));
  const hitVar = inputs.cacheHitVar;
  let hit: "true" | "inexact" | "false" = "false";
  if (existsSync(path.join(entry(key), "key"))) {
    hit = "true";
    restore(entry(key));
  } else {
    const prefixes = (inputs.restoreKeys ?? "").split("\n").map((s) => s.trim());
    for (const prefix of prefixes.filter(Boolean)) {
      const resolved = cacheKey(host, prefix);
      const match = findByPrefix(host.cacheStore, resolved);
      if (match) {
        hit = "inexact";
        restore(match);
        break;
      }
    }
  }
  host.log(
    `Cache@2 (local runner): key ${key} → ${hit === "true" ? "hit" : hit === "inexact" ? "partial hit" : "miss"}`,
  );
  if (hitVar) host.setVariable(hitVar, hit);
  if (hit !== "true") {
    host.onJobSucceeded(() => {
      if (!existsSync(target)) {
        host.warn(`Cache@2: not saving, the path ${target} does not exist`);
        return;
      }
      const dir = entry(key);
      rmSync(dir, { recursive: true, force: true });
      cpSync(target, path.join(dir, "content"), { recursive: true, verbatimSymlinks: true });
      writeFileSync(path.join(dir, "key"), key);
      host.log(`Cache@2 (local runner): saved ${target} under key ${key}`);
    });
  }
  return "Succeeded";

  function restore(dir: string) {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(dir, "content"), target, { recursive: true, verbatimSymlinks: true });
  }
}

function findByPrefix(store: string, prefix: string): string | undefined {
  if (!existsSync(store)) return undefined;
  for (const f of globSync("*/key", { cwd: store })) {
    if (readFileSync(path.join(store, f), "utf8").startsWith(prefix)) return path.join(store, path.dirname(f));
  }
  return undefined;
}
