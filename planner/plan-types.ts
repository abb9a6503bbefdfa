import type { FormatVersion } from '../lang/format-version.js';
import type { CompiledService, ServiceType } from '../lang/compile/compiled-db.js';

// The plan: plain data, the single thing every view renders and `apply` executes. Described by
// schemas/plan.schema.json (keep the two in step). Views never recompute anything: what a reviewer
// reads is exactly what apply will do.

export const PLAN_FORMAT_VERSION = '1' satisfies FormatVersion;

/**
 * What happens to one service, as a list like Terraform's `actions`:
 * - `["no-op"]`                nothing (only listed by views that ask for it);
 * - `["install"]`              new, and `down = true`: installed, left down;
 * - `["install", "start"]`     new: installed, then started;
 * - `["stop", "remove"]`       gone from the source (or `--destroy`) while up; `["remove"]` when down;
 * - `["update"]`               definition changed in fields that need no process change;
 * - `["restart"]`              stopped, updated, started again (Terraform's `["delete","create"]`);
 * - `["reload"]`               updated, then sent its reload signal; the process keeps running;
 * - `["start"]` / `["stop"]`   `down` flipped, or drift corrected; may follow `"update"`;
 * - `["rename", ...]`          a `moved` block: renamed in place, followed by whatever else changed.
 */
export type ChangeAction = 'no-op' | 'install' | 'remove' | 'update' | 'restart' | 'reload' | 'start' | 'stop' | 'rename';

/** Why the change happens, machine-readable (Terraform's `action_reason`). */
export type ActionReason =
  | 'new'
  | 'gone'
  | 'destroy'
  | 'definition_changed'
  | 'in_place_fields'
  | 'data_reload'
  | 'lifecycle_reload'
  | 'lifecycle_ignore'
  | 'dependency_restarted'
  | 'replace_requested'
  | 'down_flipped'
  | 'needed_by_dependent'
  | 'not_running'
  | 'not_ready'
  | 'drift'
  | 'operator_hold'
  | 'type_changed'
  | 'moved'
  /** A oneshot whose last run was cut off by a crash of the apply: it may have run partly, and runs again. */
  | 'interrupted_run';

export type Desired = 'up' | 'down';

export interface ResourceChange {
  /** The address after the plan (before it, for a removal). */
  address: string;
  /** Set for a rename (`moved`): the address before. */
  previous_address?: string;
  name: string;
  previous_name?: string;
  type: Exclude<ServiceType, 'bundle'>;
  actions: ChangeAction[];
  action_reason: ActionReason;
  /** One human sentence, the part after "because": "run changed", "longrun.db is restarted". */
  reason: string;
  /** Definition before and after (null when absent). Views mask sensitive_paths. */
  before: CompiledService | null;
  after: CompiledService | null;
  /** Only in --json output: the sensitive paths whose values were replaced by "(sensitive value)". */
  before_sensitive?: string[];
  after_sensitive?: string[];
  /** Whether the service runs before (as observed, or as recorded without refresh) and after. */
  before_state: Desired | null;
  after_state: Desired | null;
  /** Every definition field that differs, as dotted paths (`run`, `env.PORT`, `data.nginx.conf`). */
  changed_paths: string[];
  /** The subset of changed_paths that forced a restart (or reload). */
  restart_paths: string[];
  /** Set when the change is caused by another service (a restarted dependency): its address. */
  caused_by?: string;
}

export interface DriftEntry {
  address: string;
  name: string;
  type: Exclude<ServiceType, 'bundle'>;
  /** What state.json says the service should be. */
  recorded: Desired;
  /** What the engine reports: a RunState, or `absent` when the engine does not know it. */
  observed: string;
  /** "recorded up, but the engine reports it failed". */
  detail: string;
  /**
   * Set for a longrun the engine reports starting but not ready (a start nobody completed, as an
   * apply killed mid-start leaves): the ISO time it has been in that state since, as the engine says.
   */
  since?: string;
}

/**
 * An operator hold in effect (`rcform up` / `rcform down`) that keeps a service in another run
 * state than the source gives it: the plan leaves it so, and says so, until `rcform release`.
 */
export interface HoldEntry {
  address: string;
  name: string;
  /** The run state the hold keeps. */
  held: Desired;
  /** The run state the source alone would give it. */
  source: Desired;
  /** The address the operator named (`bundle.web` for every member it brought down). */
  requested: string;
  /** ISO time the hold was made. */
  since: string;
}

/** The step kinds apply executes; each maps to one Engine call (see docs/plan.md). */
export type StepAction = 'stop' | 'uninstall' | 'install' | 'update' | 'rename' | 'start' | 'reload' | 'oneshot_up' | 'oneshot_down';

export interface PlanStep {
  /** Unique in the plan: `${action}:${service}`. */
  id: string;
  action: StepAction;
  /** The service name the step acts on (for rename: the new name). */
  service: string;
  /** rename only: the name before. */
  from?: string;
  address: string;
  /** Why, for people and for apply's output: "longrun.db is restarted". */
  reason: string;
  /** Milliseconds allowed for the transition (timeouts.up_ms / down_ms); 0 = no limit. */
  timeout_ms: number;
}

/** `from` must be complete before `to` may begin. */
export interface PlanEdge {
  from: string;
  to: string;
}

export interface PlanOptions {
  replace: string[];
  target: string[];
  destroy: boolean;
  refresh: boolean;
  allow_essential: boolean;
}

export interface PlanSummary {
  install: number;
  start: number;
  restart: number;
  reload: number;
  update: number;
  rename: number;
  stop: number;
  remove: number;
}

export interface Plan {
  format_version: typeof PLAN_FORMAT_VERSION;
  /** Hash of the compiled database planned towards (null for --destroy with no database). */
  compiled_hash: string | null;
  options: PlanOptions;
  drift: DriftEntry[];
  /** Sorted by address; present only when a hold keeps a service from what the source says. */
  holds?: HoldEntry[];
  /** Sorted by address. Services with no change are not listed. */
  resource_changes: ResourceChange[];
  summary: PlanSummary;
  /** Topologically ordered: every edge goes from an earlier step to a later one. */
  steps: PlanStep[];
  edges: PlanEdge[];
}
