import { serializeDb } from '../lang/compile/compile.js';
import type { CompiledDb, CompiledLongrun, CompiledOneshot, CompiledService } from '../lang/compile/compiled-db.js';
import { redactMessage } from '../lang/redact.js';
import { UserError } from '../lang/user-error.js';
import { EngineNotRunningError, type Engine, type ServiceStatus } from '../engine/engine.js';
import { openEngine, serviceLog } from '../engine/open-engine.js';
import { serviceNameProblem, servicePathProblems } from '../engine/safe-names.js';
import type { PlanFile } from '../planner/plan-file.js';
import { observedMismatches, planStaleness } from '../planner/plan-file.js';
import type { PlanStep } from '../planner/plan-types.js';
import { foldJournal } from '../state/journal-fold.js';
import type { JournalEntry, JournalRecord } from '../state/journal-types.js';
import type { LiveDir } from '../state/live-dir.js';
import type { State } from '../state/state-types.js';
import type { ApplyEvent, ApplyResult } from './apply-events.js';
import { stopCutOffOneshots } from './oneshot-recovery.js';
import { LiveUnknownError } from './refresh.js';
import { StepExecutor } from './step-executor.js';

// Applying a plan as an operation, with the state lock held by the caller: check that the plan
// still describes the live directory, then execute exactly its steps and keep state.json in step
// with the journal. What happens is reported as events and notes; the caller decides what a
// person sees, and turns Ctrl-C into the two signals.

/**
 * How often the journal is folded into state.json while steps run (and once at the end): every
 * 2 seconds at most, and never more than 1/FOLD_SHARE of the time. A fold rewrites the whole
 * state with the event loop blocked (docs/benchmarks.md, "Figures behind the code"), so with a
 * fixed interval a long dependency chain would wait that long every 2 seconds. The journal
 * holds every record meanwhile; the fold only keeps state.json close behind it.
 */
const FOLD_INTERVAL_MS = 2000;
const FOLD_SHARE = 100;

/** What an apply tells besides its step events, for the caller to show. */
export type ApplyNote =
  /** A fold of the journal into state.json failed; the journal still holds every record. */
  | { type: 'state_write_failed'; message: string }
  /** What a crashed apply left of a oneshot's run was found (and stopped), before any step. */
  | { type: 'oneshot_recovered'; entry: Extract<JournalEntry, { type: 'oneshot-recovered' }>; address: string };

export interface ApplyOptions {
  live: LiveDir;
  planFile: PlanFile;
  /** Refuse a plan whose lineage, serial or journal position no longer match (saved plans). */
  checkFresh: boolean;
  parallelism: number;
  /** The answer for a oneshot with `input`, asked at its step (or read from a file); a line is made of it. */
  answer(svc: CompiledOneshot, step: PlanStep): Promise<Buffer>;
  onEvent(ev: ApplyEvent): void;
  onNote?(note: ApplyNote): void;
  /** Aborted: no new steps start; those in flight finish and are journalled. */
  stop?: AbortSignal;
  /** Aborted: the steps in flight are interrupted too. */
  interrupt?: AbortSignal;
  /**
   * Make the plan's compiled database the live one (default; see recordLiveDb). Off for
   * `rcform up`/`down`, whose plans are made from the installed definitions, not from a database.
   */
  recordLiveDb?: boolean;
  /** The bytes the compiled database was read from, written as they are instead of serialised again. */
  compiledJson?: Uint8Array | undefined;
}

export async function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  const { planFile: pf, live } = o;
  const liveDir = live.root;
  if (o.checkFresh) checkFresh(pf, live);
  let state: State = live.recover().state;
  if (pf.engine && pf.engine.kind !== state.engine.kind) {
    throw new UserError('conflict', `the plan was made for the ${pf.engine.kind} engine, but ${liveDir} uses ${state.engine.kind}; make a new plan`);
  }
  preflightPaths(pf);

  let engine: Engine;
  // A fresh live directory's engine is started here: it has nothing to bring back. One whose state
  // holds services is not: started now, it would bring back every service that was up, behind a
  // plan that was made without knowing (refresh refuses then too, see operation/refresh.ts).
  const fresh = Object.keys(state.services).length === 0;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: fresh });
  } catch (err) {
    if (err instanceof EngineNotRunningError && !fresh) throw new LiveUnknownError(liveDir, state.engine, 'apply', { cause: err });
    // An engine's own error states its fact, and the CLI's hint for it is added where it is printed.
    if (err instanceof UserError) throw err;
    throw new UserError('environment', `cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (o.checkFresh && pf.observed.source === 'engine') checkObserved(pf, await engine.status());
    await preflightAccounts(pf, engine);
    await reserveRoom(pf, engine);

    // Recorded before any step: after a partial apply the live directory already holds services
    // of this source, and the next plan of it must not need --allow-other-source.
    if (pf.source && state.source?.dir !== pf.source.dir && pf.plan.resource_changes.length > 0) state = live.writeState({ ...state, source: pf.source });
    if (o.recordLiveDb !== false && pf.compiled) recordLiveDb(live, pf.compiled, o.compiledJson, pf.plan.options.target.length > 0);
    const journal = await live.openJournal({ foldedSeq: state.journal_seq ?? 0 });
    let pending: JournalRecord[] = [];
    const fold = (): void => {
      if (pending.length === 0) return;
      const next = foldJournal(state, pending);
      pending = [];
      state = live.writeState(next);
    };
    let timer: NodeJS.Timeout | undefined;
    const schedule = (after: number): void => {
      timer = setTimeout(() => {
        const t0 = performance.now();
        try {
          fold();
        } catch (err) {
          // The journal still holds every record; the next fold (or recovery) catches up.
          o.onNote?.({ type: 'state_write_failed', message: (err as Error).message });
        }
        schedule(Math.max(FOLD_INTERVAL_MS, FOLD_SHARE * (performance.now() - t0)));
      }, after);
    };
    schedule(FOLD_INTERVAL_MS);

    // Before any step: what a crashed apply left of its oneshots' runs is stopped, and recorded.
    const cutOff = await stopCutOffOneshots(state, journal.applyId, engine);
    if (cutOff.length > 0) {
      pending.push(...(await journal.appendMany(cutOff)));
      for (const e of cutOff) if (e.type === 'oneshot-recovered') o.onNote?.({ type: 'oneshot_recovered', entry: e, address: state.services[e.service]?.address ?? e.service });
    }

    const executor = new StepExecutor({
      plan: pf.plan,
      compiled: pf.compiled,
      state,
      engine,
      journal,
      parallelism: o.parallelism,
      input: {
        // An answer is a line, as typed at a terminal: `read` in the oneshot needs its newline.
        answer: async (svc, step) => asLine(await o.answer(svc, step)),
      },
      onEvent: (ev) => o.onEvent(redactEvent(ev, pf)),
      onRecords: (records) => pending.push(...records),
      ...(o.stop ? { stop: o.stop } : {}),
      ...(o.interrupt ? { interrupt: o.interrupt } : {}),
    });

    let result: ApplyResult;
    try {
      result = await executor.run();
    } finally {
      clearTimeout(timer);
      await journal.close();
    }
    fold();
    if (result.outcome === 'ok' && o.recordLiveDb !== false && !pf.compiled) live.removeCompiled();
    return { ...result, failed: result.failed.map((f) => ({ ...f, error: redactMessage(f.error, serviceOf(pf, f.step.service)) })) };
  } finally {
    await engine.close();
  }
}

/**
 * The database being applied becomes the live one before any step runs, as s6-rc-update switches
 * databases before its transitions: bundles and definitions are looked up in it at run time (rcform
 * up/down, status, show compiled --live). state.json's compiled_hash names it only once an apply of
 * it completed, so a reader can tell an apply that did not. A --target plan applies only part of
 * its database: the live one is replaced only when there is none yet.
 */
function recordLiveDb(live: LiveDir, compiled: CompiledDb, bytes: Uint8Array | undefined, partial: boolean): void {
  if (partial && live.hasCompiled()) return;
  live.recordCompiled(bytes ? [bytes, '\n'] : serializeDb(compiled));
}

function serviceOf(pf: PlanFile, name: string): CompiledService | undefined {
  const c = pf.plan.resource_changes.find((x) => x.name === name);
  return c?.after ?? c?.before ?? pf.compiled?.services[name];
}

/** A step's error names what the engine tried (a program, an account): not a sensitive one. */
function redactEvent(ev: ApplyEvent, pf: PlanFile): ApplyEvent {
  if (ev.type !== 'step_end' || ev.error === undefined) return ev;
  return { ...ev, error: redactMessage(ev.error, serviceOf(pf, ev.step.service)) };
}

function asLine(answer: Buffer): Buffer {
  return Buffer.concat([answer, Buffer.from('\n')]);
}

/** A saved plan applies only to the exact live state it was made against. */
function checkFresh(pf: PlanFile, live: LiveDir): void {
  if (pf.live.source !== 'live-dir') throw new NotALiveDirPlanError(pf.live.source, pf.live.file ?? '--live-from');
  const { state, serial } = live.current();
  const stale = planStaleness(pf, { lineage: state.lineage, serial, journal_seq: state.journal_seq ?? 0 });
  if (stale) throw new UserError('conflict', stale);
}

/** A plan made against a file, not a live directory: there is nothing it could be applied to. */
export class NotALiveDirPlanError extends UserError {
  constructor(
    readonly source: 'state-file' | 'compiled-file',
    readonly file: string,
  ) {
    super('input', `this plan was made against ${source === 'state-file' ? 'a state file' : 'a compiled database'} (${file}), not a live directory`);
    this.name = 'NotALiveDirPlanError';
  }
}

function checkObserved(pf: PlanFile, now: Record<string, ServiceStatus>): void {
  const differences = observedMismatches(pf, now);
  if (differences.length > 0) {
    throw new UserError('conflict', `Saved plan is stale: the engine reports services in another state than when the plan was made (${differences.join('; ')}); nothing was changed, make a new plan`);
  }
}

/** The engine's room for what the plan installs (s6-svscan's -c), checked before any step runs. */
async function reserveRoom(pf: PlanFile, engine: Engine): Promise<void> {
  if (!engine.reserve) return;
  const installs = pf.plan.steps
    .filter((step) => step.action === 'install')
    .map((step) => pf.plan.resource_changes.find((c) => c.name === step.service)?.after ?? pf.compiled?.services[step.service])
    .filter((svc): svc is CompiledLongrun => svc?.type === 'longrun');
  if (installs.length === 0) return;
  try {
    await engine.reserve(installs);
  } catch (err) {
    throw new UserError('environment', `nothing was started: ${(err as Error).message}`, { cause: err });
  }
}

/** Something about one step that refuses the whole plan before anything starts. */
export interface StepProblem {
  address: string;
  step: PlanStep;
  problem: string;
}

/** Nothing was started: each problem names the service and the step it stopped at. */
export class PreflightError extends UserError {
  constructor(
    kind: 'input' | 'environment',
    readonly problems: readonly StepProblem[],
  ) {
    super(kind, `nothing was started: ${problems.map((p) => `${p.address} (step ${p.step.action}): ${p.problem}`).join('; ')}`);
    this.name = 'PreflightError';
  }
}

/**
 * Names that would lead a path out of its directory, from a compiled database or plan crafted
 * with its checksum recomputed: refused before the first step, on either engine, naming each.
 */
function preflightPaths(pf: PlanFile): void {
  const problems = new Map<string, StepProblem>();
  const add = (p: StepProblem): void => {
    const key = `${p.address}\0${p.step.action}\0${p.problem}`;
    if (!problems.has(key)) problems.set(key, p);
  };
  for (const step of pf.plan.steps) {
    const named = serviceNameProblem(step.service);
    if (named) add({ address: step.address, step, problem: named });
    const svc = pf.plan.resource_changes.find((c) => c.name === step.service)?.after ?? pf.compiled?.services[step.service];
    if (!svc) continue;
    for (const p of servicePathProblems(svc)) add({ address: svc.address ?? String(svc.name), step, problem: p });
  }
  if (problems.size > 0) throw new PreflightError('input', [...problems.values()]);
}

/**
 * An unknown user or group is an error before anything starts, naming the service and step;
 * checked by the engine, where the services run (not against this machine's passwd).
 */
async function preflightAccounts(pf: PlanFile, engine: Engine): Promise<void> {
  // Once per service, at its first step: install and start share the same account.
  const checked: { svc: CompiledService; step: PlanStep }[] = [];
  const seen = new Set<string>();
  for (const step of pf.plan.steps) {
    if (!['install', 'update', 'rename', 'start', 'oneshot_up', 'oneshot_down'].includes(step.action)) continue;
    const svc = pf.plan.resource_changes.find((c) => c.name === step.service)?.after ?? pf.compiled?.services[step.service];
    if (!svc || (svc.user === undefined && svc.group === undefined) || seen.has(svc.name)) continue;
    seen.add(svc.name);
    checked.push({ svc, step });
  }
  if (checked.length === 0) return;
  const answers = await engine.checkAccounts(checked.map(({ svc }) => ({ ...(svc.user !== undefined ? { user: svc.user } : {}), ...(svc.group !== undefined ? { group: svc.group } : {}) })));
  const problems = checked.flatMap(({ svc, step }, i): StepProblem[] => {
    const why = answers[i];
    return why ? [{ address: svc.address, step, problem: redactMessage(why, svc) }] : [];
  });
  if (problems.length > 0) throw new PreflightError('environment', problems);
}

/** The last lines a failed service wrote, for the summary. */
export async function lastLogLines(live: LiveDir, name: string, n = 10): Promise<string[]> {
  try {
    return (await serviceLog(live.root, live.readState().engine, name).tail(n)).map((l) => l.text);
  } catch {
    return [];
  }
}
