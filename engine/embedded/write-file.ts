import fs from 'node:fs';

// The supervisor's small files are replaced whole, never seen half-written by a supervisor that
// restarts after being killed mid-write. No fsync: they describe processes, which do not survive
// a machine crash either.

export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}
