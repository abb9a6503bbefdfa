import { parseDurationMs, type FlagSpec } from './args.js';
import { CliError, flagString, write, type CommandContext } from './command.js';
import { chooseLiveDir } from '../state/live-dir.js';
import { checkLiveDir } from '../state/live-trust.js';
import { acquireLock, describeAbandonedLock, type StateLock } from '../state/lock.js';
import { readJournal } from '../state/journal.js';
import { foldJournal } from '../state/journal-fold.js';
import { recoverState } from '../state/recover.js';
import { readState } from '../state/state-file.js';
import type { State } from '../state/state-types.js';
import { rcformVersion } from './version.js';
import { logDebug, logInfo } from './log.js';

// Flags and helpers shared by every command that touches the live directory: where it is, and
// taking its lock the same way everywhere, so `--lock-timeout` and the held-lock message are
// identical across plan, apply and the state commands.

export const LIVE_FLAG: FlagSpec = {
  name: 'live',
  type: 'string',
  valueName: 'DIR',
  description: 'The live directory (default: $RCFORM_LIVE, else /run/rcform as root, else $XDG_RUNTIME_DIR/rcform or ~/.local/state/rcform/live)',
};

export const LOCK_TIMEOUT_FLAG: FlagSpec = {
  name: 'lock-timeout',
  type: 'string',
  valueName: 'DURATION',
  description: 'Wait this long for a held state lock, retrying with backoff (e.g. 30s)',
  default: '0s',
  check: (v) => (parseDurationMs(String(v)) === undefined ? 'takes a duration such as 500ms, 30s or 2m' : undefined),
};

export const LOCK_FLAG: FlagSpec = {
  name: 'lock',
  type: 'boolean',
  description: 'Take the state lock (-lock=false: do not; dangerous where another rcform may change the live directory at the same time)',
  default: true,
};

/** Operations that only read: without the lock they may see a half-applied state, nothing worse. */
const READ_ONLY_OPERATIONS = new Set(['plan', 'diff', 'state list', 'state show', 'state pull']);

export const JSON_FLAG: FlagSpec = { name: 'json', type: 'boolean', description: 'Machine-readable output' };

/**
 * The live directory a command uses, once it is known to be the invoking user's alone
 * (state/live-trust.ts): every command that touches one comes through here.
 */
export function liveDirOf(ctx: CommandContext): string {
  const { dir, isDefault } = chooseLiveDir({ flag: flagString(ctx, 'live'), env: ctx.io.env, cwd: ctx.io.cwd });
  checkLiveDir(dir, { noSymlink: isDefault });
  return dir;
}

/** A live directory named elsewhere (a saved plan's), checked as liveDirOf checks its own. */
export function trustedLiveDir(dir: string): string {
  checkLiveDir(dir);
  return dir;
}

export function lockTimeoutOf(ctx: CommandContext): number {
  const text = flagString(ctx, 'lock-timeout') ?? '0s';
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new CliError(`--lock-timeout takes a duration such as 500ms, 30s or 2m, not "${text}"`);
  return ms;
}

/**
 * Takes the state lock for `operation`, honouring --lock-timeout; with -lock=false, as
 * Terraform's, takes none (and says so on stderr where the operation changes things).
 */
export async function lockLive(ctx: CommandContext, liveDir: string, operation: string, info?: string): Promise<StateLock | undefined> {
  if (lockDisabled(ctx, operation)) return undefined;
  const timeoutMs = lockTimeoutOf(ctx);
  const started = performance.now();
  const lock = logged(await acquireLock(liveDir, { operation, timeoutMs, version: rcformVersion(), ...(info ? { info } : {}) }), liveDir, started);
  // The lock ended with its holder; what that holder did is in the state and journal, which the
  // command reads next, so this is news, not a reason to stop.
  if (lock.abandoned) write(ctx.io.stderr, `Warning: ${describeAbandonedLock(lock.abandoned, lock.file)}\n`);
  return lock;
}

function lockDisabled(ctx: CommandContext, operation: string): boolean {
  if (ctx.flags['lock'] !== false) return false;
  logInfo(`-lock=false: ${operation} runs without the state lock`);
  if (!READ_ONLY_OPERATIONS.has(operation)) {
    write(ctx.io.stderr, `Warning: -lock=false: ${operation} runs without the state lock; another rcform changing this live directory at the same time could leave its state untrue.`);
  }
  return true;
}

function logged(lock: StateLock, liveDir: string, started: number): StateLock {
  logInfo(`state lock ${lock.info.ID} taken for ${lock.info.Operation} in ${liveDir} after ${(performance.now() - started).toFixed(0)} ms`);
  return {
    info: lock.info,
    file: lock.file,
    ...(lock.abandoned ? { abandoned: lock.abandoned } : {}),
    release() {
      lock.release();
      logDebug(`state lock ${lock.info.ID} released`);
    },
  };
}

/**
 * Runs `fn` with the lock held and the state brought up to date with the journal (a crashed
 * apply's records folded in and written). The lock is released however `fn` ends.
 */
export async function withLockedState<T>(ctx: CommandContext, operation: string, fn: (state: State, liveDir: string) => Promise<T> | T): Promise<T> {
  const liveDir = liveDirOf(ctx);
  const lock = await lockLive(ctx, liveDir, operation);
  try {
    const { state, problems } = recoverState(liveDir);
    for (const p of problems) write(ctx.io.stderr, `Warning: ${p.message}`);
    return await fn(state, liveDir);
  } finally {
    lock?.release();
  }
}

/**
 * For read-only commands: the current state (journal folded in memory), under the lock unless
 * -lock=false. Never writes.
 */
export async function readLiveState(ctx: CommandContext, operation: string): Promise<State> {
  const liveDir = liveDirOf(ctx);
  const lock = await lockLive(ctx, liveDir, operation);
  try {
    const state = readState(liveDir);
    const { records, problems } = readJournal(liveDir, state.journal_seq ?? 0);
    for (const p of problems) write(ctx.io.stderr, `Warning: ${p.message}`);
    return foldJournal(state, records);
  } finally {
    lock?.release();
  }
}
