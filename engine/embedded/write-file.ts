import fs from 'node:fs';
import { atomicWriteFileSync } from '../../state/atomic-write.js';

// The supervisor's own files in directories a service's account may write to (its service
// directory belongs to it when it has one), which can plant a symlink or a hard link at any name:
// what is read must be this process's own plain file, and what is replaced is replaced, never
// written through. Whole replacements go through state/atomic-write.ts, `replace-only` (no fsync:
// they describe processes, which do not survive a machine crash either).

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
    atomicWriteFileSync(file, content, { policy: 'replace-only' }); // a symlink put in its place: replaced, not followed
    return;
  }
  if (!isOwnFile(fd)) {
    fs.closeSync(fd);
    atomicWriteFileSync(file, content, { policy: 'replace-only' });
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
