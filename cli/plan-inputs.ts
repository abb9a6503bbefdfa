import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagBool, flagList, flagString, type CommandContext } from './command.js';
import { readCompiledDb } from './compiled-db-file.js';
import { operationLog, warnOn } from './live-flags.js';
import { rcformVersion } from './version.js';
import type { CompiledDb } from '../lang/compile/compiled-db.js';
import { makePlan, planFileOf, readLive, type LiveRead } from '../operation/plan.js';
import type { RefreshPurpose } from '../operation/refresh.js';
import type { PlanFile } from '../planner/plan-file.js';
import type { Plan } from '../planner/plan-types.js';
import type { LiveDir } from '../state/live-dir.js';
import type { SourceIdentity } from '../state/state-types.js';

// What plan, apply and destroy read from their flags to plan: the desired database (compiled from
// DIR or read from --compiled), the source directory, the plan's options. The planning itself is
// operation/plan.ts.

export async function desiredDb(ctx: CommandContext, destroy: boolean): Promise<CompiledDb | null> {
  const file = flagString(ctx, 'compiled');
  const dir = ctx.positionals[0];
  if (file && dir) throw new CliError('give either DIR or --compiled FILE, not both');
  if (file) return readCompiledDb(path.resolve(ctx.io.cwd, file));
  if (destroy && !dir) return null;
  // The language and the engines are loaded when used: a plan from a compiled database against a
  // pulled state (a CI review) needs neither, and they are half the modules plan would load.
  const { compileDir } = await import('./compile-source.js');
  return compileDir(ctx, path.resolve(ctx.io.cwd, dir ?? '.'));
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

/** The live state for a command holding the lock (or finding it stale), refreshed unless --refresh=false. */
export async function readLiveFor(ctx: CommandContext, live: LiveDir, purpose: RefreshPurpose, refresh = ctx.flags['refresh'] !== false): Promise<LiveRead> {
  return readLive({ live, refresh, purpose, onWarning: warnOn(ctx), log: operationLog });
}

/** The plan for `compiled` against `live`, with the options the command's flags give (plan, apply, destroy). */
export function planFromFlags(ctx: CommandContext, compiled: CompiledDb | null, live: LiveRead, destroy: boolean): Plan {
  return makePlan({
    compiled,
    live,
    destroy,
    source: sourceOf(ctx, destroy),
    allowOtherSource: flagBool(ctx, 'allow-other-source'),
    replace: flagList(ctx, 'replace'),
    target: flagList(ctx, 'target'),
    refresh: ctx.flags['refresh'] !== false,
    allowEssential: flagBool(ctx, 'allow-essential'),
    now: new Date().toISOString(),
    log: operationLog,
  });
}

/** The plan as the file apply executes, made now by this rcform. */
export function planFileFor(plan: Plan, compiled: CompiledDb | null, live: LiveRead, source?: SourceIdentity): PlanFile {
  return planFileOf(plan, compiled, live, { rcformVersion: rcformVersion(), createdAt: new Date().toISOString(), source });
}
