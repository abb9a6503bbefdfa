import path from 'node:path';
import { CliError, flagBool, flagString, type Command, type CommandContext } from '../command.js';
import { SOURCE_FLAGS } from '../source-flags.js';
import { readCompiledDb } from '../compiled-db-file.js';
import { compileDir } from '../compile-source.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, liveDirOf, readLiveState } from '../live-flags.js';
import { readLiveFrom } from '../live-from.js';
import { painter, renderBody } from '../views/plan-human.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { DiagnosticsError } from '../../lang/diagnostic.js';
import { plan as makePlan, type PlanInput } from '../../planner/plan/plan.js';
import type { DriftEntry, Plan, ResourceChange } from '../../planner/plan-types.js';
import { EngineNotRunningError, type ServiceStatus } from '../../engine/engine.js';
import { defaultEngineConfig, engineProcessOf, openEngine } from '../../engine/open-engine.js';
import { stateFromCompiled } from '../../planner/state-from-compiled.js';
import type { State } from '../../state/state-types.js';
import { append } from '../../lang/append.js';
import { redactPaths } from '../../lang/redact.js';
import { UserError } from '../../lang/user-error.js';

// `rcform diff`: two short answers for a terminal. Is the compiled database current with the
// source (which services differ, with their diffs)? And how does the live state differ from the
// compiled database (what an apply would change, by service, without the step-by-step plan)?

export const diffCommand: Command = {
  name: 'diff',
  readOnly: true,
  summary: 'Is the compiled database current with the source, and how does live differ from it?',
  description: `With DIR and --compiled FILE: the services whose definitions differ between the source and
the compiled file, with diffs, then how the live state differs from the compiled file (what
"rcform apply --compiled FILE" would make it). With only --compiled FILE (or only DIR): how the
live state differs from it. Definitions only: restarts of unchanged dependents, run states and
what an apply would do about them are "rcform plan"'s business; but drift, a service the engine
reports otherwise than the state records (stopped by hand, crashed, unknown to the engine), is
reported, since the live state does not match while services differ.

--exit-code: exit 1 when anything differs, like "git diff --exit-code".`,
  args: [{ name: 'DIR', optional: true }],
  flags: [
    ...SOURCE_FLAGS,
    { name: 'compiled', type: 'string', valueName: 'FILE', description: 'The compiled database to compare' },
    { name: 'exit-code', type: 'boolean', description: 'Exit 1 when anything differs' },
    LIVE_FLAG,
    { name: 'live-from', type: 'string', valueName: 'FILE', description: 'Compare against a state file (rcform state pull) or an older compiled database instead of the live directory' },
    LOCK_FLAG,
    LOCK_TIMEOUT_FLAG,
  ],
  async run(ctx) {
    const p = painter(ctx.io.color);
    const file = flagString(ctx, 'compiled');
    const dir = ctx.positionals[0];
    if (!file && dir === undefined) throw new CliError('give DIR, --compiled FILE, or both');
    const fileDb = file ? readCompiledDb(path.resolve(ctx.io.cwd, file)) : undefined;
    const srcDb = dir !== undefined ? await compileDir(ctx, path.resolve(ctx.io.cwd, dir)) : undefined;
    const out: string[] = [];
    let differs = false;

    if (fileDb && srcDb) {
      const changes = definitionChanges(srcDb, stateFromCompiled(fileDb, defaultEngineConfig()));
      if (srcDb.hash === fileDb.hash || changes.length === 0) {
        out.push(`${file} is current with ${dir} (hash ${fileDb.hash.slice(0, 12)}).`);
      } else {
        differs = true;
        out.push(p('bold', `${file} is not current with ${dir}: ${count(changes.length)} ${changes.length === 1 ? 'differs' : 'differ'}. Compile again to update it.`));
        for (const c of changes) append(out, describe(c, 'source', 'compiled file', p));
      }
      out.push('');
    }

    // The compiled file is what gets installed (s6-rc's model: live runs a compiled database), so
    // when both are given the live state is compared with it; the source is only compared with it.
    const target = (fileDb ?? srcDb) as CompiledDb;
    const targetName = fileDb ? file : dir;
    const live = await liveSide(ctx);
    const changes = definitionChanges(target, live.state);
    const drift = live.observed ? driftOf(target, live.state, live.observed) : [];
    if (changes.length === 0 && drift.length === 0) {
      out.push(`The live state (${live.name}) matches ${targetName}.`);
      if (live.unobserved) out.push(`Run states were not compared: ${live.unobserved}.`);
    } else if (changes.length === 0) {
      out.push(`The live state (${live.name}) has the definitions of ${targetName}.`);
    } else {
      differs = true;
      out.push(p('bold', `The live state (${live.name}) differs from ${targetName}: ${count(changes.length)}.`));
      for (const c of changes) append(out, describe(c, targetName as string, 'live', p));
    }
    if (drift.length > 0) {
      differs = true;
      if (changes.length > 0) out.push('');
      out.push(p('bold', `The engine reports ${count(drift.length)} otherwise than the live state records (drift):`));
      for (const d of drift) out.push(`  ${p('yellow', '!')} ${d.address}: ${d.detail}`);
    }
    if (changes.length > 0 || drift.length > 0) out.push('', 'Run "rcform plan" for what apply would do about it, and why.');
    ctx.io.stdout.write(out.join('\n') + '\n');
    return flagBool(ctx, 'exit-code') && differs ? 1 : 0;
  },
};

function count(n: number): string {
  return n === 1 ? '1 service' : `${n} services`;
}

interface LiveSide {
  state: State;
  name: string;
  /** What the engine reports, when it could be asked. */
  observed: Record<string, ServiceStatus> | null;
  /** Why the engine was not asked, for a live directory whose engine is not running. */
  unobserved?: string;
}

async function liveSide(ctx: CommandContext): Promise<LiveSide> {
  const from = flagString(ctx, 'live-from');
  if (from) return { state: readLiveFrom(path.resolve(ctx.io.cwd, from)).state, name: from, observed: null };
  const liveDir = liveDirOf(ctx);
  const state = await readLiveState(ctx, 'diff');
  const name = `${liveDir}, serial ${state.serial}`;
  if (Object.keys(state.services).length === 0) return { state, name, observed: {} };
  // Asked without starting anything: a stopped engine leaves the definitions to compare.
  let engine;
  try {
    engine = await openEngine(liveDir, state.engine, { autostart: false });
  } catch (err) {
    if (err instanceof EngineNotRunningError) return { state, name, observed: null, unobserved: `${engineProcessOf(liveDir, state.engine).name} is not running` };
    // An engine's own error states its fact, and the CLI's hint for it is added where it is printed.
    if (err instanceof UserError) throw err;
    throw new CliError(`cannot reach the ${state.engine.kind} engine of ${liveDir}: ${(err as Error).message}`);
  }
  try {
    return { state, name, observed: await engine.status() };
  } finally {
    await engine.close();
  }
}

/** Services whose run state the engine reports otherwise than the state records. */
function driftOf(compiled: CompiledDb, state: State, observed: Record<string, ServiceStatus>): DriftEntry[] {
  return planned({ compiled, state, observed, options: { refresh: true, allow_essential: true } }).drift;
}

/**
 * Services whose definitions differ: only on one side, renamed, or with changed fields (`down`
 * among them); run state is not considered. The planner also lists services it would restart or
 * start only because of another's change ("longrun.db is restarted"): their definitions are the
 * same on both sides, so they are not a difference between the two.
 */
function definitionChanges(compiled: CompiledDb, state: State): ResourceChange[] {
  const plan = planned({ compiled, state, observed: null, options: { refresh: false, allow_essential: true } });
  return plan.resource_changes.filter((c) => c.before === null || c.after === null || c.previous_address !== undefined || c.changed_paths.length > 0);
}

function describe(c: ResourceChange, newer: string, older: string, p: ReturnType<typeof painter>): string[] {
  if (c.actions.includes('install') && !c.actions.includes('remove')) return [`  ${p('green', '+')} ${c.address}: only in ${newer}`];
  if (c.actions.includes('remove') && !c.actions.includes('install')) return [`  ${p('red', '-')} ${c.address}: only in ${older}`];
  const what = c.previous_address ? `renamed from ${c.previous_address}` : redactPaths(c.changed_paths, [...(c.before?.sensitive_paths ?? []), ...(c.after?.sensitive_paths ?? [])]).join(', ') || c.reason;
  return [`  ${p('yellow', '~')} ${c.address}: ${what}`, ...renderBody(c, p).filter((l) => !/~ state = /.test(l))];
}

/** A plan with no --target, --replace or essential refusal to make: it cannot fail, but would say why if it did. */
function planned(input: PlanInput): Plan {
  const r = makePlan(input);
  if (!r.plan) throw new DiagnosticsError(r.diagnostics);
  return r.plan;
}
