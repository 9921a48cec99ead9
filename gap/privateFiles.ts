/**
 * Files that hold directory data, created readable by their owner only (0600, narrowed by the umask) and written to a
 * temporary file renamed into place, so a reader sees the old file or the new one and an old file's looser mode is not
 * kept: the reports (gap/reports), the back-fill's plan and undo files. Those that must survive a crash — the undo file
 * is written before the first write to AD, so a process killed mid-apply still leaves the way back — are also fsync'd,
 * and so is their folder (a rename is durable only once the directory entry is).
 */
import { constants, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `path`, owner-only, through a temporary file renamed into place (see the file comment). Chunks
 * (the reports at a million rows) go through a file stream that waits for the disk, so no chunk is held longer than
 * it takes to write it.
 */
export async function writePrivateFile(
  path: string,
  data: string | Buffer | Iterable<string>,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  try {
    if (typeof data === "string" || Buffer.isBuffer(data)) {
      const fh = await open(tmp, "wx", 0o600);
      try {
        await fh.writeFile(data);
        if (opts.durable) await fh.sync();
      } finally {
        await fh.close();
      }
    } else {
      await pipeline(Readable.from(data), createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (opts.durable) await fsyncDir(dirname(path));
}

/** writePrivateFile, fsync'd with its folder: for files that must survive a crash. */
export function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  return writePrivateFile(path, data, { durable: true });
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
