import type { JournalEntry } from '../state/journal-types.js';
import type { State } from '../state/state-types.js';
import type { Engine } from '../engine/engine.js';

// A oneshot runs in its own process group, on the engine's side: when the apply that asked for
// it is killed, the oneshot runs on, and its end is never recorded. So oneshots run at least once
// across a crash, never at most once: the next apply runs it again. Before it does, and before
// anything else, it has the engine stop what is left of the cut-off run, so that two runs never
// overlap, and the journal says what was found (docs/apply.md, "Oneshots across a crash").

/** The journal records of what was found of every oneshot run a crashed apply left, its remains killed. */
export async function stopCutOffOneshots(state: State, applyId: string, engine: Engine): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for (const [name, ss] of Object.entries(state.services)) {
    const run = ss.partial_run;
    if (!run || run.found !== undefined || run.apply_id === applyId) continue;
    const stopped = await engine.stopCutOffRun(name, { ...(run.pid !== undefined ? { pid: run.pid } : {}), ...(run.starttime !== undefined ? { starttime: run.starttime } : {}) });
    out.push({ type: 'oneshot-recovered', service: name, step_id: run.step_id, direction: run.direction, interrupted_apply: run.apply_id, ...(stopped.pid !== undefined ? { pid: stopped.pid } : {}), found: stopped.found });
  }
  return out;
}
