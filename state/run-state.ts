// The words for what a service is doing, shared by the engines that report them, the state that
// records them, the planner that compares them and the views that print them. Pure: types and
// functions of plain strings only, so lang/ and planner/ may import it.

/** What an engine reports a service to be, in the order a start goes through them. */
export const RUN_STATES = ['down', 'starting', 'up', 'ready', 'stopping', 'failed'] as const;

export type RunState = (typeof RUN_STATES)[number];

/** What a service is to the planner when the engine does not know it. */
export const ABSENT = 'absent';

/**
 * What state.json records of an observation. `stopping` is not among them: a refresh records a
 * service on its way down as still up (its processes still run), so the next plan stops it again.
 */
export type ObservedState = Exclude<RunState, 'stopping'> | typeof ABSENT;

/** A state or `absent`, as drift and saved plans carry it. */
export type RunOrAbsent = RunState | typeof ABSENT;

const RUNNING: ReadonlySet<string> = new Set<RunState>(['up', 'ready', 'starting', 'stopping']);

/** Whether processes of the service run: a drift check, and what apply records of a drifted service. */
export function isRunning(state: string): boolean {
  return RUNNING.has(state);
}

/** Whether the service has come up: a longrun started (and ready, if it notifies), a oneshot whose `up` ran. */
export function isUp(state: string): boolean {
  return state === 'up' || state === 'ready';
}

/** Collapses run states to what a plan depends on: whether a service is running, not running, or not installed. */
export function runClass(state: string): 'running' | 'stopped' | 'absent' {
  if (state === ABSENT) return 'absent';
  return isRunning(state) ? 'running' : 'stopped';
}

/**
 * The observation to record of a state an engine reported. `starting` stays what it is: "up"
 * would promise a ready service that may never be.
 */
export function observedStateOf(state: string): ObservedState {
  switch (state) {
    case 'ready':
    case 'starting':
    case 'down':
    case 'failed':
    case 'up':
    case ABSENT:
      return state;
    default:
      return isRunning(state) ? 'up' : 'down';
  }
}
