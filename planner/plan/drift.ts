import { elapsedText } from '../../lang/compile/duration.js';
import type { ServiceStatus } from '../../state/service-status.js';
import { isRunning } from '../../state/run-state.js';
import type { State } from '../../state/state-types.js';
import type { DriftEntry } from '../plan-types.js';

type Recorded = State['services'][string];

export interface Observed {
  running: boolean;
  /** A longrun the engine does not know: it must be installed again. */
  absent: boolean;
  /** A longrun with readiness notification that the engine reports starting. */
  notReady: boolean;
  /** The engine's word for it, or the recorded one without a refresh. */
  obs: string;
  since?: string;
}

/** How a recorded service runs: as the engine reports it, or as recorded without a refresh. */
export function observe(name: string, ss: Recorded, observed: Record<string, ServiceStatus> | null): Observed {
  if (!observed) return { running: ss.desired === 'up', absent: false, notReady: false, obs: ss.desired };
  const st = observed[name];
  if (!st) return { running: false, absent: ss.type === 'longrun', notReady: false, obs: 'absent' };
  // Only readiness makes "starting" last: without notification_fd a longrun is up once spawned,
  // and "starting" is the moment before that (or s6-supervise between two spawns).
  const notReady = st.state === 'starting' && ss.definition.type === 'longrun' && ss.definition.notification_fd !== undefined;
  return { running: isRunning(st.state), absent: false, notReady, obs: st.state, ...(notReady && st.since ? { since: st.since } : {}) };
}

/** Whether the state shows a start of it that never completed, rather than a ready service the supervisor is respawning. */
export function startIncomplete(ss: Recorded): boolean {
  return ss.desired === 'down' || ss.observed?.state === 'starting';
}

/**
 * The drift of a recorded service as a refresh saw it, or null. A service starting and not ready
 * is drift even when recorded up: the state promises a service that is up, and what depends on it
 * must not start before it is ready.
 */
export function driftOf(name: string, ss: Recorded, r: Observed, incomplete: boolean, now: string | undefined): DriftEntry | null {
  const recordedUp = ss.desired === 'up';
  if (!(r.running !== recordedUp || r.absent || r.notReady)) return null;
  return {
    address: ss.address,
    name,
    type: ss.type === 'oneshot' ? 'oneshot' : 'longrun',
    recorded: ss.desired,
    observed: r.obs,
    // `r.absent` is for longruns only (they are installed again); a oneshot the engine has
    // no record of is just as unknown to it, and an operator reads one wording for both.
    detail: r.obs === 'absent'
      ? `recorded ${ss.desired}, but the engine does not know it`
      : r.notReady
        ? `recorded ${ss.desired}, but the engine reports it starting and not ready${sinceText(r.since, now)}${incomplete ? ': its start did not complete' : ''}`
        : `recorded ${ss.desired}, but the engine reports it ${r.obs}`,
    ...(r.since ? { since: r.since } : {}),
  };
}

function sinceText(since: string | undefined, now: string | undefined): string {
  if (!since) return '';
  const ago = now ? Date.parse(now) - Date.parse(since) : Number.NaN;
  return Number.isFinite(ago) ? ` since ${since} (${elapsedText(ago)} before this plan)` : ` since ${since}`;
}
