import fs from 'node:fs';
import path from 'node:path';

// Replacing a file whole, so that a reader (or a process restarted after being killed mid-write)
// sees either the old content or the new, never a mix: write a new temp file beside it, rename it
// over the target. What a machine crash may lose is the policy each caller names:
//
// - `durable`: the file is fsynced before the rename and the directory after it, so once the call
//   returns the new content survives a power loss. For what rcform's own record depends on (state,
//   plans, compiled databases, an engine's record of which oneshots are up).
// - `replace-only`: no fsync. For files that describe processes, which do not survive a machine
//   crash either (a supervisor's service files, run scripts), and for files an editor would not
//   fsync (fmt).
//
// Whatever the policy: the temp file is always a new file (O_EXCL | O_NOFOLLOW), so a symlink
// planted at its name or at the target's is replaced, never followed; it gets exactly `mode`
// whatever the umask, and `owner` through its descriptor, before it takes the target's name; on a
// failure it is removed and the target is left as it was.

export type WritePolicy = 'durable' | 'replace-only';

export interface AtomicWriteOptions {
  policy: WritePolicy;
  /** File mode of the new file; defaults to 0o600 (live state is the operator's business only). */
  mode?: number;
  /** An account to give the file to (a service's own files), by descriptor before the rename. */
  owner?: { uid?: number; gid?: number };
}

const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

let counter = 0;
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${(counter++).toString(36)}.tmp`);
}

function openNew(tmp: string, mode: number): number {
  try {
    return fs.openSync(tmp, CREATE_NEW, mode);
  } catch (err) {
    // Left by a crashed process that had this pid, or planted: removed, never written through.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    fs.rmSync(tmp, { recursive: true, force: true });
    return fs.openSync(tmp, CREATE_NEW, mode);
  }
}

function hasOwner(owner: AtomicWriteOptions['owner']): owner is { uid?: number; gid?: number } {
  return owner !== undefined && (owner.uid !== undefined || owner.gid !== undefined);
}

/** `data` may come in pieces (written one after another), so that a large text need not be joined first. */
export function atomicWriteFileSync(file: string, data: string | Uint8Array | readonly (string | Uint8Array)[], opts: AtomicWriteOptions): void {
  const mode = opts.mode ?? 0o600;
  const tmp = tempName(file);
  const fd = openNew(tmp, mode);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) fs.writeFileSync(fd, data);
    else for (const piece of data) fs.writeFileSync(fd, piece);
    // The umask may have narrowed the requested mode; the caller asked for exactly this one.
    fs.fchmodSync(fd, mode);
    if (hasOwner(opts.owner)) fs.fchownSync(fd, opts.owner.uid ?? -1, opts.owner.gid ?? -1);
    if (opts.policy === 'durable') fs.fsyncSync(fd);
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
  if (opts.policy === 'durable') fsyncDirectorySync(path.dirname(file));
}

export async function atomicWriteFile(file: string, data: string | Uint8Array, opts: AtomicWriteOptions): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const tmp = tempName(file);
  const fh = await fs.promises.open(tmp, CREATE_NEW, mode).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    await fs.promises.rm(tmp, { recursive: true, force: true });
    return fs.promises.open(tmp, CREATE_NEW, mode);
  });
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    if (hasOwner(opts.owner)) await fh.chown(opts.owner.uid ?? -1, opts.owner.gid ?? -1);
    if (opts.policy === 'durable') await fh.sync();
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
  if (opts.policy === 'durable') fsyncDirectorySync(path.dirname(file));
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
