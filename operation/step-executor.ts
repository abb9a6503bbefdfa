import { setMaxListeners } from 'node:events';
import type { CompiledDb, CompiledOneshot, CompiledService } from '../lang/compile/compiled-db.js';
import type { DriftEntry, Plan, PlanStep, ResourceChange } from '../planner/plan-types.js';
import type { JournalWriter } from '../state/journal.js';
import type { JournalEntry, JournalRecord, ServiceChange } from '../state/journal-types.js';
import type { ServiceState, State } from '../state/state-types.js';
import { isRunning, observedStateOf } from '../state/run-state.js';
import type { ApplyEvent, ApplyResult, StepOutcome } from './apply-events.js';
import type { Engine } from '../engine/engine.js';

// Runs a plan's steps through an engine, exactly as planned: a step starts once every step it
// depends on has completed, up to `parallelism` at a time, as s6-rc runs transitions. Each step's
// end record is in the journal before any step that depends on it may start (fsync'd too when the
// step leaves something a machine crash would not erase: see PROCESS_ONLY), so after a crash the
// journal says exactly what was done. Nothing here decides what to do: the
// plan did. A failed step blocks only what depends on it; independent steps carry on.

/**
 * Steps whose whole effect is a process started, stopped or signalled. A machine crash ends every
 * process, so their records need no fsync of their own; the next durable record or the journal's
 * close covers them.
 */
const PROCESS_ONLY: ReadonlySet<PlanStep['action']> = new Set(['start', 'stop', 'reload']);

/** How long an interrupted start's stop may take when the service sets no timeout_down. */
const DEFAULT_STOP_MS = 10_000;

export interface OperatorInput {
  /** The answer for a oneshot with `input`, asked at its step (or taken from --input). */
  answer(svc: CompiledOneshot, step: PlanStep): Promise<string | Buffer>;
}

export interface ExecutorOptions {
  plan: Plan;
  /** The database being applied (null for a destroy plan). */
  compiled: CompiledDb | null;
  /** The state when the apply began, for the definitions of services being stopped or removed. */
  state: State;
  engine: Engine;
  journal: JournalWriter;
  parallelism: number;
  input: OperatorInput;
  onEvent(event: ApplyEvent): void;
  /** Every journal record once durable, in order; the caller folds them into state.json. */
  onRecords?(records: JournalRecord[]): void;
  /** Aborted: no new steps start; those in flight finish and are journalled (stopStartingNew). */
  stop?: AbortSignal;
  /** Aborted: the steps in flight are interrupted too (interruptInFlight). */
  interrupt?: AbortSignal;
}

export class StepExecutor {
  private readonly soft = new AbortController();
  private readonly hard = new AbortController();
  private readonly changeByName = new Map<string, ResourceChange>();
  /**
   * Whether each service runs, as the journal says so far. The state records what was done, not
   * what the plan will do: an install leaves a service down until its start completes, so an apply
   * that fails or is interrupted in between leaves no false "up" behind (which the next plan would
   * report as drift). A service's steps run one after another, so this is never read mid-change.
   */
  private readonly runs = new Map<string, 'up' | 'down'>();

  constructor(private readonly o: ExecutorOptions) {
    // Every step in flight listens on these (the engine's request, a oneshot's process), and
    // removes its listener when done: with --parallelism above 10, Node's leak warning would be
    // printed to the operator's stderr for nothing.
    setMaxListeners(0, this.soft.signal, this.hard.signal);
    for (const c of o.plan.resource_changes) {
      this.changeByName.set(c.name, c);
      if (c.previous_name) this.changeByName.set(c.previous_name, c);
    }
    for (const [name, ss] of Object.entries(o.state.services)) this.runs.set(name, ss.desired);
    for (const d of o.plan.drift) this.runs.set(d.name, desiredAfterRefresh(d));
  }

  /** First Ctrl-C: start nothing new; steps in flight finish. */
  stopStartingNew(): void {
    if (this.soft.signal.aborted) return;
    this.soft.abort(new Error('apply interrupted: no new steps are started'));
    this.o.onEvent({ type: 'interrupt', time: now(), mode: 'soft' });
  }

  /** Second Ctrl-C: interrupt the steps in flight too. */
  interruptInFlight(): void {
    this.stopStartingNew();
    if (this.hard.signal.aborted) return;
    this.hard.abort(new Error('interrupted by the operator'));
    this.o.onEvent({ type: 'interrupt', time: now(), mode: 'hard' });
  }

  async run(): Promise<ApplyResult> {
    // Either signal may have fired before the run began (a Ctrl-C at the confirmation's end).
    const onStop = (): void => this.stopStartingNew();
    const onInterrupt = (): void => this.interruptInFlight();
    this.o.stop?.addEventListener('abort', onStop);
    this.o.interrupt?.addEventListener('abort', onInterrupt);
    try {
      if (this.o.stop?.aborted) onStop();
      if (this.o.interrupt?.aborted) onInterrupt();
      return await this.runSteps();
    } finally {
      this.o.stop?.removeEventListener('abort', onStop);
      this.o.interrupt?.removeEventListener('abort', onInterrupt);
    }
  }

  private async runSteps(): Promise<ApplyResult> {
    const { plan, parallelism } = this.o;
    const steps = plan.steps;
    const index = new Map(steps.map((s, i) => [s.id, i]));
    const waitingOn = steps.map(() => 0);
    const dependents: number[][] = steps.map(() => []);
    for (const e of plan.edges) {
      const from = index.get(e.from);
      const to = index.get(e.to);
      if (from === undefined || to === undefined) throw new Error(`plan edge ${e.from} → ${e.to} names a step that does not exist`);
      waitingOn[to] = (waitingOn[to] as number) + 1;
      (dependents[from] as number[]).push(to);
    }

    const result: ApplyResult = { outcome: 'ok', done: [], failed: [], interrupted: [], notStarted: [] };
    const settled = new Array<boolean>(steps.length).fill(false);
    // Ready steps in plan order, so a run is as deterministic as the engine lets it be.
    const ready: number[] = [];
    for (let i = 0; i < steps.length; i++) if (waitingOn[i] === 0) ready.push(i);
    let running = 0;

    const skipFrom = (i: number, because: string): void => {
      const stack = [...(dependents[i] as number[])];
      while (stack.length) {
        const j = stack.pop() as number;
        if (settled[j]) continue;
        settled[j] = true;
        const step = steps[j] as PlanStep;
        result.notStarted.push(step);
        this.o.onEvent({ type: 'step_skipped', time: now(), step, because });
        stack.push(...(dependents[j] as number[]));
      }
    };

    this.o.onEvent({ type: 'apply_start', time: now(), apply_id: this.o.journal.applyId, steps: steps.length, parallelism });
    await this.record([
      { type: 'apply-start', lineage: this.o.state.lineage, base_serial: this.o.state.serial, compiled_hash: plan.compiled_hash, steps: steps.length },
      ...plan.drift.map((d) => refreshOf(d)),
    ]);

    await new Promise<void>((resolveAll) => {
      const pump = (): void => {
        while (running < parallelism && ready.length > 0 && !this.soft.signal.aborted) {
          const i = ready.shift() as number;
          running++;
          void this.runStep(steps[i] as PlanStep).then(({ outcome, error }) => {
            running--;
            settled[i] = true;
            const step = steps[i] as PlanStep;
            if (outcome === 'ok') {
              result.done.push(step);
              for (const j of dependents[i] as number[]) {
                waitingOn[j] = (waitingOn[j] as number) - 1;
                if (waitingOn[j] === 0 && !settled[j]) insertSorted(ready, j);
              }
            } else {
              if (outcome === 'failed') result.failed.push({ step, error: error ?? 'failed' });
              else result.interrupted.push(step);
              skipFrom(i, `${step.address} ${outcome === 'failed' ? 'failed' : 'was interrupted'}`);
            }
            pump();
          });
        }
        if (running === 0) resolveAll();
      };
      pump();
    });

    for (let i = 0; i < steps.length; i++) {
      if (settled[i]) continue;
      const step = steps[i] as PlanStep;
      result.notStarted.push(step);
      this.o.onEvent({ type: 'step_skipped', time: now(), step, because: 'the apply was interrupted' });
    }
    result.outcome = result.failed.length > 0 ? 'failed' : result.interrupted.length > 0 || result.notStarted.length > 0 ? 'interrupted' : 'ok';
    const allDone = result.outcome === 'ok';
    await this.record([
      {
        type: 'apply-end',
        outcome: result.outcome,
        ...(allDone ? { compiled_hash: this.o.plan.compiled_hash } : {}),
        done: result.done.length,
        failed: result.failed.length,
        not_started: result.notStarted.length + result.interrupted.length,
      },
    ]);
    this.o.onEvent({
      type: 'apply_end',
      time: now(),
      outcome: result.outcome,
      done: result.done.length,
      failed: result.failed.length,
      not_started: result.notStarted.length,
      interrupted: result.interrupted.length,
    });
    return result;
  }

  private async record(entries: Parameters<JournalWriter['appendMany']>[0], durable = true): Promise<void> {
    const records = await this.o.journal.appendMany(entries, { durable });
    this.o.onRecords?.(records);
  }

  private async runStep(step: PlanStep): Promise<{ outcome: StepOutcome; error?: string }> {
    const started = Date.now();
    // The journal names the service by the name it has when the step begins (a rename's old name).
    const service = step.from ?? step.service;
    this.o.onEvent({ type: 'step_start', time: now(), step });
    let outcome: StepOutcome = 'ok';
    let error: string | undefined;
    let change: ServiceChange | undefined;
    // The engine's request goes out first (execute runs up to its first wait), the start record
    // right after it, in the same turn: on a serial chain the supervisor is at work while the
    // record is written. The record is not waited for: only a completed step must be durable
    // before its dependents begin, and the end record's fsync (group commit, in seq order)
    // covers it too. A crash between the two leaves a change the next plan's refresh sees.
    // A oneshot's start record comes first, its process's record after it (recordSpawn): the
    // fold reads them in that order.
    const recordStart = (): Promise<void> => this.record([{ type: 'step-start', step_id: step.id, action: step.action, service }], false);
    const oneshot = step.action === 'oneshot_up' || step.action === 'oneshot_down';
    const early = oneshot ? recordStart() : undefined;
    const executing = this.execute(step);
    const startRecorded = early ?? recordStart();
    startRecorded.catch(() => undefined);
    try {
      change = await executing;
      await startRecorded;
      this.track(service, change);
    } catch (err) {
      outcome = this.hard.signal.aborted ? 'interrupted' : 'failed';
      error = oneLine((err as Error)?.message ?? String(err));
    }
    try {
      await this.record([
        {
          type: 'step-end',
          step_id: step.id,
          action: step.action,
          service,
          outcome,
          ...(error !== undefined ? { error } : {}),
          ...(outcome === 'ok' && change ? { change } : {}),
        },
      ], !PROCESS_ONLY.has(step.action));
    } catch (err) {
      // Without a durable end record nothing may build on this step: treat it as failed.
      outcome = 'failed';
      error = `the journal could not record the step: ${oneLine((err as Error).message)}`;
    }
    this.o.onEvent({ type: 'step_end', time: now(), step, outcome, duration_ms: Date.now() - started, ...(error !== undefined ? { error } : {}) });
    return error !== undefined ? { outcome, error } : { outcome };
  }

  /** Performs one step through the engine and returns how it changes the service's state entry. */
  private async execute(step: PlanStep): Promise<ServiceChange | undefined> {
    const { engine } = this.o;
    const signal = this.hard.signal;
    const transition = { timeoutMs: step.timeout_ms, signal };
    switch (step.action) {
      case 'install': {
        const svc = this.after(step);
        if (svc.type === 'longrun') await engine.install(svc);
        // Installed is not started: the start step, if the plan has one, records it up.
        return { op: 'put', entry: this.entryOf(svc, 'down') };
      }
      case 'update': {
        const svc = this.after(step);
        if (svc.type === 'longrun') await engine.update(svc);
        // An update changes no process: whether it runs is what the steps before it left.
        return { op: 'put', entry: this.entryOf(svc, this.runs.get(svc.name) ?? 'down') };
      }
      case 'rename': {
        const svc = this.after(step);
        const from = step.from as string;
        if (svc.type === 'longrun') await engine.rename(from, svc.name, svc);
        return { op: 'rename', to: svc.name, entry: this.entryOf(svc, this.runs.get(from) ?? 'down') };
      }
      case 'uninstall': {
        const svc = this.before(step);
        if (svc.type === 'longrun') await engine.uninstall(svc.name);
        return { op: 'remove' };
      }
      case 'start': {
        try {
          await engine.start(step.service, transition);
        } catch (err) {
          // Ctrl-C twice: an interrupted start is not left half done. Brought back down, as
          // s6-rc does when a start times out; otherwise the engine would hold it "starting",
          // wanted up, and the next plan would take it for one coming up and propose nothing.
          if (signal.aborted) await this.bringDown(step);
          throw err;
        }
        const svc = this.after(step);
        const ready = svc.type === 'longrun' && svc.notification_fd !== undefined;
        return { op: 'observe', observed: { state: ready ? 'ready' : 'up', at: now() }, desired: 'up' };
      }
      case 'stop': {
        await engine.stop(step.service, transition);
        // Down even when a start follows (a restart): until that start completes, it is down.
        return { op: 'observe', observed: { state: 'down', at: now() }, desired: 'down' };
      }
      case 'reload': {
        await engine.reload(step.service);
        return { op: 'observe', observed: { state: 'up', at: now() } };
      }
      case 'oneshot_up': {
        const svc = this.after(step);
        if (svc.type !== 'oneshot') throw new Error(`${step.id}: ${svc.address} is not a oneshot`);
        const input = svc.input ? await this.o.input.answer(svc, step) : undefined;
        await engine.runOneshot(svc, 'up', { timeoutMs: step.timeout_ms, signal, onSpawned: this.recordSpawn(step, 'up'), ...(input !== undefined ? { input } : {}) });
        await engine.setOneshotState(svc, true);
        return { op: 'observe', observed: { state: 'up', at: now() }, desired: 'up' };
      }
      case 'oneshot_down': {
        const svc = this.before(step);
        if (svc.type !== 'oneshot') throw new Error(`${step.id}: ${svc.address} is not a oneshot`);
        await engine.runOneshot(svc, 'down', { timeoutMs: step.timeout_ms, signal, onSpawned: this.recordSpawn(step, 'down') });
        await engine.setOneshotState(svc, false);
        return { op: 'observe', observed: { state: 'down', at: now() }, desired: 'down' };
      }
    }
  }

  /**
   * The journal's note of a oneshot's process, so that the apply after a crash of this one can
   * stop what is left of it before it runs it again. Not waited for: the step's end record
   * follows it in seq order, and a crash before either leaves the run recorded as begun.
   */
  private recordSpawn(step: PlanStep, direction: 'up' | 'down'): (pid: number, starttime?: number) => void {
    return (pid, starttime) => {
      this.record([{ type: 'oneshot-spawned', step_id: step.id, service: step.from ?? step.service, direction, pid, ...(starttime !== undefined ? { starttime } : {}) }], false).catch(() => undefined);
    };
  }

  /** Stops a service whose start was interrupted; what it cannot stop, it leaves to the next plan. */
  private async bringDown(step: PlanStep): Promise<void> {
    let limit = DEFAULT_STOP_MS;
    try {
      const svc = this.after(step);
      if (svc.type === 'longrun' && svc.timeouts.down_ms > 0) limit = svc.timeouts.down_ms;
    } catch {
      // no definition: the default limit
    }
    await this.o.engine.stop(step.service, { timeoutMs: limit }).catch(() => undefined);
  }

  /** The definition a step installs or starts: from the compiled database being applied. */
  private after(step: PlanStep): CompiledService {
    const svc = this.changeByName.get(step.service)?.after ?? this.o.compiled?.services[step.service];
    if (!svc) throw new Error(`${step.id}: the plan has no definition for ${step.address}`);
    return svc;
  }

  /** The definition a step stops or removes: as it was installed. */
  private before(step: PlanStep): CompiledService {
    const c = this.changeByName.get(step.service);
    const svc = (c && c.name === step.service ? c.before : undefined) ?? this.o.state.services[step.service]?.definition ?? c?.before;
    if (!svc) throw new Error(`${step.id}: the state has no definition for ${step.address}`);
    return svc;
  }

  /** Keeps `runs` in step with a completed step's change, as the fold will apply it. */
  private track(service: string, change: ServiceChange | undefined): void {
    if (!change) return;
    switch (change.op) {
      case 'put':
        this.runs.set(service, change.entry.desired);
        return;
      case 'remove':
        this.runs.delete(service);
        return;
      case 'rename': {
        const runs = change.entry?.desired ?? this.runs.get(service);
        this.runs.delete(service);
        if (runs) this.runs.set(change.to, runs);
        return;
      }
      case 'observe':
        if (change.desired) this.runs.set(service, change.desired);
        return;
    }
  }

  private entryOf(svc: CompiledService, desired: 'up' | 'down'): ServiceState {
    // No observation: the fold keeps the entry's latest one (state/journal-fold.ts).
    return {
      address: svc.address,
      type: svc.type,
      definition: svc,
      definition_hash: svc.definition_hash,
      desired,
    };
  }
}

/** The state a drifted service really is in, as the plan's refresh saw it (checked fresh by apply). */
function refreshOf(d: DriftEntry): JournalEntry {
  return { type: 'refresh', service: d.name, change: { op: 'observe', observed: { state: observedStateOf(d.observed), at: now() }, desired: desiredAfterRefresh(d) } };
}

/**
 * What the state records as wanted for a drifted service: what runs. A service starting and not
 * ready keeps what was recorded, as an install is recorded down until its start completes: its
 * start step records it up once ready, and a start that fails or is interrupted leaves no false "up".
 */
function desiredAfterRefresh(d: DriftEntry): 'up' | 'down' {
  if (d.observed === 'starting') return d.recorded;
  return isRunning(d.observed) ? 'up' : 'down';
}

function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}

function now(): string {
  return new Date().toISOString();
}


