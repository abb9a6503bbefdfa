import { CliError } from './command.js';
import type { Engine, ServiceStatus } from '../engine/engine.js';
import type { State } from '../state/state-types.js';

// Refresh: ask the live directory's engine what runs, for the planner to compare with the state.
// Called with the state lock held, so no apply changes the answer while it is read.

type OpenEngine = (liveDir: string, config: State['engine']) => Engine | Promise<Engine>;

async function loadOpenEngine(): Promise<OpenEngine | undefined> {
  // Resolved at run time: the engines are built in parallel with the planner (engine/open-engine.ts).
  const spec = '../engine/open-engine.js';
  try {
    const mod = (await import(spec)) as { openEngine?: OpenEngine };
    return mod.openEngine;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

export async function observeEngine(liveDir: string, state: State): Promise<Record<string, ServiceStatus>> {
  const open = await loadOpenEngine();
  if (!open) throw new CliError('this build of rcform has no engine to refresh from; plan with --refresh=false, or with --live-from FILE');
  let engine: Engine;
  try {
    engine = await open(liveDir, state.engine);
  } catch (err) {
    throw new CliError(`cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`);
  }
  try {
    return await engine.status();
  } finally {
    await engine.close();
  }
}
