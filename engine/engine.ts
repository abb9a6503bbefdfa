import type { CompiledLongrun, CompiledService } from '../lang/compile/compiled-db.js';
import type { ServiceStatus } from '../state/service-status.js';
import type { EngineKind } from '../state/state-types.js';
import { UserError } from '../lang/user-error.js';

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
  /** Record that a oneshot is now up or down (oneshots run in the applying process). */
  setOneshotState(svc: CompiledService, up: boolean): Promise<void>;
  status(): Promise<Record<string, ServiceStatus>>;
  close(): Promise<void>;
  /**
   * Before an apply runs any step: make room for the longruns it installs, or reject saying why
   * there is none (s6-svscan's -c, engine/s6/capacity.ts). Engines without such a limit leave it out.
   */
  reserve?(installs: CompiledLongrun[]): Promise<void>;
}
