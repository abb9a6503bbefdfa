import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { UserError, type UserErrorKind } from '../lang/user-error.js';
import { fsyncDirectorySync } from './atomic-write.js';
import { liveLayout } from './live-layout.js';

// The state lock: a kernel lock (fcntl(2) open file description lock, state/lock.c) on the live
// directory's state.lock. The kernel ends it with its holder however the holder ends (exit,
// Ctrl-C, kill -9, a crash), so it cannot go stale and nobody ever needs to break it. The file
// carries Terraform's LockInfo for whoever waits: the holder writes it once the lock is taken and
// removes the file, still holding the lock, when it lets go. Info in a file whose kernel lock is
// free is not a lock: it was left by a holder that died, and the next holder reports it.
//
// Only a holder ever unlinks the file, so a taker that locked a file another holder unlinked in
// the meantime sees that the path no longer names what it locked, and tries again.

/** The fields of Terraform's LockInfo, with the same names. */
export interface LockInfo {
  ID: string;
  /** What the holder is doing: "apply", "state mv", ... */
  Operation: string;
  /** Free text, e.g. the plan file being applied. */
  Info: string;
  /** user@host */
  Who: string;
  /** rcform version of the holder. */
  Version: string;
  /** ISO time the lock was taken. */
  Created: string;
  /** The live directory. */
  Path: string;
  PID: number;
}

export class LockHeldError extends UserError {
  constructor(
    readonly info: LockInfo,
    readonly lockFile: string,
  ) {
    super('conflict', describeHeldLock(info, lockFile));
    this.name = 'LockHeldError';
  }
}

export class LockError extends UserError {
  constructor(message: string, kind: UserErrorKind = 'environment') {
    super(kind, message);
    this.name = 'LockError';
  }
}

/** The live directory to lock does not exist. */
export class NoLiveDirError extends UserError {
  constructor(readonly dir: string) {
    super('environment', `${dir}: no such live directory`);
    this.name = 'NoLiveDirError';
  }
}

export function describeHeldLock(info: LockInfo, lockFile: string): string {
  return [`the state is locked by another operation: ${lockFile}`, ...lockInfoLines(info)].join('\n');
}

/** What the next holder says of the info a holder that died left in the lock file. */
export function describeAbandonedLock(info: LockInfo, lockFile: string): string {
  return [
    `the last operation to take the state lock ended without releasing it (a crash or kill -9): ${lockFile}`,
    ...lockInfoLines(info, ' (not running)'),
    'The kernel released its lock when it ended; the state and journal say what it did.',
  ].join('\n');
}

export function lockInfoLines(info: LockInfo, pidNote = ''): string[] {
  const lines = [
    'Lock Info:',
    `  ID:        ${info.ID}`,
    `  Path:      ${info.Path}`,
    `  Operation: ${info.Operation}`,
    `  Who:       ${info.Who}`,
    `  Version:   ${info.Version}`,
    `  Created:   ${info.Created}`,
    `  PID:       ${info.PID}${pidNote}`,
  ];
  if (info.Info) lines.push(`  Info:      ${info.Info}`);
  return lines;
}

export interface AcquireOptions {
  operation: string;
  info?: string;
  /** Keep retrying (with backoff) this long while the lock is held; 0 = try once. */
  timeoutMs?: number;
  version?: string;
  /**
   * Release on SIGINT/SIGTERM when nothing else handles the signal (default true). A holder
   * that installs its own handlers (apply's Ctrl-C) owns shutdown; the lock is still released
   * when the process exits normally, and by the kernel however it ends.
   */
  releaseOnSignal?: boolean;
}

export interface StateLock {
  readonly info: LockInfo;
  readonly file: string;
  /** The info a holder that died left in the lock file, found when this lock was taken. */
  readonly abandoned?: LockInfo;
  /** Removes the lock file and lets go of the kernel lock. Idempotent. */
  release(): void;
}

interface Addon {
  open(path: string, create: boolean): number;
  tryLock(fd: number): number;
  held(fd: number): number;
  close(fd: number): number;
  cloexec(fd: number): number;
}

const { EAGAIN, ENOENT } = os.constants.errno;
let addon: Addon | undefined;

/** rcform-lock.node (state/lock.c), built by `npm run build`; without it nothing can be locked. */
export function lockAddon(): Addon {
  if (!addon) {
    try {
      addon = createRequire(import.meta.url)('./rcform-lock.node') as Addon;
    } catch (err) {
      throw new LockError(`the state lock needs rcform-lock.node, which this build lacks (${(err as Error).message.split('\n')[0]}); it is built from state/lock.c by "npm run build" with a C compiler`);
    }
  }
  return addon;
}

function errnoError(what: string, file: string, negErrno: number): Error {
  const names = os.constants.errno as Record<string, number>;
  const code = Object.keys(names).find((k) => names[k] === -negErrno) ?? `errno ${-negErrno}`;
  const err = new Error(`${what} ${file}: ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

/** Sleeps without an event loop, for the microseconds between a holder's lock and its info. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parseInfo(text: string): LockInfo | undefined {
  let data: Partial<LockInfo>;
  try {
    data = JSON.parse(text) as Partial<LockInfo>;
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || typeof data.ID !== 'string' || typeof data.PID !== 'number') return undefined;
  return {
    ID: data.ID,
    Operation: String(data.Operation ?? ''),
    Info: String(data.Info ?? ''),
    Who: String(data.Who ?? ''),
    Version: String(data.Version ?? ''),
    Created: String(data.Created ?? ''),
    Path: String(data.Path ?? ''),
    PID: data.PID,
  };
}

/** What the lock file says now, and whether its kernel lock is held. */
export function inspectLock(liveDir: string): { held: boolean; info?: LockInfo } {
  const file = liveLayout(liveDir).lock;
  const a = lockAddon();
  // A holder writes its info right after taking the lock: a reader between the two waits for it.
  const deadline = Date.now() + 2000;
  for (;;) {
    const fd = a.open(file, false);
    if (fd === -ENOENT) return { held: false };
    if (fd < 0) throw errnoError('cannot open', file, fd);
    let text: string;
    let held: number;
    try {
      held = a.held(fd);
      if (held < 0) throw errnoError('cannot test the lock on', file, held);
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      a.close(fd);
    }
    const info = parseInfo(text);
    if (held === 0) return info ? { held: false, info } : { held: false };
    if (info) return { held: true, info };
    if (Date.now() > deadline) {
      throw new LockError(`${file}: the state lock is held, but its lock file does not hold its info (${text === '' ? 'empty' : 'unreadable'}); the holder is an rcform process that is not writing it`);
    }
    pause(2);
  }
}

/** Who holds the lock now; a file whose kernel lock is free is no lock. */
export function readLockInfo(liveDir: string): LockInfo | undefined {
  const { held, info } = inspectLock(liveDir);
  return held ? info : undefined;
}

function whoAmI(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = String(process.getuid?.() ?? 'unknown');
  }
  return `${user}@${os.hostname()}`;
}

type Attempt = { fd: number; abandoned?: LockInfo } | 'held' | 'moved';

function tryAcquire(file: string): Attempt {
  const a = lockAddon();
  const fd = a.open(file, true);
  if (fd < 0) throw errnoError('cannot open', file, fd);
  let keep = false;
  try {
    const r = a.tryLock(fd);
    if (r === -EAGAIN) return 'held';
    if (r < 0) throw errnoError('cannot lock', file, r);
    // The previous holder unlinks the file as it lets go: what we locked may no longer be the lock.
    let onDisk: fs.Stats;
    try {
      onDisk = fs.lstatSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'moved';
      throw err;
    }
    const mine = fs.fstatSync(fd);
    if (onDisk.ino !== mine.ino || onDisk.dev !== mine.dev) return 'moved';
    keep = true;
    const abandoned = parseInfo(fs.readFileSync(fd, 'utf8'));
    return abandoned ? { fd, abandoned } : { fd };
  } finally {
    if (!keep) a.close(fd);
  }
}

function writeInfo(fd: number, info: LockInfo): void {
  const text = Buffer.from(JSON.stringify(info, null, 2) + '\n');
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, text, 0, text.length, 0);
  fs.fsyncSync(fd);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function acquireLock(liveDir: string, opts: AcquireOptions): Promise<StateLock> {
  const layout = liveLayout(liveDir);
  if (!fs.existsSync(layout.root)) throw new NoLiveDirError(layout.root);
  const info: LockInfo = {
    ID: randomUUID(),
    Operation: opts.operation,
    Info: opts.info ?? '',
    Who: whoAmI(),
    Version: opts.version ?? packageVersion(),
    Created: new Date().toISOString(),
    Path: layout.root,
    PID: process.pid,
  };
  const deadline = Date.now() + Math.max(0, opts.timeoutMs ?? 0);
  let delay = 25;
  for (;;) {
    const got = tryAcquire(layout.lock);
    if (got === 'moved') continue;
    if (got !== 'held') {
      info.Created = new Date().toISOString();
      try {
        writeInfo(got.fd, info);
        fsyncDirectorySync(layout.root);
      } catch (err) {
        lockAddon().close(got.fd);
        throw err;
      }
      return holdLock(info, layout.lock, got.fd, got.abandoned, opts.releaseOnSignal ?? true);
    }
    const holder = readLockInfo(liveDir);
    if (holder === undefined) continue; // released between our try and our look: try again at once
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new LockHeldError(holder, layout.lock);
    // Jitter keeps several waiters from retrying in lockstep.
    await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 1000);
  }
}

function holdLock(info: LockInfo, file: string, fd: number, abandoned: LockInfo | undefined, releaseOnSignal: boolean): StateLock {
  let released = false;
  const onExit = () => release();
  const onSignal = (signal: NodeJS.Signals) => {
    // Another handler means the program handles this signal itself (and will exit through
    // release or 'exit'); otherwise emulate the default action after releasing.
    if (process.listenerCount(signal) > 1) return;
    release();
    process.kill(process.pid, signal);
  };
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    if (releaseOnSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    try {
      // Still holding the lock: nobody else can have replaced the file.
      fs.rmSync(file, { force: true });
      fsyncDirectorySync(path.dirname(file));
    } finally {
      lockAddon().close(fd);
    }
  };
  process.on('exit', onExit);
  if (releaseOnSignal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return { info, file, ...(abandoned ? { abandoned } : {}), release };
}

/**
 * force-unlock for the kernel lock, which another process cannot break (nor need to: it ends with
 * its holder). A lock `id` still held is refused, naming the process to stop; the info a holder
 * that died left under `id` is removed (under the lock). Returns that info.
 */
export async function forceUnlock(liveDir: string, id: string): Promise<LockInfo> {
  const layout = liveLayout(liveDir);
  const { held, info } = inspectLock(liveDir);
  if (!info) throw new LockError(`the state in ${layout.root} is not locked; nothing to unlock`, 'input');
  if (info.ID !== id) {
    throw new LockError(
      held
        ? `the lock ID "${id}" does not match the current lock's ID "${info.ID}" (held by ${info.Who}, pid ${info.PID}, operation ${info.Operation}); nothing was unlocked`
        : `the state in ${layout.root} is not locked, and the lock ID "${id}" is not that of the last lock left in it ("${info.ID}"); nothing to unlock`,
      'input',
    );
  }
  if (held) throw new LockHeldByLiveProcessError(info, layout.lock);
  // Take the lock to remove what the dead holder left, so no live holder's file is ever touched.
  let lock: StateLock;
  try {
    lock = await acquireLock(liveDir, { operation: 'force-unlock', releaseOnSignal: false });
  } catch (err) {
    if (err instanceof LockHeldError) throw new LockHeldByLiveProcessError(err.info, layout.lock);
    throw err;
  }
  lock.release();
  return info;
}

/** force-unlock of a lock whose holder runs: the kernel keeps it for that process until it ends. */
export class LockHeldByLiveProcessError extends UserError {
  constructor(
    readonly info: LockInfo,
    readonly lockFile: string,
  ) {
    super('conflict', [`the state lock is held by a running process, and a local lock cannot be broken by another process; nothing was unlocked: ${lockFile}`, ...lockInfoLines(info, ' (running)')].join('\n'));
    this.name = 'LockHeldByLiveProcessError';
  }
}

let version: string | undefined;
function packageVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
