import { parseDurationMs, type FlagSpec } from './args.js';
import { CliError, flagString, write, type CommandContext } from './command.js';
import { chooseLiveDir, LiveDir } from '../state/live-dir.js';
import { checkLiveDir } from '../state/live-trust.js';
import { describeAbandonedLock } from '../state/lock.js';
import type { HeldLock } from '../state/locker.js';
import type { State } from '../state/state-types.js';
import { readCurrentState, takeLock, withRecoveredState, type LockChoice } from '../operation/lock.js';
import { rcformVersion } from './version.js';
import { log, logInfo } from './log.js';

// The flags of every command that touches the live directory, read the same way everywhere:
// where it is, and how its lock is taken (operation/lock.ts takes it).

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

/** The live directory a command uses, as an object (state/live-dir.ts), checked as liveDirOf checks it. */
export function openLiveDir(ctx: CommandContext): LiveDir {
  return new LiveDir(liveDirOf(ctx));
}

/** The operations' log: RCFORM_LOG's. */
export const operationLog = (level: 'debug' | 'info', message: string): void => log(level, message);

/** How `operation` takes the lock, from --lock-timeout and -lock (lockDisabled says what -lock=false means). */
export function lockChoiceOf(ctx: CommandContext, operation: string, info?: string): LockChoice {
  const enabled = !lockDisabled(ctx, operation);
  return { enabled, timeoutMs: enabled ? lockTimeoutOf(ctx) : 0, version: rcformVersion(), ...(info !== undefined ? { info } : {}) };
}

/**
 * Takes the state lock for `operation`, honouring --lock-timeout; with -lock=false, as
 * Terraform's, takes none (and says so on stderr where the operation changes things).
 */
export async function lockLive(ctx: CommandContext, liveDir: LiveDir | string, operation: string, info?: string): Promise<HeldLock | undefined> {
  const live = typeof liveDir === 'string' ? new LiveDir(liveDir) : liveDir;
  const lock = await takeLock(live, operation, lockChoiceOf(ctx, operation, info), operationLog);
  // The lock ended with its holder; what that holder did is in the state and journal, which the
  // command reads next, so this is news, not a reason to stop.
  if (lock?.abandoned) write(ctx.io.stderr, `Warning: ${describeAbandonedLock(lock.abandoned, lock.where)}\n`);
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

/** Journal lines the state could not use, on stderr. */
export function warnOn(ctx: CommandContext): (message: string) => void {
  return (message) => write(ctx.io.stderr, `Warning: ${message}`);
}

/** What the state operations need of the command: its lock, its warnings. */
function stateOperation(ctx: CommandContext, operation: string) {
  return { live: openLiveDir(ctx), operation, lock: (live: LiveDir, op: string) => lockLive(ctx, live, op), onWarning: warnOn(ctx) };
}

/**
 * Runs `fn` with the lock held and the state brought up to date with the journal (a crashed
 * apply's records folded in and written). The lock is released however `fn` ends.
 */
export async function withLockedState<T>(ctx: CommandContext, operation: string, fn: (state: State, live: LiveDir) => Promise<T> | T): Promise<T> {
  const o = stateOperation(ctx, operation);
  return withRecoveredState(o, (current) => fn(current.state, o.live));
}

/**
 * For read-only commands: the current state (journal folded in memory), under the lock unless
 * -lock=false. Never writes.
 */
export async function readLiveState(ctx: CommandContext, operation: string): Promise<State> {
  return (await readCurrentState(stateOperation(ctx, operation))).state;
}
