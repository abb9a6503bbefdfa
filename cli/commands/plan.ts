import path from 'node:path';
import type { FlagSpec } from '../args.js';
import { CliError, flagBool, flagList, flagString, write, type Command, type CommandContext } from '../command.js';
import { SOURCE_FLAGS } from '../source-flags.js';
import { compiledJsonOf } from '../compiled-db-file.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, lockLive, openLiveDir } from '../live-flags.js';
import { readLiveFrom } from '../live-from.js';
import { INPUT_ACCEPTED_FLAG } from '../operator-input.js';
import { desiredDb, planFileFor, planFromFlags, readLiveFor, sourceOf } from '../plan-inputs.js';
import { renderPlan, VIEW_FLAGS } from '../plan-flags.js';
import { writePlanFile } from '../plan-file-io.js';
import { holdYoungGeneration } from '../young-generation.js';
import { liveFromFile, type LiveRead } from '../../operation/plan.js';
import type { Plan } from '../../planner/plan-types.js';
import { totalChanges } from '../../planner/summary.js';

// `rcform plan`: compile (or read) the desired database, read the live state under the lock —
// refreshed from the engine, so drift shows — and print the plan (operation/plan.ts makes it). With --out the plan is saved for
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
  const live = await readLiveForPlan(ctx, refresh);

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
    writePlanFile(file, planFileFor(plan, compiled, live, sourceOf(ctx, destroy)), compiledJsonOf(compiled));
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

/** The live state, read under the lock; the engine is asked while the lock is held so the two agree. */
async function readLiveForPlan(ctx: CommandContext, refresh: boolean): Promise<LiveRead> {
  const from = flagString(ctx, 'live-from');
  if (from) {
    if (flagString(ctx, 'live')) throw new CliError('give either --live DIR or --live-from FILE, not both');
    const file = path.resolve(ctx.io.cwd, from);
    const { state, kind } = readLiveFrom(file);
    return liveFromFile(state, kind, file);
  }
  const live = openLiveDir(ctx);
  const lock = await lockLive(ctx, live, 'plan');
  try {
    return await readLiveFor(ctx, live, 'plan', refresh);
  } finally {
    await lock?.release();
  }
}
