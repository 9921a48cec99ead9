/**
 * Files that must survive a crash: the plan, the undo file (written before the first write to AD, so that a process
 * killed mid-apply still leaves the way back), the reports. Each is written to a temporary file, fsync'd, renamed
 * into place and its folder fsync'd (a rename is durable only once the directory entry is), readable by its owner only.
 */
import { constants } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` durably (see the file comment), replacing what was there. */
export async function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

/**
 * Creates a new file at `path` — or, when one is there, at `name-2.ext`, `name-3.ext`, … — and writes `data`
 * durably. Never replaces a file: an undo file of an earlier apply is the way back from that apply.
 */
export async function createFileDurably(path: string, data: string | Buffer): Promise<string> {
  const ext = extname(path);
  const stem = join(dirname(path), basename(path, ext));
  for (let n = 1; n < 10_000; n++) {
    const candidate = n === 1 ? path : `${stem}-${n}${ext}`;
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(candidate, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw e;
    }
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(dirname(candidate));
    return candidate;
  }
  throw new Error(`no free file name next to ${path}`);
}
