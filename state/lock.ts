import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fsyncDirectorySync } from './atomic-write.js';
import { liveLayout } from './live-dir.js';

// The state lock, after Terraform's: one file whose existence is the lock. Acquiring is a single
// link(2) of a fully written temp file onto the lock name, which fails with EEXIST if anyone holds
// it — atomic, and a reader never sees a half-written lock. A lock whose holder is gone is
// reported as stale but never broken automatically: only the operator knows whether that holder
// left the live side half-changed (`rcform force-unlock` breaks it).

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

export class LockHeldError extends Error {
  constructor(
    readonly info: LockInfo,
    /** The holder's process no longer exists on this host. */
    readonly stale: boolean,
    readonly lockFile: string,
  ) {
    super(describeHeldLock(info, stale, lockFile));
    this.name = 'LockHeldError';
  }
}

export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockError';
  }
}

export function describeHeldLock(info: LockInfo, stale: boolean, lockFile: string): string {
  const lines = [
    stale
      ? `the state lock is held by a process that no longer exists (a stale lock, left by a crash or kill -9): ${lockFile}`
      : `the state is locked by another operation: ${lockFile}`,
    ...lockInfoLines(info, stale),
  ];
  lines.push(
    stale
      ? `Check what that operation left behind ("rcform plan" refreshes from the engine), then run "rcform force-unlock ${info.ID}" to break the lock.`
      : 'Wait for it to finish, or retry with --lock-timeout=DURATION to wait for it.',
  );
  return lines.join('\n');
}

/**
 * What plan says when it goes on despite a stale lock: the lock's holder is gone, so nothing can
 * change the state while plan reads it, and seeing what the crash left is the point of planning now.
 */
export function describeStaleLockForPlan(info: LockInfo, lockFile: string): string {
  return [
    `Warning: the state lock is stale: it is held by a process that no longer exists (left by a crash or kill -9): ${lockFile}`,
    ...lockInfoLines(info, true),
    'This plan was made without the lock, from the state and journal that operation left, refreshed from the engine.',
    `Nothing can be applied while the lock is held: once you have reviewed this plan, run "rcform force-unlock ${info.ID}", then apply.`,
  ].join('\n');
}

function lockInfoLines(info: LockInfo, stale: boolean): string[] {
  const lines = [
    'Lock Info:',
    `  ID:        ${info.ID}`,
    `  Path:      ${info.Path}`,
    `  Operation: ${info.Operation}`,
    `  Who:       ${info.Who}`,
    `  Version:   ${info.Version}`,
    `  Created:   ${info.Created}`,
    `  PID:       ${info.PID}${stale ? ' (not running)' : ''}`,
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
   * when the process exits normally.
   */
  releaseOnSignal?: boolean;
}

export interface StateLock {
  readonly info: LockInfo;
  readonly file: string;
  /** Removes the lock if it is still ours (not force-unlocked and re-taken meanwhile). Idempotent. */
  release(): void;
}

export function readLockInfo(liveDir: string): LockInfo | undefined {
  const file = liveLayout(liveDir).lock;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const data = JSON.parse(text) as Partial<LockInfo>;
    if (typeof data.ID !== 'string' || typeof data.PID !== 'number') throw new Error('missing ID or PID');
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
  } catch (err) {
    throw new LockError(`${file}: the lock file is unreadable (${(err as Error).message}); inspect it, and remove it by hand only if no rcform operation is running`);
  }
}

/** True when the holder ran on this host and its process is gone. */
export function isStale(info: LockInfo): boolean {
  const host = info.Who.split('@').pop();
  if (host !== os.hostname()) return false;
  try {
    process.kill(info.PID, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
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

function tryAcquire(liveDir: string, info: LockInfo): boolean {
  const layout = liveLayout(liveDir);
  const tmp = path.join(layout.root, `.state.lock.${info.ID}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(info, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, layout.lock);
    fsyncDirectorySync(layout.root);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function acquireLock(liveDir: string, opts: AcquireOptions): Promise<StateLock> {
  const layout = liveLayout(liveDir);
  if (!fs.existsSync(layout.root)) throw new LockError(`${layout.root}: no such live directory; run "rcform init --live ${layout.root}" first`);
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
    info.Created = new Date().toISOString();
    if (tryAcquire(liveDir, info)) return holdLock(info, layout.lock, opts.releaseOnSignal ?? true);
    let holder: LockInfo | undefined;
    try {
      holder = readLockInfo(liveDir);
    } catch (err) {
      // Unreadable lock: report it now, retrying cannot fix it.
      throw err;
    }
    if (holder === undefined) continue; // released between our link and our read: try again at once
    const stale = isStale(holder);
    const remaining = deadline - Date.now();
    // A stale lock never goes away by itself, so waiting for it would only delay the message.
    if (stale || remaining <= 0) throw new LockHeldError(holder, stale, layout.lock);
    // Jitter keeps several waiters from retrying in lockstep.
    await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 1000);
  }
}

function holdLock(info: LockInfo, file: string, releaseOnSignal: boolean): StateLock {
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
      const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
      if (current.ID !== info.ID) return; // force-unlocked, possibly re-taken by someone else
      fs.unlinkSync(file);
      fsyncDirectorySync(path.dirname(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  process.on('exit', onExit);
  if (releaseOnSignal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return { info, file, release };
}

/**
 * Breaks the lock, only if its ID is `id` (so an operator cannot break a lock taken after they
 * looked). Returns the info of the lock that was removed.
 */
export function forceUnlock(liveDir: string, id: string): LockInfo {
  const layout = liveLayout(liveDir);
  const info = readLockInfo(liveDir);
  if (!info) throw new LockError(`the state in ${layout.root} is not locked; nothing to unlock`);
  if (info.ID !== id) {
    throw new LockError(`the lock ID "${id}" does not match the current lock's ID "${info.ID}" (held by ${info.Who}, pid ${info.PID}, operation ${info.Operation}); nothing was unlocked`);
  }
  // Rename first so that we delete exactly the file we checked, even if it is replaced meanwhile.
  const doomed = path.join(layout.root, `.state.lock.${id}.broken`);
  fs.renameSync(layout.lock, doomed);
  const moved = readLockFile(doomed);
  if (moved?.ID !== id) {
    // The lock changed between our read and the rename: put theirs back untouched.
    try {
      fs.linkSync(doomed, layout.lock);
    } finally {
      fs.rmSync(doomed, { force: true });
    }
    throw new LockError(`the lock changed while unlocking; nothing was unlocked, run the command again`);
  }
  fs.rmSync(doomed, { force: true });
  fsyncDirectorySync(layout.root);
  return info;
}

function readLockFile(file: string): Partial<LockInfo> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
  } catch {
    return undefined;
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
