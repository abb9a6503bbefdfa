import type { CompiledLongrun, CompiledOneshot, CompiledService } from '../lang/compile/compiled-db.js';
import type { ServiceStatus } from '../state/service-status.js';
import { UserError } from '../lang/user-error.js';
import type { EngineKind } from '../state/state-types.js';

// The engine interface: what apply and refresh need from a supervisor. Two implementations:
// the embedded supervisor (Node only, the default) and s6. Both must pass test/engines/.

/**
 * The PATH every service's programs (run, finish, up, down) start with, whichever engine runs
 * them and whichever environment started the supervisor; a service's `env` may override it.
 */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// The observed status is plain data below the planner, which reads it.
export type { ServiceStatus } from '../state/service-status.js';
export type { RunState } from '../state/run-state.js';

export interface TransitionOptions {
  /** Milliseconds; 0 = no limit. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface OneshotRunOptions {
  /** Milliseconds; 0 = no limit. Past it, the run's process group is killed. */
  timeoutMs: number;
  /** Aborting kills the run's process group; the run then rejects as interrupted. */
  signal?: AbortSignal;
  /** The operator's answer, for a definition with `input`: the process's stdin. */
  input?: string | Buffer;
  /** Told the run's pid (its process group's id) and start time once it runs: the journal keeps them for a crash. */
  onSpawned?(pid: number, starttime?: number): void;
}

export interface OneshotRunResult {
  code: number;
  durationMs: number;
}

/** A line of a service's log; `at` (ISO) when the engine knows when it was written. */
export interface LogLine {
  text: string;
  at?: string;
}

export interface LogFollowOptions {
  /** Stops following; follow then resolves. */
  signal: AbortSignal;
  /** Every complete line written after the tail, in order, through rotations. */
  onLine(line: LogLine): void;
  /**
   * Instead of onLine: the log's text as it arrives, a line still being written included (one
   * service, no times). Engines whose logs carry stamps strip them first.
   */
  onText?(text: string): void;
}

/** A service's log, wherever the engine keeps it. */
export interface ServiceLog {
  /** Whether there is a log for the service at all. */
  exists(): Promise<boolean>;
  /** The last `n` lines, across rotations. */
  tail(n: number): Promise<LogLine[]>;
  /**
   * The last `n` lines (given to `onTail`), then every line after them until the signal aborts:
   * the tail ends exactly where the following begins, so no line is skipped or shown twice.
   */
  follow(n: number, onTail: (lines: LogLine[]) => void, opts: LogFollowOptions): Promise<void>;
}

/** What was found of a cut-off oneshot run, and the pid of the group that was killed or looked for. */
export interface CutOffRun {
  found: 'running' | 'ended' | 'unknown';
  pid?: number;
}

/** A user and group a service runs as (either may be absent). */
export interface AccountRef {
  user?: string;
  group?: string;
}

/**
 * What an engine could not do, as a fact: of one service (`service`, and the message starts with
 * its name), or of the engine itself (no `service`: the engine has no service to blame).
 */
export class EngineError extends UserError {
  readonly service: string | undefined;
  constructor(
    service: string | undefined,
    /** The fact without the service's name, as the supervisor's socket carries it. */
    readonly detail: string,
  ) {
    super('environment', service !== undefined ? `${service}: ${detail}` : detail);
    this.service = service;
    this.name = 'EngineError';
  }
}

/**
 * The engine of a live directory is not running (or went away mid-conversation), whichever kind
 * it is: the one error callers catch to say "start it" or to go on without it. Every driver
 * throws this, and only this, for that case (engine/open-engine.ts).
 */
export class EngineNotRunningError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('environment', message, options);
    this.name = 'EngineNotRunningError';
  }
}

export interface Engine {
  readonly kind: EngineKind;
  /** Install a longrun, supervised but down. Writes its definition and `data` files. */
  install(svc: CompiledLongrun): Promise<void>;
  /** Replace an installed longrun's definition without touching its process. */
  update(svc: CompiledLongrun): Promise<void>;
  /** Rename an installed longrun without restarting its process. */
  rename(from: string, to: string, svc: CompiledLongrun): Promise<void>;
  uninstall(name: string): Promise<void>;
  /** Start and wait for up (or ready, with notification_fd). Rejects with EngineError on timeout. */
  start(name: string, opts: TransitionOptions): Promise<void>;
  /** Stop and wait until the whole process group is gone. */
  stop(name: string, opts: TransitionOptions): Promise<void>;
  reload(name: string): Promise<void>;
  /**
   * Runs a oneshot's up or down on the supervised side (never in the caller's process), its
   * output into its log; resolves on exit 0, rejects with EngineError otherwise (a timeout, an
   * interrupt, an unknown account). A missing `down` is a no-op. If the caller goes away, the run
   * goes on to its end (docs/engine.md, "Oneshots").
   */
  runOneshot(svc: CompiledOneshot, direction: 'up' | 'down', opts: OneshotRunOptions): Promise<OneshotRunResult>;
  /**
   * Before an apply runs anything: stops what is left of a oneshot run a crashed apply asked for
   * (its process group, by the pid and start time the journal kept, or a run of that service the
   * engine's side still holds when the journal had no pid yet), and says what it found.
   */
  stopCutOffRun(name: string, run: { pid?: number; starttime?: number }): Promise<CutOffRun>;
  /** Record that a oneshot is now up or down (after its run, or a state mv). */
  setOneshotState(svc: CompiledService, up: boolean): Promise<void>;
  /** A service's log: its output (a longrun's, or a oneshot's runs), read where the engine keeps it. */
  log(name: string): ServiceLog;
  /**
   * For each account, why the services' side could not run a service as it (an unknown user or
   * group, or one only root may switch to), or null: checked where the services run.
   */
  checkAccounts(accounts: AccountRef[]): Promise<(string | null)[]>;
  status(): Promise<Record<string, ServiceStatus>>;
  close(): Promise<void>;
  /**
   * Before an apply runs any step: make room for the longruns it installs, or reject saying why
   * there is none (s6-svscan's -c, engine/s6/capacity.ts). Engines without such a limit leave it out.
   */
  reserve?(installs: CompiledLongrun[]): Promise<void>;
}
