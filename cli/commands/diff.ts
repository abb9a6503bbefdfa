import path from 'node:path';
import { CliError, flagBool, flagString, type Command, type CommandContext } from '../command.js';
import { SOURCE_FLAGS } from '../source-flags.js';
import { readCompiledDb } from '../compiled-db-file.js';
import { compileDir } from '../compile-source.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, liveDirOf, readLiveState } from '../live-flags.js';
import { readLiveFrom } from '../live-from.js';
import { painter, renderBody } from '../views/plan-human.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { diff } from '../../planner/diff.js';
import type { ResourceChange } from '../../planner/plan-types.js';
import { stateFromCompiled } from '../../planner/state-from-compiled.js';
import type { State } from '../../state/state-types.js';

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
drift are "rcform plan"'s business.

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
      const changes = definitionChanges(srcDb, stateFromCompiled(fileDb));
      if (srcDb.hash === fileDb.hash || changes.length === 0) {
        out.push(`${file} is current with ${dir} (hash ${fileDb.hash.slice(0, 12)}).`);
      } else {
        differs = true;
        out.push(p('bold', `${file} is not current with ${dir}: ${count(changes.length)} ${changes.length === 1 ? 'differs' : 'differ'}. Compile again to update it.`));
        for (const c of changes) out.push(...describe(c, 'source', 'compiled file', p));
      }
      out.push('');
    }

    // The compiled file is what gets installed (s6-rc's model: live runs a compiled database), so
    // when both are given the live state is compared with it; the source is only compared with it.
    const target = (fileDb ?? srcDb) as CompiledDb;
    const targetName = fileDb ? file : dir;
    const live = await liveSide(ctx);
    const changes = definitionChanges(target, live.state);
    if (changes.length === 0) {
      out.push(`The live state (${live.name}) matches ${targetName}.`);
    } else {
      differs = true;
      out.push(p('bold', `The live state (${live.name}) differs from ${targetName}: ${count(changes.length)}.`));
      for (const c of changes) out.push(...describe(c, targetName as string, 'live', p));
      out.push('', 'Run "rcform plan" for what apply would do about it, and why.');
    }
    ctx.io.stdout.write(out.join('\n') + '\n');
    return flagBool(ctx, 'exit-code') && differs ? 1 : 0;
  },
};

function count(n: number): string {
  return n === 1 ? '1 service' : `${n} services`;
}

async function liveSide(ctx: CommandContext): Promise<{ state: State; name: string }> {
  const from = flagString(ctx, 'live-from');
  if (from) return { state: readLiveFrom(path.resolve(ctx.io.cwd, from)).state, name: from };
  const state = await readLiveState(ctx, 'diff');
  return { state, name: `${liveDirOf(ctx)}, serial ${state.serial}` };
}

/**
 * Services whose definitions differ: only on one side, renamed, or with changed fields (`down`
 * among them); run state is not considered. The planner also lists services it would restart or
 * start only because of another's change ("longrun.db is restarted"): their definitions are the
 * same on both sides, so they are not a difference between the two.
 */
function definitionChanges(compiled: CompiledDb, state: State): ResourceChange[] {
  const plan = diff({ compiled, state, observed: null, options: { refresh: false, allow_essential: true } });
  return plan.resource_changes.filter((c) => c.before === null || c.after === null || c.previous_address !== undefined || c.changed_paths.length > 0);
}

function describe(c: ResourceChange, newer: string, older: string, p: ReturnType<typeof painter>): string[] {
  if (c.actions.includes('install') && !c.actions.includes('remove')) return [`  ${p('green', '+')} ${c.address}: only in ${newer}`];
  if (c.actions.includes('remove') && !c.actions.includes('install')) return [`  ${p('red', '-')} ${c.address}: only in ${older}`];
  const what = c.previous_address ? `renamed from ${c.previous_address}` : c.changed_paths.join(', ') || c.reason;
  return [`  ${p('yellow', '~')} ${c.address}: ${what}`, ...renderBody(c, p).filter((l) => !/~ state = /.test(l))];
}
