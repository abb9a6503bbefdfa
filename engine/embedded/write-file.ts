import fs from 'node:fs';

// The supervisor's small files are replaced whole, never seen half-written by a supervisor that
// restarts after being killed mid-write. No fsync: they describe processes, which do not survive
// a machine crash either.

const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/**
 * `owner`: the service's account, given the file through its descriptor. A service directory
 * belongs to the service's account when it has one (Supervisor.writeDefinition), which can plant a
 * symlink at any name in it: the temp file is always a new file, a name found there is removed
 * (never followed), and no path is chowned after the rename.
 */
export function writeFileAtomic(file: string, content: string, mode = 0o600, owner?: { uid?: number; gid?: number }): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, CREATE_NEW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    fs.rmSync(tmp, { recursive: true, force: true });
    fd = fs.openSync(tmp, CREATE_NEW, mode);
  }
  try {
    fs.writeFileSync(fd, content);
    if (owner && (owner.uid !== undefined || owner.gid !== undefined)) fs.fchownSync(fd, owner.uid ?? -1, owner.gid ?? -1);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Whether `fd` is a plain file of this process's user with no other name: one it wrote itself. */
export function isOwnFile(fd: number): boolean {
  const st = fs.fstatSync(fd);
  return st.isFile() && st.nlink === 1 && st.uid === (typeof process.getuid === 'function' ? process.getuid() : st.uid);
}

/** The file's text, if it is a plain file of this process's user (not a symlink, not a hard link to another file); else undefined. */
export function readOwnFile(file: string): string | undefined {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return isOwnFile(fd) ? fs.readFileSync(fd, 'utf8') : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Rewrites a small, often-changing file (a service's status) in place with one write(2): the
 * content is padded with spaces to at least the file's current size, so there is no truncation
 * and no moment at which a reader, or a supervisor restarted after SIGKILL, sees it empty.
 * A temp file and rename costs a journal transaction on ext4 on every transition; this costs a
 * page-cache copy. JSON readers ignore the trailing spaces.
 */
export function overwriteInPlace(file: string, content: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    writeFileAtomic(file, content); // a symlink put in its place: replaced, not followed
    return;
  }
  if (!isOwnFile(fd)) {
    fs.closeSync(fd);
    writeFileAtomic(file, content);
    return;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let buf = Buffer.from(content);
    if (buf.length < size) buf = Buffer.concat([buf, Buffer.alloc(size - buf.length, 0x20)]);
    fs.writeSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
}
