import type { JournalEntry } from '../state/journal-types.js';
import type { State } from '../state/state-types.js';
import { groupMembers, isSameLiveProcess, signalGroup } from './embedded/proc.js';

// A oneshot runs in its own process group, from the applying process: when that apply is
// killed, the oneshot runs on, and its end is never recorded. So oneshots run at least once
// across a crash, never at most once: the next apply runs it again. Before it does, and before
// anything else, it stops what is left of the cut-off run, so that two runs never overlap, and
// the journal says what it found (docs/apply.md, "Oneshots across a crash").

/** How long the killed group of a cut-off run may take to be gone. */
const GONE_WAIT_MS = 10_000;

/** The journal records of what was found of every oneshot run a crashed apply left, its remains killed. */
export async function stopCutOffOneshots(state: State, applyId: string): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for (const [name, ss] of Object.entries(state.services)) {
    const run = ss.partial_run;
    if (!run || run.found !== undefined || run.apply_id === applyId) continue;
    let found: 'running' | 'ended' | 'unknown' = 'unknown';
    if (run.pid !== undefined) {
      // The leader alive and the same process, or the leader gone and its group still there
      // (the group's id cannot be reused while it has members).
      const leader = isSameLiveProcess(run.pid, run.starttime);
      const group = leader || (groupMembers(run.pid).length > 0 && !isSameLiveProcess(run.pid, undefined));
      found = group ? 'running' : 'ended';
      if (group) {
        signalGroup(run.pid, 'SIGKILL');
        for (const deadline = Date.now() + GONE_WAIT_MS; groupMembers(run.pid).length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      }
    }
    out.push({ type: 'oneshot-recovered', service: name, step_id: run.step_id, direction: run.direction, interrupted_apply: run.apply_id, ...(run.pid !== undefined ? { pid: run.pid } : {}), found });
  }
  return out;
}

/** One line for the operator about a cut-off run, as apply prints it before its steps. */
export function cutOffText(e: Extract<JournalEntry, { type: 'oneshot-recovered' }>, address: string): string {
  const what = e.found === 'running' ? `was still running (process group ${e.pid}): killed` : e.found === 'ended' ? 'had ended, with an outcome nobody saw' : 'left no process to look for';
  return `${address}: its ${e.direction} was cut off by a crash of apply ${e.interrupted_apply} and ${what}; it may have run partly, and runs again if the plan says so`;
}
