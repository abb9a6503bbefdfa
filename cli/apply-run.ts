import fs from 'node:fs';
import { CliError, write, type CommandContext } from './command.js';
import { compiledJsonOf } from './compiled-db-file.js';
import { serializeDb } from '../lang/compile/compile.js';
import { engineNotRunning } from './refresh.js';
import type { ApplyView } from './views/apply-view.js';
import { stepVerb } from './views/apply-words.js';
import { redactMessage } from '../lang/redact.js';
import type { ApplyEvent, ApplyResult } from '../engine/apply-events.js';
import { EngineNotRunningError, type Engine, type ServiceStatus } from '../engine/engine.js';
import type { CompiledDb, CompiledLongrun, CompiledService } from '../lang/compile/compiled-db.js';
import { serviceNameProblem, servicePathProblems } from '../engine/safe-names.js';
import { openEngine, serviceLog } from '../engine/open-engine.js';
import { StepExecutor } from '../engine/step-executor.js';
import type { PlanFile } from '../planner/plan-file.js';
import { observedMismatches, planStaleness } from '../planner/plan-file.js';
import { readJournal, JournalWriter } from '../state/journal.js';
import { foldJournal } from '../state/journal-fold.js';
import type { JournalRecord } from '../state/journal-types.js';
import { recoverState } from '../state/recover.js';
import { atomicWriteFileSync } from '../state/atomic-write.js';
import { liveLayout } from '../state/live-dir.js';
import { cutOffText, stopCutOffOneshots } from '../engine/oneshot-recovery.js';
import { readState, writeState } from '../state/state-file.js';
import type { State } from '../state/state-types.js';
import { UserError } from '../lang/user-error.js';

// The part of apply that runs with the state lock held: check that the plan still describes the
// live directory, then execute exactly its steps and keep state.json in step with the journal.

/**
 * How often the journal is folded into state.json while steps run (and once at the end): every
 * 2 seconds at most, and never more than 1/FOLD_SHARE of the time. A fold rewrites the whole
 * state with the event loop blocked (docs/benchmarks.md, "Figures behind the code"), so with a
 * fixed interval a long dependency chain would wait that long every 2 seconds. The journal
 * holds every record meanwhile; the fold only keeps state.json close behind it.
 */
const FOLD_INTERVAL_MS = 2000;
const FOLD_SHARE = 100;

export interface ExecuteOptions {
  ctx: CommandContext;
  liveDir: string;
  planFile: PlanFile;
  /** Refuse a plan whose lineage, serial or journal position no longer match (saved plans). */
  checkFresh: boolean;
  view: ApplyView;
  parallelism: number;
  answers: Map<string, Buffer>;
  /**
   * Make the plan's compiled database the live one (default; see recordLiveDb). Off for
   * `rcform up`/`down`, whose plans are made from the installed definitions, not from a database.
   */
  recordLiveDb?: boolean;
}

export async function executePlan(o: ExecuteOptions): Promise<ApplyResult> {
  const { planFile: pf, liveDir } = o;
  if (o.checkFresh) checkFresh(pf, liveDir);
  let state: State = recoverState(liveDir).state;
  if (pf.engine && pf.engine.kind !== state.engine.kind) {
    throw new CliError(`the plan was made for the ${pf.engine.kind} engine, but ${liveDir} uses ${state.engine.kind}; make a new plan`);
  }
  preflightPaths(pf);

  let engine: Engine;
  // A fresh live directory's engine is started here: it has nothing to bring back. One whose state
  // holds services is not: started now, it would bring back every service that was up, behind a
  // plan that was made without knowing (refresh refuses then too, see cli/refresh.ts).
  const fresh = Object.keys(state.services).length === 0;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: fresh });
  } catch (err) {
    if (err instanceof EngineNotRunningError && !fresh) throw engineNotRunning(liveDir, state, 'apply');
    // An engine's own error states its fact, and the CLI's hint for it is added where it is printed.
    if (err instanceof UserError) throw err;
    throw new CliError(`cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`);
  }
  try {
    if (o.checkFresh && pf.observed.source === 'engine') checkObserved(pf, await engine.status());
    await preflightAccounts(pf, engine);
    await reserveRoom(pf, engine);

    // Recorded before any step: after a partial apply the live directory already holds services
    // of this source, and the next plan of it must not need --allow-other-source.
    if (pf.source && state.source?.dir !== pf.source.dir && pf.plan.resource_changes.length > 0) state = writeState(liveDir, { ...state, source: pf.source });
    if (o.recordLiveDb !== false && pf.compiled) recordLiveDb(liveDir, pf.compiled, pf.plan.options.target.length > 0);
    const journal = await JournalWriter.open(liveDir, { foldedSeq: state.journal_seq ?? 0 });
    let pending: JournalRecord[] = [];
    const fold = (): void => {
      if (pending.length === 0) return;
      const next = foldJournal(state, pending);
      pending = [];
      state = writeState(liveDir, next);
    };
    let timer: NodeJS.Timeout | undefined;
    const schedule = (after: number): void => {
      timer = setTimeout(() => {
        const t0 = performance.now();
        try {
          fold();
        } catch (err) {
          // The journal still holds every record; the next fold (or recovery) catches up.
          write(o.ctx.io.stderr, `Warning: could not update state.json: ${(err as Error).message}`);
        }
        schedule(Math.max(FOLD_INTERVAL_MS, FOLD_SHARE * (performance.now() - t0)));
      }, after);
    };
    schedule(FOLD_INTERVAL_MS);

    // Before any step: what a crashed apply left of its oneshots' runs is stopped, and recorded.
    const cutOff = await stopCutOffOneshots(state, journal.applyId, engine);
    if (cutOff.length > 0) {
      pending.push(...(await journal.appendMany(cutOff)));
      for (const e of cutOff) if (e.type === 'oneshot-recovered') write(o.ctx.io.stderr, `Note: ${cutOffText(e, state.services[e.service]?.address ?? e.service)}`);
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
        answer: async (svc, step) => asLine(o.answers.get(svc.name) ?? (await o.view.ask(svc, step))),
      },
      onEvent: (ev) => o.view.event(redactEvent(ev, pf)),
      onRecords: (records) => pending.push(...records),
    });

    // Ctrl-C once: start nothing new; twice: interrupt what runs. SIGTERM interrupts at once.
    let interrupts = 0;
    const onInt = (): void => {
      interrupts++;
      if (interrupts === 1) executor.stopStartingNew();
      else executor.interruptInFlight();
    };
    const onTerm = (): void => executor.interruptInFlight();
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    o.view.onInterrupt?.(onInt);
    let result: ApplyResult;
    try {
      result = await executor.run();
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearTimeout(timer);
      await journal.close();
    }
    fold();
    if (result.outcome === 'ok' && o.recordLiveDb !== false && !pf.compiled) fs.rmSync(liveLayout(liveDir).compiled, { force: true });
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
function recordLiveDb(liveDir: string, compiled: CompiledDb, partial: boolean): void {
  const file = liveLayout(liveDir).compiled;
  if (partial && fs.existsSync(file)) return;
  const bytes = compiledJsonOf(compiled);
  atomicWriteFileSync(file, bytes ? [bytes, '\n'] : serializeDb(compiled), { policy: 'durable' });
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
function checkFresh(pf: PlanFile, liveDir: string): void {
  if (pf.live.source !== 'live-dir') {
    const what = pf.live.source === 'state-file' ? 'a state file' : 'a compiled database';
    throw new CliError(`this plan was made against ${what} (${pf.live.file ?? '--live-from'}), not a live directory: it can be reviewed with "rcform show", not applied`);
  }
  const onDisk = readState(liveDir);
  const { records } = readJournal(liveDir, onDisk.journal_seq ?? 0);
  const folded = foldJournal(onDisk, records);
  const stale = planStaleness(pf, { lineage: onDisk.lineage, serial: onDisk.serial, journal_seq: folded.journal_seq ?? 0 });
  if (stale) throw new CliError(stale);
}

function checkObserved(pf: PlanFile, now: Record<string, ServiceStatus>): void {
  const differences = observedMismatches(pf, now);
  if (differences.length > 0) {
    throw new CliError(`Saved plan is stale: the engine reports services in another state than when the plan was made (${differences.join('; ')}); nothing was changed, make a new plan`);
  }
}

/** An unknown user or group is an error before anything starts, naming the service and step. */
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
    throw new CliError(`nothing was started: ${(err as Error).message}`);
  }
}

/**
 * Names that would lead a path out of its directory, from a compiled database or plan crafted
 * with its checksum recomputed: refused before the first step, on either engine, naming each.
 */
function preflightPaths(pf: PlanFile): void {
  const problems = new Set<string>();
  for (const step of pf.plan.steps) {
    const named = serviceNameProblem(step.service);
    if (named) problems.add(`${step.address} (step ${stepVerb(step)}): ${named}`);
    const svc = pf.plan.resource_changes.find((c) => c.name === step.service)?.after ?? pf.compiled?.services[step.service];
    if (!svc) continue;
    for (const p of servicePathProblems(svc)) problems.add(`${svc.address ?? String(svc.name)} (step ${stepVerb(step)}): ${p}`);
  }
  if (problems.size > 0) throw new CliError(`nothing was started: ${[...problems].join('; ')}`);
}

/** Checked by the engine, where the services run (not against this machine's passwd). */
async function preflightAccounts(pf: PlanFile, engine: Engine): Promise<void> {
  // Once per service, at its first step: install and start share the same account.
  const checked: { svc: CompiledService; step: PlanFile['plan']['steps'][number] }[] = [];
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
  const problems = checked.flatMap(({ svc, step }, i) => {
    const why = answers[i];
    return why ? [`${svc.address} (step ${stepVerb(step)}): ${redactMessage(why, svc)}`] : [];
  });
  if (problems.length > 0) throw new CliError(`nothing was started: ${problems.join('; ')}`);
}

/** The last lines a failed service wrote, for the summary. */
export async function lastLogLines(liveDir: string, state: State, name: string, n = 10): Promise<string[]> {
  try {
    return (await serviceLog(liveDir, state.engine, name).tail(n)).map((l) => l.text);
  } catch {
    return [];
  }
}
