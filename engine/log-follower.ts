import fs from 'node:fs';
import { logGenerations } from './embedded/log-file.js';

// `rcform logs -f` across rotations, for both engines' ways of rotating:
//  - s6-log renames `current` to an archive (@TAI64N.s) and starts a new `current`: the file we
//    were reading changes name, not content, so we keep reading it through its open descriptor to
//    its end, then read any archive made after it, then the new `current` from its start;
//  - the embedded supervisor copies `current` to `current.1` and truncates it (the service holds
//    `current` open, so it cannot be renamed): the inode stays, so a rotation shows as a new
//    `current.1`; what we had not read yet is in that copy, and `current` starts over at 0.
// Following by offset alone misses both: it restarts at 0 without the old file's tail, and does not
// notice a rotation at all when the new file has already grown past the old offset.

interface FileId {
  ino: number;
  dev: number;
}

const sameFile = (a: FileId | undefined, b: FileId | undefined): boolean => a !== undefined && b !== undefined && a.ino === b.ino && a.dev === b.dev;

/** An archive is written once, at its rotation: any change to it (even in place, with one kept file) is a new rotation. */
interface ArchiveId extends FileId {
  size: number;
  mtimeMs: number;
}
const sameArchive = (a: ArchiveId | undefined, b: ArchiveId | undefined): boolean => sameFile(a, b) && a?.size === b?.size && a?.mtimeMs === b?.mtimeMs;

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** Rotated files of `current`, oldest first. */
function archivesOf(file: string): string[] {
  return logGenerations(file).filter((f) => f !== file);
}

/**
 * How long the embedded supervisor may take between its copy and its truncation of `current` (two
 * system calls in a row; generous for a loaded machine). Past that, a `current` at least as large
 * as the copy has been truncated and refilled.
 */
const COPY_TRUNCATE_WINDOW_MS = 500;

export class LogFollower {
  private fd?: number;
  private id?: FileId;
  private offset = 0;
  /** The newest archive when last looked: a different one means a copy-and-truncate rotation. */
  private newestArchive?: ArchiveId;

  constructor(
    private readonly file: string,
    private readonly out: (chunk: Buffer) => void,
  ) {}

  /**
   * Starts at the current end of the log. Returns what `current` holds up to there, for the tail
   * printed first: read through the same descriptor, it ends exactly where following begins.
   */
  start(): string | undefined {
    this.newestArchive = this.newest();
    if (!this.open()) return undefined;
    const size = fs.fstatSync(this.fd as number).size;
    const chunks: Buffer[] = [];
    this.offset = this.readRange(this.fd as number, 0, size, (c) => chunks.push(c));
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Prints everything written since the last call, in order, through any rotations in between. */
  async poll(): Promise<void> {
    if (this.fd === undefined) {
      if (this.open()) this.drain();
      this.newestArchive = this.newest();
      return;
    }
    const now = statOrNull(this.file);
    if (!now) {
      // Between s6-log's rename and its new `current`: our file is the newest archive now, and
      // must not pass for a copy. Read what it has; the new `current` is for the next look.
      this.drain();
      return;
    }
    if (!sameFile(now, this.id)) {
      // Renamed away (s6-log): the old file is complete once its successor exists.
      this.drain();
      const old = this.id;
      this.close();
      // The new file is opened before the archives are listed: should it be rotated meanwhile, it
      // is among them, and the list stops there rather than read it twice.
      const opened = this.open();
      const archives = archivesOf(this.file).map((a) => ({ a, id: statOrNull(a) ?? undefined }));
      const at = archives.findIndex((x) => sameFile(x.id, old));
      // Archives made after ours, when several rotations happened since the last look.
      if (at >= 0) {
        for (const x of archives.slice(at + 1)) {
          if (opened && sameFile(x.id, this.id)) break;
          this.out(fs.readFileSync(x.a));
        }
      }
      this.newestArchive = this.newest();
      if (opened) this.drain();
      return;
    }
    const newest = this.newest();
    const copied = newest !== undefined && !sameArchive(newest, this.newestArchive);
    const size = fs.fstatSync(this.fd).size;
    if (copied || size < this.offset) {
      const archive = archivesOf(this.file).at(-1);
      const archiveSize = archive ? (statOrNull(archive)?.size ?? 0) : 0;
      // Copied but perhaps not yet truncated: give the rotation its moment, rather than read the
      // old content twice.
      const deadline = Date.now() + COPY_TRUNCATE_WINDOW_MS;
      while (copied && fs.fstatSync(this.fd).size >= archiveSize && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (copied && archive && archiveSize > this.offset) {
        const fd = fs.openSync(archive, 'r');
        try {
          this.readRange(fd, this.offset, archiveSize);
        } finally {
          fs.closeSync(fd);
        }
      }
      this.newestArchive = newest;
      this.offset = 0;
    }
    this.drain();
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.id = undefined;
  }

  private newest(): ArchiveId | undefined {
    const a = archivesOf(this.file).at(-1);
    return a ? (statOrNull(a) ?? undefined) : undefined;
  }

  private open(): boolean {
    try {
      this.fd = fs.openSync(this.file, 'r');
    } catch {
      return false;
    }
    this.id = fs.fstatSync(this.fd);
    this.offset = 0;
    return true;
  }

  /** From the offset to the end of the file we hold open, whatever its name is now. */
  private drain(): void {
    if (this.fd === undefined) return;
    this.offset = this.readRange(this.fd, this.offset, Infinity);
  }

  private readRange(fd: number, from: number, to: number, out = this.out): number {
    const buf = Buffer.alloc(64 * 1024);
    let pos = from;
    while (pos < to) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
      if (n === 0) break;
      out(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return pos;
  }
}
