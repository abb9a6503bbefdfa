import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fsyncDirectorySync } from './atomic-write.js';
import type { JournalEntry, JournalRecord } from './journal-types.js';
import { liveLayout } from './live-layout.js';

// The journal: append-only JSON lines, one file per apply under journal/, so that after a crash
// state.json plus the journal tell exactly what was done. A record is written before its promise
// resolves, which is all a crash of rcform itself needs (the kernel has the bytes). A durable
// record is also fsync'd: one that describes something a machine crash leaves behind (files
// installed, a oneshot's effects). A record of a process started or stopped need not be: after
// a machine crash no process is left to describe, and an fsync per transition would be most of
// apply's own time on a long dependency chain. Later fsyncs and close() cover such records too.
// Every append is written at once; appends made while an fsync is in flight share the next one
// (group commit).

export const DEFAULT_JOURNAL_KEEP = 10;

const FILE_RE = /^(\d{8})-([A-Za-z0-9-]+)\.jsonl$/;

export interface JournalProblem {
  file: string;
  line: number;
  /** The last line of a file, cut short by a crash mid-write: expected, and harmless. */
  torn: boolean;
  message: string;
}

export interface JournalRead {
  records: JournalRecord[];
  problems: JournalProblem[];
}

export interface OpenJournalOptions {
  /** state.json's journal_seq: records up to it are folded, so their files may be rotated away. */
  foldedSeq: number;
  applyId?: string;
  /** How many apply files to keep (default 10); only files already folded into state are removed. */
  keep?: number;
}

export interface AppendOptions {
  /** fsync before resolving (the default): the record describes something a machine crash leaves behind. */
  durable?: boolean;
}

interface Pending {
  records: JournalRecord[];
  durable: boolean;
  resolve: (records: JournalRecord[]) => void;
  reject: (err: Error) => void;
}

export class JournalWriter {
  /** Appends written but not yet resolved, in seq order: some wait for an fsync, the rest for those before them. */
  private waiting: Pending[] = [];
  private syncing: Promise<void> | undefined;
  private broken: Error | undefined;
  private closed = false;
  private unsynced = false;

  private constructor(
    readonly applyId: string,
    readonly file: string,
    private readonly fd: number,
    private nextSeq: number,
  ) {}

  static async open(liveDir: string, opts: OpenJournalOptions): Promise<JournalWriter> {
    const dir = liveLayout(liveDir).journal;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = journalFiles(liveDir);
    const lastSeq = Math.max(opts.foldedSeq, lastSeqIn(files));
    rotate(files, opts.keep ?? DEFAULT_JOURNAL_KEEP, opts.foldedSeq);
    const applyId = opts.applyId ?? randomUUID();
    if (!/^[A-Za-z0-9-]+$/.test(applyId)) throw new Error(`journal: apply id "${applyId}" may hold only letters, digits and dashes`);
    const last = files.at(-1);
    const number = last ? Number(FILE_RE.exec(path.basename(last))?.[1] ?? 0) + 1 : 1;
    const file = path.join(dir, `${String(number).padStart(8, '0')}-${applyId}.jsonl`);
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    // The file's directory entry must survive a crash too, or its fsync'd records would be lost.
    fsyncDirectorySync(dir);
    return new JournalWriter(applyId, file, fd, lastSeq + 1);
  }

  /** The seq the next record will get. */
  get seq(): number {
    return this.nextSeq;
  }

  /**
   * Appends one record; resolves once it is on disk. The seq is assigned now, so records keep
   * the order of the calls even when their promises are awaited later (or not at all).
   */
  append(entry: JournalEntry, opts: AppendOptions = {}): Promise<JournalRecord> {
    return this.appendMany([entry], opts).then((r) => r[0] as JournalRecord);
  }

  /**
   * Appends several records with a single write (and fsync, when durable). The write is made
   * before this returns, with write(2) on the calling thread: a few microseconds into the page
   * cache, where a write handed to libuv's thread pool costs two thread wake-ups, which on a
   * long dependency chain were a large part of apply's own time per step. Only the fsync goes to
   * the pool. Promises resolve in seq order: a record that needs no fsync of its own still waits
   * for an fsync in flight for records before it, so whoever folds records as they resolve sees
   * no gap.
   */
  appendMany(entries: readonly JournalEntry[], opts: AppendOptions = {}): Promise<JournalRecord[]> {
    const durable = opts.durable ?? true;
    if (this.closed) return Promise.reject(new Error(`journal ${this.file}: closed`));
    if (this.broken) return Promise.reject(this.broken);
    const records = entries.map((e) => ({ ...e, seq: this.nextSeq++, apply_id: this.applyId, time: e.time ?? new Date().toISOString() }) as JournalRecord);
    try {
      writeAll(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
    } catch (err) {
      // After a failed write the file's tail is unknown: refuse everything after it.
      this.broken = new Error(`journal ${this.file}: write failed: ${(err as Error).message}`);
      this.failWaiting();
      return Promise.reject(this.broken);
    }
    this.unsynced = true;
    // Nothing before it still waiting (neither queued nor in an fsync under way): it is done.
    if (!durable && !this.syncing && this.waiting.length === 0) return Promise.resolve(records);
    const done = new Promise<JournalRecord[]>((resolve, reject) => this.waiting.push({ records, durable, resolve, reject }));
    this.syncing ??= this.syncWaiting();
    return done;
  }

  /** Group commit: one fsync covers every record written before it began. */
  private async syncWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        if (this.broken) throw this.broken;
        if (batch.some((p) => p.durable)) await this.sync();
        for (const p of batch) p.resolve(p.records);
      } catch (err) {
        this.broken ??= new Error(`journal ${this.file}: fsync failed: ${(err as Error).message}`);
        for (const p of batch) p.reject(this.broken);
        this.failWaiting();
      }
    }
    this.syncing = undefined;
  }

  private failWaiting(): void {
    const rest = this.waiting;
    this.waiting = [];
    for (const p of rest) p.reject(this.broken as Error);
  }

  private sync(): Promise<void> {
    this.unsynced = false;
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits for every pending append, makes every record durable, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.syncing) await this.syncing;
    this.closed = true;
    try {
      if (this.unsynced && !this.broken) await this.sync();
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

/** write(2) until every byte is in: a regular file may take a large write in pieces. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** The journal files, oldest first. */
export function journalFiles(liveDir: string): string[] {
  const dir = liveLayout(liveDir).journal;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => FILE_RE.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

function lastSeqIn(files: readonly string[]): number {
  for (let i = files.length - 1; i >= 0; i--) {
    const { records } = readJournalFile(files[i] as string);
    const last = records.at(-1);
    if (last) return last.seq;
  }
  return 0;
}

function rotate(files: readonly string[], keep: number, foldedSeq: number): void {
  // Leave room for the file about to be created.
  const excess = files.length - Math.max(0, keep - 1);
  let removed = false;
  for (let i = 0; i < excess; i++) {
    const file = files[i] as string;
    const { records } = readJournalFile(file);
    // A file with records not yet folded is the only account of what a crashed apply did.
    if (records.some((r) => r.seq > foldedSeq)) break;
    fs.rmSync(file, { force: true });
    removed = true;
  }
  if (removed) fsyncDirectorySync(path.dirname(files[0] as string));
}

export function readJournalFile(file: string): JournalRead {
  const text = fs.readFileSync(file, 'utf8');
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  const lines = text.split('\n');
  // A file ending in a newline splits into a last empty string: not a record.
  const complete = text.endsWith('\n');
  if (complete || text === '') lines.pop();
  lines.forEach((line, i) => {
    const isLast = i === lines.length - 1;
    const torn = isLast && !complete;
    try {
      const rec = JSON.parse(line) as JournalRecord;
      if (typeof rec !== 'object' || rec === null || typeof rec.seq !== 'number' || typeof rec.type !== 'string') throw new Error('not a journal record');
      if (torn) throw new Error('no newline at the end');
      records.push(rec);
    } catch (err) {
      problems.push({
        file,
        line: i + 1,
        torn,
        message: torn
          ? `${file}:${i + 1}: the last record is incomplete (the writer stopped mid-write); it was ignored`
          : `${file}:${i + 1}: unreadable record (${(err as Error).message}); it was ignored`,
      });
    }
  });
  return { records, problems };
}

/** Every record with seq > sinceSeq, in order, with any problems met on the way. */
export function readJournal(liveDir: string, sinceSeq = 0): JournalRead {
  const out: JournalRead = { records: [], problems: [] };
  for (const file of journalFiles(liveDir)) {
    const { records, problems } = readJournalFile(file);
    const last = records.at(-1);
    // A file already folded into state is history: its problems were reported when it was folded.
    if (last && last.seq <= sinceSeq) continue;
    for (const r of records) if (r.seq > sinceSeq) out.records.push(r);
    out.problems.push(...problems);
  }
  return out;
}
