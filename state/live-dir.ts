import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../lang/user-error.js';
import { atomicWriteFileSync } from './atomic-write.js';
import { JournalWriter, readJournal, type JournalProblem, type JournalRead, type OpenJournalOptions } from './journal.js';
import { foldJournal } from './journal-fold.js';
import { liveLayout, type LiveLayout } from './live-layout.js';
import { fileLocker, type HeldLock, type Locker, type LockRequest } from './locker.js';
import { readState, stateExists, writeState } from './state-file.js';
import type { State } from './state-types.js';

export { LIVE_ENTRIES, liveLayout, type LiveLayout } from './live-layout.js';

// Where the live directory is and what lives in it (docs/live.md). Like s6-rc's live directory it
// is small, read-write, and belongs to one machine: the default sits on a tmpfs-like runtime
// directory, so a reboot starts from a clean slate, as the supervised processes do.

export interface LiveDirSource {
  /** The `--live DIR` flag, when given. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Defaults to the current process's uid; tests pass one to check the root branch. */
  uid?: number;
}

/**
 * `--live DIR`, else `RCFORM_LIVE`, else `/run/rcform` for root, else `$XDG_RUNTIME_DIR/rcform`
 * when that directory exists, else `rcform/live` in the user's state directory
 * (`$XDG_STATE_HOME`, by default `~/.local/state`).
 */
export function resolveLiveDir(src: LiveDirSource): string {
  return chooseLiveDir(src).dir;
}

/** The live directory and whether it is the default one (never reached through a symlink). */
export function chooseLiveDir(src: LiveDirSource): { dir: string; isDefault: boolean } {
  if (src.flag !== undefined && src.flag !== '') return { dir: path.resolve(src.cwd, src.flag), isDefault: false };
  const fromEnv = src.env['RCFORM_LIVE'];
  if (fromEnv !== undefined && fromEnv !== '') return { dir: path.resolve(src.cwd, fromEnv), isDefault: false };
  return { dir: defaultLiveDir(src.env, src.uid), isDefault: true };
}

export class NoDefaultLiveDirError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'NoDefaultLiveDirError';
  }
}

/**
 * Without a runtime directory, a directory under the user's home: a name in the shared temp
 * directory (/tmp/rcform-UID) is one any local user can create first, or point a symlink at.
 */
export function defaultLiveDir(env: NodeJS.ProcessEnv, uid: number = currentUid()): string {
  if (uid === 0) return '/run/rcform';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && path.isAbsolute(xdg) && isDirectory(xdg)) return path.join(xdg, 'rcform');
  const state = env['XDG_STATE_HOME'];
  if (state && path.isAbsolute(state)) return path.join(state, 'rcform', 'live');
  const home = env['HOME'];
  if (home && path.isAbsolute(home) && home !== '/') return path.join(home, '.local', 'state', 'rcform', 'live');
  throw new NoDefaultLiveDirError(`no default live directory for uid ${uid}: neither XDG_RUNTIME_DIR, XDG_STATE_HOME nor HOME is set to an absolute path`);
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The state as the live directory holds it now: state.json with the journal folded in. */
export interface CurrentState {
  state: State;
  /** state.json's serial on disk: the fold changes what it records, not its serial. */
  serial: number;
  /** Journal records state.json does not show yet (0 when it is up to date). */
  folded: number;
  /** Torn or unreadable journal lines, for the operator. */
  problems: JournalProblem[];
}

/**
 * One live directory: its layout, its lock (through a Locker), the current state, persisting it,
 * and its journal. Every reader and writer of a live directory comes through one, so "the current
 * state" is computed in one place: state.json lags the journal by whatever an apply did since its
 * last fold, or everything a crashed one did.
 */
export class LiveDir {
  readonly layout: LiveLayout;
  readonly locker: Locker;

  constructor(root: string, locker?: Locker) {
    this.layout = liveLayout(root);
    this.locker = locker ?? fileLocker(this.layout.root);
  }

  get root(): string {
    return this.layout.root;
  }

  lock(req: LockRequest): Promise<HeldLock> {
    return this.locker.acquire(req);
  }

  /** Runs `fn` holding the lock (none when `req` is null: -lock=false); released however `fn` ends. */
  async withLock<T>(req: LockRequest | null, fn: (lock: HeldLock | undefined) => Promise<T> | T): Promise<T> {
    const lock = req ? await this.lock(req) : undefined;
    try {
      return await fn(lock);
    } finally {
      await lock?.release();
    }
  }

  hasState(): boolean {
    return stateExists(this.root);
  }

  /** state.json as written, without the journal: what a write must be derived from. */
  readState(): State {
    return readState(this.root);
  }

  /** The current state, in memory: nothing is written (plan, the state commands that only read, status). */
  current(): CurrentState {
    const onDisk = readState(this.root);
    const { records, problems } = readJournal(this.root, onDisk.journal_seq ?? 0);
    const state = foldJournal(onDisk, records);
    return { state, serial: onDisk.serial, folded: state === onDisk ? 0 : records.length, problems };
  }

  /**
   * The current state, written to state.json when the journal held records it did not show. Call
   * with the lock held, before changing anything: a write must start from the state as it is.
   */
  recover(): CurrentState {
    const now = this.current();
    if (now.folded === 0) return now;
    const written = writeState(this.root, now.state);
    return { ...now, state: written, serial: written.serial };
  }

  /** Writes `next`, derived from the state on disk; returns it as written (serial + 1). */
  writeState(next: State): State {
    return writeState(this.root, next);
  }

  hasCompiled(): boolean {
    return fs.existsSync(this.layout.compiled);
  }

  /** Makes `bytes` the live compiled database (docs/live.md); durable, as the state that names it. */
  recordCompiled(bytes: string | Uint8Array | readonly (string | Uint8Array)[]): void {
    atomicWriteFileSync(this.layout.compiled, bytes, { policy: 'durable' });
  }

  removeCompiled(): void {
    fs.rmSync(this.layout.compiled, { force: true });
  }

  openJournal(opts: OpenJournalOptions): Promise<JournalWriter> {
    return JournalWriter.open(this.root, opts);
  }

  readJournal(sinceSeq = 0): JournalRead {
    return readJournal(this.root, sinceSeq);
  }
}
