import type { RunState } from './run-state.js';

// What an engine observes of a service: plain data. Engines produce it, refresh records it, and
// the pure planner reads it to find drift, so it sits below all three.

// The run-state words are state/run-state.ts's.
export type { RunState };

export interface ServiceStatus {
  name: string;
  type: 'longrun' | 'oneshot';
  /** What the supervisor is trying to achieve. */
  wanted: 'up' | 'down';
  state: RunState;
  pid?: number;
  /** ISO time of the last state change. */
  since: string;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null };
  /** Set by an engine that found the service running when it (re)started and adopted it. */
  adopted?: boolean;
  /**
   * Set by an engine that (re)started and found the service dead, or waiting for a readiness
   * notification it can no longer receive, and so restarted it instead of adopting it.
   */
  restartedOnRecovery?: boolean;
}
