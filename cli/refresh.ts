import { CliError, write, type Io } from './command.js';
import type { Engine, ServiceStatus } from '../engine/engine.js';
import { SupervisorUnavailableError } from '../engine/embedded/client.js';
import { openEngine } from '../engine/open-engine.js';
import type { State } from '../state/state-types.js';

// Refresh: ask the live directory's engine what runs, for the planner to compare with the state.
// Called with the state lock held, so no apply changes the answer while it is read. Planning never
// starts a supervisor: one that is not running supervises nothing, so every service is reported
// absent — after a reboot or a crash that is the truth, and the plan reinstalls and starts them.

export async function observeEngine(liveDir: string, state: State, io: Io): Promise<Record<string, ServiceStatus>> {
  let engine: Engine;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: false });
  } catch (err) {
    if (err instanceof SupervisorUnavailableError) {
      if (Object.keys(state.services).length > 0) {
        write(io.stderr, `Note: the ${state.engine.kind} engine of ${liveDir} is not running; the plan treats every service as not running.`);
      }
      return {};
    }
    throw new CliError(`cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`);
  }
  try {
    return await engine.status();
  } catch (err) {
    throw new CliError(`the ${state.engine.kind} engine of ${liveDir} did not report its status: ${(err as Error).message}`);
  } finally {
    await engine.close();
  }
}
