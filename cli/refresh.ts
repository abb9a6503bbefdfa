import { CliError } from './command.js';
import { EngineNotRunningError, type Engine, type ServiceStatus } from '../engine/engine.js';
import { engineProcessOf, openEngine } from '../engine/open-engine.js';
import type { State } from '../state/state-types.js';
import { logInfo } from './log.js';
import { UserError } from '../lang/user-error.js';

// Refresh: ask the live directory's engine what runs, for the planner to compare with the state.
// Called with the state lock held, so no apply changes the answer while it is read. Planning never
// starts an engine. An engine that is not running cannot say what runs, and its services are not
// gone either: the embedded supervisor and s6 both keep what each service wanted, and bring back
// every service that was up when they start again. Planning as if they were absent would reinstall
// and start what the engine is about to restart, and rerun oneshots that already ran; so with
// services in the state, refresh refuses and says how to start the engine.

export async function observeEngine(liveDir: string, state: State, command: 'plan' | 'apply'): Promise<Record<string, ServiceStatus>> {
  let engine: Engine;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: false });
  } catch (err) {
    if (err instanceof EngineNotRunningError) {
      // Nothing installed, nothing to bring back: an empty answer is the truth.
      if (Object.keys(state.services).length === 0) return {};
      throw engineNotRunning(liveDir, state, command);
    }
    // An engine's own error states its fact, and the CLI's hint for it is added where it is printed.
    if (err instanceof UserError) throw err;
    throw new CliError(`cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`);
  }
  try {
    const started = performance.now();
    const status = await engine.status();
    logInfo(`refresh: the ${state.engine.kind} engine reported ${Object.keys(status).length} services in ${(performance.now() - started).toFixed(0)} ms`);
    return status;
  } catch (err) {
    throw new CliError(`the ${state.engine.kind} engine of ${liveDir} did not report its status: ${(err as Error).message}`);
  } finally {
    await engine.close();
  }
}

/**
 * The error for a command that needs to know what runs while the engine is stopped and the state
 * holds services. `plan` can still go on from the state alone; apply cannot act without the engine.
 */
export function engineNotRunning(liveDir: string, state: State, command: 'plan' | 'apply'): CliError {
  const engine = engineProcessOf(liveDir, state.engine);
  const start = `start it with ${engine.start} (it brings back the services that were up)`;
  return new CliError(
    command === 'plan'
      ? `${engine.name} is not running, so what runs cannot be known; ${start}, then plan again; or plan from the state alone with --refresh=false`
      : `${engine.name} is not running, so what runs cannot be known and nothing can be changed; ${start}, then plan again; nothing was done`,
  );
}
