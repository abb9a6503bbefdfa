import fs from 'node:fs';
import path from 'node:path';
import type { FlagSpec } from '../args.js';
import { CliError, flagBool, flagList, flagString, write, type Command, type CommandContext } from '../command.js';
import { SOURCE_FLAGS } from '../source-flags.js';
import { compiledJsonOf, readCompiledDb } from '../compiled-db-file.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, liveDirOf, lockLive } from '../live-flags.js';
import { readLiveFrom } from '../live-from.js';
import { INPUT_ACCEPTED_FLAG } from '../operator-input.js';
import { renderPlan, VIEW_FLAGS } from '../plan-flags.js';
import { writePlanFile } from '../plan-file-io.js';
import { rcformVersion } from '../version.js';
import { logInfo } from '../log.js';
import { holdYoungGeneration } from '../young-generation.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import type { ServiceStatus } from '../../engine/engine.js';
import { DiagnosticsError } from '../../lang/diagnostic.js';
import { plan as makePlan } from '../../planner/plan/plan.js';
import { PLAN_FILE_FORMAT_VERSION, touchedServices, type LiveRef, type PlanFile } from '../../planner/plan-file.js';
import type { Plan } from '../../planner/plan-types.js';
import { totalChanges } from '../../planner/summary.js';
import { readJournal } from '../../state/journal.js';
import { foldJournal } from '../../state/journal-fold.js';
import { readState } from '../../state/state-file.js';
import type { EngineConfig, SourceIdentity, State } from '../../state/state-types.js';

// `rcform plan`: compile (or read) the desired database, read the live state under the lock —
// refreshed from the engine, so drift shows — and print the plan. With --out the plan is saved for
// `rcform apply FILE`, which executes exactly it.

export const ALLOW_OTHER_SOURCE_FLAG: FlagSpec = {
  name: 'allow-other-source',
  type: 'boolean',
  description: 'Plan this source against a live directory last applied from another one (apply then records this one)',
};

export const planCommand: Command = {
  name: 'plan',
  // With --out a plan file is written after the plan is printed: that must not be cut short.
  readOnly: (flags) => flags['out'] === undefined,
  summary: 'Show what apply would change: the compiled source against the live services',
  description: `Compiles the services in DIR (default: the current directory), or reads --compiled FILE,
and compares them with the live state, refreshed from the engine. Each change says why it happens.

--live-from FILE plans against a file instead of a live directory: the output of
"rcform state pull", or an older compiled database (meaning "live is exactly that"), with no
engine — for CI, where there is no live machine.

A live directory remembers the source directory last applied to it: planning another directory
against it (a second project sharing the default live directory would remove the first one's
services) is refused unless --allow-other-source is given.

-refresh-only shows only drift: what the engine reports that the live state does not record
(a service that died, one stopped by hand), with no changes planned to the services, whatever
the source says. With -detailed-exitcode it exits 2 when there is drift: a check for cron or CI.

Exit status: 0 success, 1 error; with -detailed-exitcode, 0 no changes, 1 error, 2 changes (or,
with -refresh-only, drift).`,
  args: [{ name: 'DIR', optional: true }],
  flags: [
    ...SOURCE_FLAGS,
    { name: 'compiled', type: 'string', valueName: 'FILE', description: 'Plan from a compiled database instead of compiling DIR' },
    { name: 'out', type: 'string', valueName: 'FILE', description: 'Save the plan for "rcform apply FILE" (written mode 0600)' },
    ...VIEW_FLAGS,
    { name: 'detailed-exitcode', type: 'boolean', description: 'Exit 0 when there are no changes, 2 when there are, 1 on error' },
    { name: 'replace', type: 'list', valueName: 'ADDRESS', description: 'Restart this service (and what depends on it) even if unchanged; repeatable' },
    { name: 'target', type: 'list', valueName: 'ADDRESS', description: 'Limit the plan to this service and what it needs; repeatable' },
    { name: 'destroy', type: 'boolean', description: 'Plan to stop and remove every service' },
    { name: 'refresh', type: 'boolean', default: true, description: 'Ask the engine what runs (--refresh=false trusts the state)' },
    { name: 'refresh-only', type: 'boolean', description: 'Show only drift (what the engine reports that the state does not record); plan no changes' },
    { name: 'allow-essential', type: 'boolean', description: 'Allow the plan to stop or restart essential services' },
    ALLOW_OTHER_SOURCE_FLAG,
    LIVE_FLAG,
    { name: 'live-from', type: 'string', valueName: 'FILE', description: 'Plan against a state file (rcform state pull) or an older compiled database, without an engine' },
    LOCK_FLAG,
    LOCK_TIMEOUT_FLAG,
    INPUT_ACCEPTED_FLAG,
  ],
  async run(ctx) {
    const release = holdYoungGeneration();
    try {
      return await planRun(ctx);
    } finally {
      release();
    }
  },
};

/** The command itself; `run` holds the young generation around it. */
async function planRun(ctx: CommandContext): Promise<number> {
  const destroy = flagBool(ctx, 'destroy');
  const refreshOnly = flagBool(ctx, 'refresh-only');
  if (refreshOnly) refreshOnlyAllowed(ctx);
  const compiled = await desiredDb(ctx, destroy);
  const refresh = ctx.flags['refresh'] !== false;
  const live = await readLive(ctx, refresh);

  const full = planFromFlags(ctx, compiled, live, destroy);
  const plan = refreshOnly ? driftOnly(full) : full;

  ctx.io.stdout.write(renderPlan(ctx, plan, { refreshOnly }));

  const out = flagString(ctx, 'out');
  const human = !flagBool(ctx, 'json') && !flagBool(ctx, 'markdown');
  if (refreshOnly) return flagBool(ctx, 'detailed-exitcode') && plan.drift.length > 0 ? 2 : 0;
  if (!out && human && (totalChanges(plan.summary) > 0 || plan.steps.length > 0)) {
    // Terraform's note: without a saved plan, apply plans again and may do something else.
    write(ctx.io.stdout, `\n${UNSAVED_NOTE}`);
  }
  if (out) {
    const file = path.resolve(ctx.io.cwd, out);
    writePlanFile(file, planFileOf(plan, compiled, live, sourceOf(ctx, destroy)), compiledJsonOf(compiled));
    if (!flagBool(ctx, 'json') && !flagBool(ctx, 'markdown')) {
      write(ctx.io.stdout, `\nSaved the plan to: ${out}\n\nTo perform exactly these actions, run:\n    rcform apply ${out}`);
    }
  }
  const changed = totalChanges(plan.summary) > 0 || plan.steps.length > 0;
  return flagBool(ctx, 'detailed-exitcode') && changed ? 2 : 0;
}

/** After a plan with changes that was not saved (Terraform's note after a plan without -out). */
export const UNSAVED_NOTE = `Note: you didn't use the --out option to save this plan, so rcform can't guarantee to take exactly these actions if you run "rcform apply" now. Run the same plan with --out FILE to save it; "rcform apply FILE" then executes exactly it.`;

/** -refresh-only looks at drift alone: nothing to write or apply, and no other mode to mix with. */
function refreshOnlyAllowed(ctx: CommandContext): void {
  const clash = (['destroy', 'out', 'live-from', 'compiled'] as const).find((f) => ctx.flags[f] !== undefined && ctx.flags[f] !== false);
  if (clash) throw new CliError(`-refresh-only cannot be used with --${clash}: it shows drift only, against the live directory's engine, and saves no plan`);
  if (ctx.flags['refresh'] === false) throw new CliError('-refresh-only needs the refresh: it cannot be used with --refresh=false');
  if (flagList(ctx, 'replace').length > 0 || flagList(ctx, 'target').length > 0) throw new CliError('-refresh-only plans no changes, so --replace and --target do not apply to it');
}

/** The plan with its changes taken out: the drift the refresh found, and nothing to do about it. */
function driftOnly(plan: Plan): Plan {
  const summary = Object.fromEntries(Object.keys(plan.summary).map((k) => [k, 0])) as unknown as Plan['summary'];
  return { ...plan, resource_changes: [], summary, steps: [], edges: [] };
}

/** The source directory the command plans, as recorded in the state; undefined for --compiled and a destroy without DIR. */
export function sourceOf(ctx: CommandContext, destroy: boolean): SourceIdentity | undefined {
  if (flagString(ctx, 'compiled') !== undefined) return undefined;
  const dir = ctx.positionals[0];
  if (destroy && dir === undefined) return undefined;
  const abs = path.resolve(ctx.io.cwd, dir ?? '.');
  try {
    return { dir: fs.realpathSync(abs) };
  } catch {
    return { dir: abs };
  }
}

/**
 * Two projects on one machine share the default live directory unless told otherwise; the plan of
 * one against the other's would remove every service the other installed. A live directory that
 * records another source, and still has services, is refused unless the operator asks for it.
 */
function checkSource(ctx: CommandContext, live: LiveRead, source: SourceIdentity | undefined): void {
  const recorded = live.state.source;
  if (!source || !recorded || recorded.dir === source.dir || live.ref.source !== 'live-dir') return;
  if (Object.keys(live.state.services).length === 0 || flagBool(ctx, 'allow-other-source')) return;
  const n = Object.keys(live.state.services).length;
  throw new CliError(
    `the live directory ${live.ref.live_dir} was applied from ${recorded.dir}, not from ${source.dir}: planning this source against it would ` +
      `treat its ${n === 1 ? 'service' : `${n} services`} as yours. Give this project a live directory of its own (--live DIR or RCFORM_LIVE), ` +
      'or pass --allow-other-source to plan it against this one anyway',
  );
}

/** The plan for `compiled` against `live`, with the options the command's flags give (plan, apply, destroy). */
export function planFromFlags(ctx: CommandContext, compiled: CompiledDb | null, live: LiveRead, destroy: boolean): Plan {
  checkSource(ctx, live, sourceOf(ctx, destroy));
  const refresh = ctx.flags['refresh'] !== false;
  const started = performance.now();
  const { plan, diagnostics } = makePlan({
    compiled,
    state: live.state,
    observed: live.observed,
    now: new Date().toISOString(),
    options: {
      replace: flagList(ctx, 'replace'),
      target: flagList(ctx, 'target'),
      destroy,
      refresh: refresh && live.observed !== null,
      allow_essential: flagBool(ctx, 'allow-essential'),
    },
  });
  if (!plan) throw new DiagnosticsError(diagnostics);
  logInfo(`planned ${plan.resource_changes.length} changes in ${plan.steps.length} steps, ${plan.drift.length} drifted, in ${(performance.now() - started).toFixed(0)} ms`);
  return plan;
}

export async function desiredDb(ctx: CommandContext, destroy: boolean): Promise<CompiledDb | null> {
  const file = flagString(ctx, 'compiled');
  const dir = ctx.positionals[0];
  if (file && dir) throw new CliError('give either DIR or --compiled FILE, not both');
  if (file) return readCompiledDb(path.resolve(ctx.io.cwd, file));
  if (destroy && !dir) return null;
  // The language and the engines are loaded when used: a plan from a compiled database against a
  // pulled state (a CI review) needs neither, and they are half the modules plan would load.
  const { compileDir } = await import('../compile-source.js');
  return compileDir(ctx, path.resolve(ctx.io.cwd, dir ?? '.'));
}

export interface LiveRead {
  state: State;
  observed: Record<string, ServiceStatus> | null;
  ref: LiveRef;
  engine: EngineConfig | null;
}

/** The live state, read under the lock; the engine is asked while the lock is held so the two agree. */
async function readLive(ctx: CommandContext, refresh: boolean): Promise<LiveRead> {
  const from = flagString(ctx, 'live-from');
  if (from) {
    if (flagString(ctx, 'live')) throw new CliError('give either --live DIR or --live-from FILE, not both');
    const file = path.resolve(ctx.io.cwd, from);
    const { state, kind } = readLiveFrom(file);
    return { state, observed: null, engine: null, ref: { source: kind, file, lineage: state.lineage, serial: state.serial, compiled_hash: state.compiled_hash } };
  }
  const liveDir = liveDirOf(ctx);
  const lock = await lockLive(ctx, liveDir, 'plan');
  try {
    return await readLiveLocked(ctx, liveDir, refresh);
  } finally {
    lock?.release();
  }
}

/**
 * The live state of `liveDir`, for a caller that holds its lock: state.json with any journal
 * records it does not show yet folded in (in memory: plan never writes), and the engine's status.
 * The plan records the serial and the journal position it saw, so apply can tell it is fresh.
 */
export async function readLiveLocked(ctx: CommandContext, liveDir: string, refresh: boolean, command: 'plan' | 'apply' = 'plan'): Promise<LiveRead> {
  const onDisk = readState(liveDir);
  const { records, problems } = readJournal(liveDir, onDisk.journal_seq ?? 0);
  for (const p of problems) write(ctx.io.stderr, `Warning: ${p.message}`);
  const state = foldJournal(onDisk, records);
  const observed = refresh ? await (await import('../../operation/refresh.js')).observeEngine(liveDir, state, command) : null;
  return {
    state,
    observed,
    engine: state.engine,
    ref: {
      source: 'live-dir',
      live_dir: liveDir,
      lineage: state.lineage,
      serial: onDisk.serial,
      journal_seq: state.journal_seq ?? 0,
      compiled_hash: state.compiled_hash,
    },
  };
}

export function planFileOf(plan: Plan, compiled: CompiledDb | null, live: LiveRead, source?: SourceIdentity): PlanFile {
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
    rcform_version: rcformVersion(),
    created_at: new Date().toISOString(),
    compiled,
    live: live.ref,
    engine: live.engine,
    observed: { source: live.observed ? 'engine' : 'state', services },
    ...(source ? { source } : {}),
    plan,
  };
}

