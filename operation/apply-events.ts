import type { PlanStep } from '../planner/plan-types.js';

// What an apply reports as it goes: the same events feed the Ink view, the plain one-line-per-event
// log for pipes and CI, and the `--json` stream (documented in docs/apply.md). Times are ISO strings
// so that every view can print them without a clock of its own.

export type StepOutcome = 'ok' | 'failed' | 'interrupted';

export type ApplyEvent =
  | { type: 'apply_start'; time: string; apply_id: string; steps: number; parallelism: number }
  | { type: 'step_start'; time: string; step: PlanStep }
  | { type: 'step_end'; time: string; step: PlanStep; outcome: StepOutcome; duration_ms: number; error?: string }
  /** A step that will not run: a step it depends on failed or was interrupted, or apply is stopping. */
  | { type: 'step_skipped'; time: string; step: PlanStep; because: string }
  /** The operator pressed Ctrl-C: `soft` lets in-flight steps finish, `hard` interrupts them. */
  | { type: 'interrupt'; time: string; mode: 'soft' | 'hard' }
  | { type: 'apply_end'; time: string; outcome: StepOutcome; done: number; failed: number; not_started: number; interrupted: number };

export interface ApplyResult {
  outcome: StepOutcome;
  done: PlanStep[];
  failed: Array<{ step: PlanStep; error: string }>;
  interrupted: PlanStep[];
  notStarted: PlanStep[];
}
