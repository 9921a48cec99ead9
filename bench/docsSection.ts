/**
 * Each benchmark owns one section of docs/benchmarks.md, between `<!-- bench:NAME:begin -->` and
 * `<!-- bench:NAME:end -->`, and rewrites only that (a missing one is appended; a missing file is started).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export const BENCHMARKS_MD = resolve(__dirname, "../docs/benchmarks.md");

export function writeDocsSection(name: string, section: string, path: string = BENCHMARKS_MD): void {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${section.trim()}\n${end}`;
  let text = existsSync(path)
    ? readFileSync(path, "utf8")
    : "# Benchmarks\n\nOne section per benchmark; each benchmark script rewrites only its own section.\n";
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i !== -1 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, text);
}
