import fs from 'node:fs';
import path from 'node:path';

// Replace a file so that a crash at any moment leaves either the old content or the new, never a
// mix: write a temp file beside it, fsync it, rename it over the target, then fsync the directory
// so the rename itself is durable.

export interface AtomicWriteOptions {
  /** File mode of the new file; defaults to 0o600 (live state is the operator's business only). */
  mode?: number;
}

let counter = 0;
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${(counter++).toString(36)}.tmp`);
}

/** `data` may come in pieces (written one after another), so that a large text need not be joined first. */
export function atomicWriteFileSync(file: string, data: string | Uint8Array | readonly (string | Uint8Array)[], opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  const tmp = tempName(file);
  const fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o600);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) fs.writeFileSync(fd, data);
    else for (const piece of data) fs.writeFileSync(fd, piece);
    // The umask may have narrowed the requested mode; the caller asked for exactly this one.
    fs.fchmodSync(fd, opts.mode ?? 0o600);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectorySync(dir);
}

export async function atomicWriteFile(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempName(file);
  const fh = await fs.promises.open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.chmod(opts.mode ?? 0o600);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  fsyncDirectorySync(dir);
}

/** Makes entries created, renamed or removed in `dir` durable. */
export function fsyncDirectorySync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
