/** A fresh temporary folder and a writer of numbered files in it, for inputs a test builds (exports, reports). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempFiles(prefix: string): {
  dir: string;
  write: (content: string | Buffer, ext?: string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  const write = (content: string | Buffer, ext = "json") => {
    const p = join(dir, `f${++n}.${ext}`);
    writeFileSync(p, content);
    return p;
  };
  return { dir, write };
}
