import { UserError } from '../lang/user-error.js';
import { EngineNotRunningError, type Engine, type ServiceStatus } from '../engine/engine.js';
import { engineProcessOf, openEngine } from '../engine/open-engine.js';
import type { EngineConfig, State } from '../state/state-types.js';
import type { OperationLog } from './log.js';

// Refresh: ask the live directory's engine what runs, for the planner to compare with the state.
// Called with the state lock held, so no apply changes the answer while it is read. Planning never
// starts an engine. An engine that is not running cannot say what runs, and its services are not
// gone either: the embedded supervisor and s6 both keep what each service wanted, and bring back
// every service that was up when they start again. Planning as if they were absent would reinstall
// and start what the engine is about to restart, and rerun oneshots that already ran; so with
// services in the state, refresh refuses.

/** A plan can go on from the state alone; an apply cannot act without the engine. */
export type RefreshPurpose = 'plan' | 'apply';

export interface ObserveOptions {
  liveDir: string;
  state: State;
  purpose: RefreshPurpose;
  log?: OperationLog;
}

export async function observeEngine(o: ObserveOptions): Promise<Record<string, ServiceStatus>> {
  const { liveDir, state } = o;
  let engine: Engine;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: false });
  } catch (err) {
    if (err instanceof EngineNotRunningError) {
      // Nothing installed, nothing to bring back: an empty answer is the truth.
      if (Object.keys(state.services).length === 0) return {};
      throw new LiveUnknownError(liveDir, state.engine, o.purpose, { cause: err });
    }
    // An engine's own error states its fact, and the CLI's hint for it is added where it is printed.
    if (err instanceof UserError) throw err;
    throw new UserError('environment', `cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const started = performance.now();
    const status = await engine.status();
    o.log?.('info', `refresh: the ${state.engine.kind} engine reported ${Object.keys(status).length} services in ${(performance.now() - started).toFixed(0)} ms`);
    return status;
  } catch (err) {
    throw new UserError('environment', `the ${state.engine.kind} engine of ${liveDir} did not report its status: ${(err as Error).message}`, { cause: err });
  } finally {
    await engine.close();
  }
}

/**
 * The engine is stopped while the state holds services, so what runs cannot be known; for an
 * apply, nothing was done. The CLI adds how to start it and what to run then.
 */
export class LiveUnknownError extends UserError {
  constructor(
    readonly liveDir: string,
    readonly engine: EngineConfig,
    readonly purpose: RefreshPurpose,
    options?: { cause?: unknown },
  ) {
    const { name, start } = engineProcessOf(liveDir, engine);
    super('environment', purpose === 'plan' ? `${name} is not running, so what runs cannot be known` : `${name} is not running, so what runs cannot be known and nothing can be changed`, options);
    this.name = 'LiveUnknownError';
    this.start = start;
  }

  /** The command that starts the engine again, as the engine's driver names it. */
  readonly start: string;
}
