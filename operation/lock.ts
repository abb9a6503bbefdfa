import type { CurrentState, LiveDir } from '../state/live-dir.js';
import type { HeldLock } from '../state/locker.js';
import type { OperationLog } from './log.js';

// Taking the state lock the same way for every operation, so that the timeout and what a held
// lock says are identical across plan, apply and the state commands.

export interface LockChoice {
  /** False with -lock=false: no lock is taken (the CLI says so where that is dangerous). */
  enabled: boolean;
  /** Keep trying this long while another holds the lock. */
  timeoutMs: number;
  /** rcform's version, recorded in the lock's info. */
  version: string;
  /** Free text for whoever waits, e.g. the plan file being applied. */
  info?: string;
}

/** The lock, or undefined with -lock=false. `abandoned` tells of a holder that died without releasing it. */
export async function takeLock(live: LiveDir, operation: string, c: LockChoice, log?: OperationLog): Promise<HeldLock | undefined> {
  if (!c.enabled) return undefined;
  const started = performance.now();
  const lock = await live.lock({ operation, timeoutMs: c.timeoutMs, version: c.version, ...(c.info !== undefined ? { info: c.info } : {}) });
  log?.('info', `state lock ${lock.info.ID} taken for ${lock.info.Operation} in ${live.root} after ${(performance.now() - started).toFixed(0)} ms`);
  return {
    info: lock.info,
    where: lock.where,
    ...(lock.abandoned ? { abandoned: lock.abandoned } : {}),
    async release() {
      await lock.release();
      log?.('debug', `state lock ${lock.info.ID} released`);
    },
  };
}

export interface StateOperationOptions {
  live: LiveDir;
  operation: string;
  /** Takes the lock as the caller wants it (the CLI's honours -lock and --lock-timeout, and reports an abandoned lock). */
  lock(live: LiveDir, operation: string): Promise<HeldLock | undefined>;
  /** Torn or unreadable journal lines: the state is still read, the operator should know. */
  onWarning?(message: string): void;
}

/**
 * Runs `fn` with the lock held and the state brought up to date with the journal (a crashed
 * apply's records folded in and written), for an operation that changes the state. The lock is
 * released however `fn` ends.
 */
export async function withRecoveredState<T>(o: StateOperationOptions, fn: (state: CurrentState) => Promise<T> | T): Promise<T> {
  const lock = await o.lock(o.live, o.operation);
  try {
    const current = o.live.recover();
    for (const p of current.problems) o.onWarning?.(p.message);
    return await fn(current);
  } finally {
    await lock?.release();
  }
}

/** The current state (journal folded in memory), under the lock unless disabled. Never writes. */
export async function readCurrentState(o: StateOperationOptions): Promise<CurrentState> {
  const lock = await o.lock(o.live, o.operation);
  try {
    const current = o.live.current();
    for (const p of current.problems) o.onWarning?.(p.message);
    return current;
  } finally {
    await lock?.release();
  }
}
