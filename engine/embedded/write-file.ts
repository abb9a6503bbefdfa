import fs from 'node:fs';

// The supervisor's small files are replaced whole, never seen half-written by a supervisor that
// restarts after being killed mid-write. No fsync: they describe processes, which do not survive
// a machine crash either.

export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

/**
 * Rewrites a small, often-changing file (a service's status) in place with one write(2): the
 * content is padded with spaces to at least the file's current size, so there is no truncation
 * and no moment at which a reader, or a supervisor restarted after SIGKILL, sees it empty.
 * A temp file and rename costs a journal transaction on ext4 on every transition; this costs a
 * page-cache copy. JSON readers ignore the trailing spaces.
 */
export function overwriteInPlace(file: string, content: string): void {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    const size = fs.fstatSync(fd).size;
    let buf = Buffer.from(content);
    if (buf.length < size) buf = Buffer.concat([buf, Buffer.alloc(size - buf.length, 0x20)]);
    fs.writeSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
}
