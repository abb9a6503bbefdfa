import { acquireLock, forceUnlock, readLockInfo, type LockInfo } from './lock.js';

// What an operation needs from a state lock, whatever keeps it: a file in the live directory
// today, a PostgreSQL advisory lock for a team's backend. Asynchronous throughout because a remote
// locker answers over the network.

export interface LockRequest {
  /** What the holder is doing: "apply", "state mv", ... */
  operation: string;
  /** Free text shown to whoever waits, e.g. the plan file being applied. */
  info?: string;
  /** Keep trying this long while another holds the lock; 0 = try once. */
  timeoutMs?: number;
  /** rcform's version, recorded in the lock's info. */
  version?: string;
  /**
   * Release on SIGINT/SIGTERM when nothing else handles the signal (default true). A holder that
   * handles those signals itself (apply's Ctrl-C) owns its shutdown.
   */
  releaseOnSignal?: boolean;
}

export interface HeldLock {
  readonly info: LockInfo;
  /** Where the lock lives, for messages (a file, a database and key). */
  readonly where: string;
  /** What a holder that died without releasing left, found when this lock was taken. */
  readonly abandoned?: LockInfo;
  /** Gives the lock back if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface Locker {
  /** Takes the lock, or rejects with LockHeldError naming the holder once `timeoutMs` has passed. */
  acquire(req: LockRequest): Promise<HeldLock>;
  /** Who holds the lock now, if anyone. */
  holder(): Promise<LockInfo | undefined>;
  /**
   * Breaks the lock only if its ID is `id`; returns the info of the lock broken. A locker whose
   * locks end with their holder (the kernel lock) refuses a held one and only clears what a holder
   * that died left behind.
   */
  forceUnlock(id: string): Promise<LockInfo>;
}

/** The live directory's kernel lock on its lock file (state/lock.ts). */
export function fileLocker(liveDir: string): Locker {
  return {
    async acquire(req) {
      const lock = await acquireLock(liveDir, {
        operation: req.operation,
        ...(req.info !== undefined ? { info: req.info } : {}),
        ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
        ...(req.version !== undefined ? { version: req.version } : {}),
        ...(req.releaseOnSignal !== undefined ? { releaseOnSignal: req.releaseOnSignal } : {}),
      });
      return { info: lock.info, where: lock.file, ...(lock.abandoned ? { abandoned: lock.abandoned } : {}), release: async () => lock.release() };
    },
    async holder() {
      return readLockInfo(liveDir);
    },
    async forceUnlock(id) {
      return forceUnlock(liveDir, id);
    },
  };
}
