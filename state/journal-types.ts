import type { Observation, ServiceState } from './state-types.js';

// The journal's records (docs/live.md). Every record has a `seq`, increasing across the whole
// live directory, so that "what state.json does not show yet" is simply every record after the
// state's `journal_seq`.

/** How a completed step changed one service's entry in state.json; folded by foldJournal. */
export type ServiceChange =
  /** Installed or updated: the entry as it now is. */
  | { op: 'put'; entry: ServiceState }
  /** Uninstalled (or forgotten). */
  | { op: 'remove' }
  /** Renamed without a restart; `entry` (optional) replaces the renamed entry. */
  | { op: 'rename'; to: string; entry?: ServiceState }
  /** Started, stopped, reloaded: what was observed, and the desired state if it changed. */
  | { op: 'observe'; observed: Observation; desired?: 'up' | 'down' };

export type StepOutcome = 'ok' | 'failed' | 'interrupted';

interface Base {
  seq: number;
  apply_id: string;
  /** ISO time the record was made. */
  time: string;
}

export interface ApplyStartRecord extends Base {
  type: 'apply-start';
  lineage: string;
  /** Serial of state.json when the apply began. */
  base_serial: number;
  /** Hash of the compiled database being applied. */
  compiled_hash: string | null;
  /** Number of steps in the plan. */
  steps: number;
}

export interface StepStartRecord extends Base {
  type: 'step-start';
  step_id: string;
  /** The planner's action name: "start", "stop", "install", ... */
  action: string;
  /** Service name. */
  service: string;
}

export interface StepEndRecord extends Base {
  type: 'step-end';
  step_id: string;
  action: string;
  service: string;
  outcome: StepOutcome;
  /** One line; never an operator's input. */
  error?: string;
  /** Present when the step succeeded and changed what state.json should say. */
  change?: ServiceChange;
}

/**
 * What the plan's refresh found for a drifted service (state says one thing, the engine another),
 * written at the start of an apply, before any step. Without it a drift no step needs to correct
 * (the engine already runs what the plan wants, as after an apply killed while the engine brought
 * a service up) would stay in the state, and every later plan would report it again.
 */
export interface RefreshRecord extends Base {
  type: 'refresh';
  service: string;
  change: Extract<ServiceChange, { op: 'observe' }>;
}

export interface ApplyEndRecord extends Base {
  type: 'apply-end';
  outcome: StepOutcome;
  /** Set when every step succeeded: the compiled database now fully applied. */
  compiled_hash?: string | null;
  done: number;
  failed: number;
  not_started: number;
}

/**
 * A oneshot's process under way: written as soon as it is spawned, so that after a crash of the
 * apply its process group can be found (and stopped) by the next one.
 */
export interface OneshotSpawnedRecord extends Base {
  type: 'oneshot-spawned';
  step_id: string;
  service: string;
  direction: 'up' | 'down';
  pid: number;
  /** /proc start time of pid: tells it from a later process with the same pid. */
  starttime?: number;
}

/**
 * What an apply found of a oneshot whose run a crashed apply began and never recorded the end
 * of, before it did anything else: still running (its process group killed), or ended with an
 * outcome nobody saw. Either way it may have run partly, and it is run again when the plan says
 * so: oneshots run at least once across a crash.
 */
export interface OneshotRecoveredRecord extends Base {
  type: 'oneshot-recovered';
  service: string;
  step_id: string;
  direction: 'up' | 'down';
  /** The apply that crashed during the run. */
  interrupted_apply: string;
  pid?: number;
  /** `running`: its process group was still there, and was killed; `ended`: gone by itself; `unknown`: no pid was recorded. */
  found: 'running' | 'ended' | 'unknown';
}

export type JournalRecord = ApplyStartRecord | RefreshRecord | StepStartRecord | StepEndRecord | ApplyEndRecord | OneshotSpawnedRecord | OneshotRecoveredRecord;

/** A record as the caller gives it: the journal fills in seq and apply_id (and time if absent). */
export type JournalEntry = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, 'seq' | 'apply_id' | 'time'> & { time?: string }
    : never
  : never;
