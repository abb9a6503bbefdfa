import { groupMembers, isSameLiveProcess, signalGroup } from './embedded/proc.js';

// What is left of a oneshot run whose asker died (a crashed apply), stopped on the side where it
// runs: the next apply asks the engine (Engine.stopCutOffRun) before any step, so that two runs of
// one oneshot never overlap.

/** How long the killed group of a cut-off run may take to be gone. */
const GONE_WAIT_MS = 10_000;

export type CutOffFound = 'running' | 'ended' | 'unknown';

/**
 * Kills the process group of a run, if the recorded leader (pid and /proc start time) is still
 * that process, or the leader is gone and its group still has members (a group's id cannot be
 * reused while it has members), and waits until it is gone.
 */
export async function stopRunGroup(pid: number, starttime: number | undefined): Promise<'running' | 'ended'> {
  const leader = isSameLiveProcess(pid, starttime);
  const group = leader || (groupMembers(pid).length > 0 && !isSameLiveProcess(pid, undefined));
  if (!group) return 'ended';
  signalGroup(pid, 'SIGKILL');
  for (const deadline = Date.now() + GONE_WAIT_MS; groupMembers(pid).length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  return 'running';
}
