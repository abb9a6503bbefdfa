import type { CompiledDb } from '../lang/compile/compiled-db.js';
import { DiagnosticsError } from '../lang/diagnostic.js';
import { UserError } from '../lang/user-error.js';
import { plan as planOf } from '../planner/plan/plan.js';
import { PLAN_FILE_FORMAT_VERSION, touchedServices, type LiveRef, type PlanFile } from '../planner/plan-file.js';
import type { Plan } from '../planner/plan-types.js';
import type { LiveDir } from '../state/live-dir.js';
import type { ServiceStatus } from '../state/service-status.js';
import type { EngineConfig, SourceIdentity, State } from '../state/state-types.js';
import type { OperationLog } from './log.js';
import { observeEngine, type RefreshPurpose } from './refresh.js';

// Planning as an operation: the live state read (under a lock the caller holds), refreshed from
// the engine so that drift shows, and the plan of a compiled database against it. The command line
// compiles the source and reads the flags; the plan file written from the result records what was
// seen, so that apply can tell it is still fresh.

/** What the planner compares against: the state, what the engine reports, and where both came from. */
export interface LiveRead {
  state: State;
  observed: Record<string, ServiceStatus> | null;
  ref: LiveRef;
  engine: EngineConfig | null;
}

export interface ReadLiveOptions {
  live: LiveDir;
  /** Ask the engine what runs (plan --refresh=false trusts the state). */
  refresh: boolean;
  /** What the refresh is for: an apply cannot go on without the engine, a plan can from the state. */
  purpose: RefreshPurpose;
  /** Torn or unreadable journal lines: the state is still read, the operator should know. */
  onWarning?(message: string): void;
  log?: OperationLog;
}

/**
 * The live state of a live directory, for a caller that holds its lock (or found it stale):
 * state.json with any journal records it does not show yet folded in (in memory: planning never
 * writes), and the engine's status.
 */
export async function readLive(o: ReadLiveOptions): Promise<LiveRead> {
  const current = o.live.current();
  for (const p of current.problems) o.onWarning?.(p.message);
  const { state } = current;
  const observed = o.refresh ? await observeEngine({ liveDir: o.live.root, state, purpose: o.purpose, ...(o.log ? { log: o.log } : {}) }) : null;
  return {
    state,
    observed,
    engine: state.engine,
    ref: {
      source: 'live-dir',
      live_dir: o.live.root,
      lineage: state.lineage,
      serial: current.serial,
      journal_seq: state.journal_seq ?? 0,
      compiled_hash: state.compiled_hash,
    },
  };
}

/** A state read from a file (`plan --live-from`): no engine, so no drift. */
export function liveFromFile(state: State, kind: 'state-file' | 'compiled-file', file: string): LiveRead {
  return { state, observed: null, engine: null, ref: { source: kind, file, lineage: state.lineage, serial: state.serial, compiled_hash: state.compiled_hash } };
}

export interface PlanOptions {
  /** The desired database; null plans the removal of everything (a destroy without a source). */
  compiled: CompiledDb | null;
  live: LiveRead;
  destroy: boolean;
  /** The source directory planned, checked against the one the live directory records. */
  source?: SourceIdentity | undefined;
  allowOtherSource?: boolean;
  replace?: readonly string[];
  target?: readonly string[];
  /** The plan was asked to refresh: it did when the live read has the engine's answer. */
  refresh: boolean;
  allowEssential?: boolean;
  /** The plan's clock reading (ISO): planning itself reads no clock. */
  now: string;
  log?: OperationLog;
}

/** The plan, or a DiagnosticsError saying why none can be made as asked. */
export function makePlan(o: PlanOptions): Plan {
  checkSource(o.live, o.source, o.allowOtherSource === true);
  const started = performance.now();
  const { plan, diagnostics } = planOf({
    compiled: o.compiled,
    state: o.live.state,
    observed: o.live.observed,
    now: o.now,
    options: {
      replace: [...(o.replace ?? [])],
      target: [...(o.target ?? [])],
      destroy: o.destroy,
      refresh: o.refresh && o.live.observed !== null,
      allow_essential: o.allowEssential === true,
    },
  });
  if (!plan) throw new DiagnosticsError(diagnostics);
  o.log?.('info', `planned ${plan.resource_changes.length} changes in ${plan.steps.length} steps, ${plan.drift.length} drifted, in ${(performance.now() - started).toFixed(0)} ms`);
  return plan;
}

/**
 * Two projects on one machine share the default live directory unless told otherwise; the plan of
 * one against the other's would remove every service the other installed. A live directory that
 * records another source, and still has services, is refused unless the operator asks for it.
 */
function checkSource(live: LiveRead, source: SourceIdentity | undefined, allowed: boolean): void {
  const recorded = live.state.source;
  if (!source || !recorded || recorded.dir === source.dir || live.ref.source !== 'live-dir') return;
  if (Object.keys(live.state.services).length === 0 || allowed) return;
  throw new OtherSourceError(live.ref.live_dir ?? '', recorded.dir, source.dir, Object.keys(live.state.services).length);
}

/** The live directory was last applied from another source directory. */
export class OtherSourceError extends UserError {
  constructor(
    readonly liveDir: string,
    readonly recorded: string,
    readonly planned: string,
    readonly services: number,
  ) {
    super('conflict', `the live directory ${liveDir} was applied from ${recorded}, not from ${planned}: planning this source against it would treat its ${services === 1 ? 'service' : `${services} services`} as yours`);
    this.name = 'OtherSourceError';
  }
}

/** The plan as a file: what apply executes, with what the plan saw so it can be checked fresh. */
export function planFileOf(plan: Plan, compiled: CompiledDb | null, live: LiveRead, meta: { rcformVersion: string; createdAt: string; source?: SourceIdentity | undefined }): PlanFile {
  const services: PlanFile['observed']['services'] = {};
  for (const name of touchedServices(plan)) {
    if (live.observed) {
      const st = live.observed[name];
      services[name] = st ? { state: st.state, ...(st.pid !== undefined ? { pid: st.pid } : {}) } : { state: 'absent' };
    } else {
      const ss = live.state.services[name];
      services[name] = { state: ss ? ss.desired : 'absent' };
    }
  }
  return {
    format_version: PLAN_FILE_FORMAT_VERSION,
    kind: 'rcform-plan',
    rcform_version: meta.rcformVersion,
    created_at: meta.createdAt,
    compiled,
    live: live.ref,
    engine: live.engine,
    observed: { source: live.observed ? 'engine' : 'state', services },
    ...(meta.source ? { source: meta.source } : {}),
    plan,
  };
}
