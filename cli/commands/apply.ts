import fs from 'node:fs';
import path from 'node:path';
import type { FlagSpec } from '../args.js';
import { CliError, flagBool, flagList, flagNumber, flagString, write, type Command, type CommandContext } from '../command.js';
import { compiledJsonOf } from '../compiled-db-file.js';
import { canAsk, confirmYes } from '../confirm.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, lockLive, openLiveDir, trustedLiveDir } from '../live-flags.js';
import { INPUT_FLAG, parseInputFlags, preflightInputs } from '../operator-input.js';
import { desiredDb, planFileFor, planFromFlags, readLiveFor, sourceOf } from '../plan-inputs.js';
import { readPlanFile } from '../plan-file-io.js';
import { painter, renderHuman, type Paint } from '../views/plan-human.js';
import { planForJson } from '../views/plan-json.js';
import { JsonApplyView, PlainApplyView, type ApplyView } from '../views/apply-view.js';
import { formatMs } from '../views/apply-plain.js';
import { servicesOf, stepLabel } from '../views/apply-words.js';
import { planCommand } from './plan.js';
import { executeWithView } from '../apply-with-view.js';
import { lastLogLines } from '../../operation/apply.js';
import type { ApplyResult } from '../../operation/apply-events.js';
import type { PlanFile } from '../../planner/plan-file.js';
import type { PlanSummary } from '../../planner/plan-types.js';
import { LiveDir } from '../../state/live-dir.js';
import { logDebug, logEnabled } from '../log.js';

// `rcform apply [PLANFILE | DIR]` and `rcform destroy`: execute exactly a plan, under the state lock.
// With a saved plan, nothing is re-planned: the plan must still describe the live directory (same
// lineage, serial, journal position and engine-observed states) or apply refuses before acting.
// Without one, the plan is made, shown and confirmed under the same lock, so nothing can change
// between what the operator approved and what runs.

const APPLY_FLAGS: FlagSpec[] = [
  { name: 'auto-approve', type: 'boolean', description: 'Apply without asking for confirmation' },
  {
    name: 'parallelism',
    type: 'number',
    default: 32,
    valueName: 'N',
    description: 'Run at most N steps at a time',
    check: (n) => (Number.isInteger(n) && (n as number) >= 1 ? undefined : 'takes a whole number of at least 1'),
  },
  { name: 'json', type: 'boolean', description: 'Print one JSON object per event (docs/apply.md)' },
  INPUT_FLAG,
];

/** Plan flags that make sense when apply makes its own plan (not the output or file-only ones). */
const INLINE_PLAN_FLAGS = planCommand.flags.filter((f) => !['out', 'json', 'markdown', 'detailed-exitcode', 'live-from', 'destroy', 'live', 'lock', 'lock-timeout', 'input', 'refresh-only'].includes(f.name));

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Execute a saved plan, or plan, confirm and execute',
  description: `With PLANFILE (from "rcform plan --out"), executes exactly its steps, after checking that the live
directory is still what the plan was made against. With DIR (default: the current directory),
makes the plan, shows it, asks for "yes" (or --auto-approve), then executes it.

Ctrl-C once: no new steps start, the steps in flight finish, the state is saved. Twice: the steps in
flight are interrupted too. Exit status 0 when every step succeeded, 1 otherwise.`,
  args: [{ name: 'PLANFILE|DIR', optional: true }],
  flags: [...APPLY_FLAGS, ...INLINE_PLAN_FLAGS, LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG],
  run: (ctx) => runApply(ctx, false),
};

export const destroyCommand: Command = {
  name: 'destroy',
  summary: 'Stop and remove every service, after confirmation',
  description: 'Plans with --destroy, shows the plan, asks for "yes" (or --auto-approve), then executes it.',
  args: [{ name: 'DIR', optional: true }],
  flags: [...APPLY_FLAGS, ...INLINE_PLAN_FLAGS.filter((f) => f.name !== 'compiled'), LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG],
  run: (ctx) => runApply(ctx, true),
};

async function runApply(ctx: CommandContext, destroy: boolean): Promise<number> {
  const target = ctx.positionals[0];
  const resolved = target ? path.resolve(ctx.io.cwd, target) : undefined;
  if (!destroy && resolved && fs.existsSync(resolved) && fs.statSync(resolved).isFile()) return applySavedPlan(ctx, resolved);
  if (resolved && !fs.existsSync(resolved)) throw new CliError(`${target}: no such plan file or directory`);
  return applyInline(ctx, destroy);
}

async function applySavedPlan(ctx: CommandContext, file: string): Promise<number> {
  const pf = readPlanFile(file);
  const flagged = flagString(ctx, 'live');
  const live = pf.live.live_dir !== undefined ? new LiveDir(trustedLiveDir(pf.live.live_dir)) : openLiveDir(ctx);
  const liveDir = live.root;
  if (flagged && path.resolve(ctx.io.cwd, flagged) !== liveDir) {
    throw new CliError(`the plan was made against the live directory ${liveDir}, not ${path.resolve(ctx.io.cwd, flagged)}`);
  }
  const answers = preflightInputs(pf.plan, parseInputFlags(flagList(ctx, 'input'), ctx.io.cwd, ctx.io.env), canAsk(ctx.io));
  const lock = await lockLive(ctx, live, 'apply', file);
  try {
    return await run(ctx, live, pf, true, answers);
  } finally {
    await lock?.release();
  }
}

async function applyInline(ctx: CommandContext, destroy: boolean): Promise<number> {
  const compiled = await desiredDb(ctx, destroy);
  const inputs = parseInputFlags(flagList(ctx, 'input'), ctx.io.cwd, ctx.io.env);
  const liveDir = openLiveDir(ctx);
  const lock = await lockLive(ctx, liveDir, destroy ? 'destroy' : 'apply');
  try {
    const live = await readLiveFor(ctx, liveDir, 'apply');
    const plan = planFromFlags(ctx, compiled, live, destroy);
    const pf = planFileFor(plan, compiled, live, sourceOf(ctx, destroy));
    const json = flagBool(ctx, 'json');
    if (json) write(ctx.io.stdout, JSON.stringify({ type: 'plan', time: new Date().toISOString(), plan: planForJson(plan) }));
    else ctx.io.stdout.write(renderHuman(plan, { color: ctx.io.color }));

    // Drift alone still needs an apply: it writes what the engine reports into the state.
    if (plan.steps.length === 0 && plan.drift.length === 0 && live.state.compiled_hash === plan.compiled_hash) {
      // The human plan has said "No changes." already unless it listed changes that need no step.
      if (!json && plan.resource_changes.length > 0) write(ctx.io.stdout, `\nNo changes. The live services match the configuration${plan.holds?.length ? ', but for the operator holds ("rcform release" ends them)' : ''}.`);
      return 0;
    }
    const answers = preflightInputs(plan, inputs, canAsk(ctx.io));
    if (plan.steps.length > 0 && !flagBool(ctx, 'auto-approve')) {
      if (!canAsk(ctx.io) || !inputs.interactive) {
        const saved = destroy ? 'rcform plan --destroy --out FILE; rcform apply FILE' : 'rcform plan --out FILE; rcform apply FILE';
        const why = inputs.interactive ? 'there is no terminal to ask on' : '-input=false forbids asking';
        throw new CliError(`${destroy ? 'destroy' : 'apply'} needs confirmation and ${why}: review the plan above and pass --auto-approve, or apply a saved plan (${saved})`);
      }
      const ok = await confirmYes(ctx.io, [
        '',
        destroy ? 'Do you really want to destroy all services?' : 'Do you want to perform these actions?',
        `  rcform will perform the actions described above.`,
      ]);
      if (!ok) {
        write(ctx.io.stdout, `${destroy ? 'Destroy' : 'Apply'} cancelled.`);
        return 1;
      }
    }
    return await run(ctx, liveDir, pf, false, answers);
  } finally {
    await lock?.release();
  }
}

async function run(ctx: CommandContext, live: LiveDir, pf: PlanFile, checkFresh: boolean, answers: Map<string, Buffer>): Promise<number> {
  const parallelism = flagNumber(ctx, 'parallelism') ?? 32;
  const view = await makeView(ctx, pf);
  const started = Date.now();
  const result = await executeWithView(ctx, view, { live, planFile: pf, checkFresh, parallelism, answers, compiledJson: compiledJsonOf(pf.compiled) });
  const summary = await summaryOf(live, pf, result, Date.now() - started, painter(ctx.io.color));
  await view.close(flagBool(ctx, 'json') ? '' : summary);
  return result.outcome === 'ok' ? 0 : 1;
}

async function makeView(ctx: CommandContext, pf: PlanFile): Promise<ApplyView> {
  const view = await chooseView(ctx, pf);
  if (!logEnabled('debug')) return view;
  // RCFORM_LOG=debug: every event also as a log line, whatever the view shows of it.
  const event = view.event.bind(view);
  view.event = (ev) => {
    logDebug(`apply: ${ev.type}${'step' in ev ? ` ${ev.step.id}` : ''}${'outcome' in ev ? ` ${ev.outcome}` : ''}${'duration_ms' in ev ? ` in ${ev.duration_ms} ms` : ''}${'error' in ev && ev.error ? `: ${ev.error}` : ''}`);
    event(ev);
  };
  return view;
}

async function chooseView(ctx: CommandContext, pf: PlanFile): Promise<ApplyView> {
  if (flagBool(ctx, 'json')) return new JsonApplyView(ctx.io);
  // Ink renders only its last frame when it believes it runs in CI (CI set to anything but 0 or
  // false): on such a terminal the plain view is the one that shows progress.
  const ci = 'CI' in ctx.io.env && ctx.io.env['CI'] !== '0' && ctx.io.env['CI'] !== 'false';
  if (ctx.io.stdout.isTTY && !ci) {
    // Loaded only on a terminal: React and Ink cost start-up time every other command need not pay.
    const { InkApplyView } = await import('../views/apply-ink.js');
    return new InkApplyView(ctx.io, pf.plan.steps, { destroy: pf.plan.options.destroy });
  }
  return new PlainApplyView(ctx.io);
}

/**
 * What happened, counted in services as the plan counts them (a service's install and start are
 * one service done): a service failed when one of its steps failed, was interrupted when one was,
 * did not start when one did not, and is done when all its steps are.
 */
async function summaryOf(live: LiveDir, pf: PlanFile, r: ApplyResult, ms: number, paint: Paint): Promise<string> {
  const what = pf.plan.options.destroy ? 'Destroy' : 'Apply';
  const took = `Took ${formatMs(ms)}.`;
  if (r.outcome === 'ok') {
    return `\n${paint('bold', paint('green', `${what} complete!`))} ${appliedLine(pf.plan.summary)} ${took}`;
  }
  const failed = new Set(r.failed.map((f) => f.step.service));
  const interrupted = new Set(servicesOf(r.interrupted).filter((s) => !failed.has(s)));
  const notStarted = new Set(servicesOf(r.notStarted).filter((s) => !failed.has(s) && !interrupted.has(s)));
  const done = servicesOf(r.done).filter((s) => !failed.has(s) && !interrupted.has(s) && !notStarted.has(s));
  const total = servicesOf(pf.plan.steps).length;
  const head = r.outcome === 'failed' ? paint('red', `${what} failed:`) : paint('yellow', `${what} interrupted:`);
  const lines = [
    '',
    `${paint('bold', head)} ${done.length} done, ${failed.size} failed, ${interrupted.size} interrupted, ${notStarted.size} not started. ${total} service${total === 1 ? '' : 's'}; ${took.toLowerCase()}`,
  ];
  for (const f of r.failed) {
    lines.push('', `${paint('red', 'Error:')} ${stepLabel(f.step)} failed: ${f.error}`);
    const log = await lastLogLines(live, f.step.service);
    if (log.length > 0) lines.push(`  Last lines of ${f.step.service}'s log:`, ...log.map((l) => `    ${l}`));
  }
  for (const s of r.interrupted) lines.push(`  interrupted: ${stepLabel(s)}`);
  for (const s of r.notStarted) lines.push(`  not started: ${stepLabel(s)}`);
  lines.push('', `The state records what was done; run "rcform plan" to see what remains.`);
  return lines.join('\n');
}

const PAST: Array<[keyof PlanSummary, string]> = [
  ['install', 'installed'],
  ['start', 'started'],
  ['restart', 'restarted'],
  ['reload', 'reloaded'],
  ['update', 'updated'],
  ['rename', 'renamed'],
  ['stop', 'stopped'],
  ['remove', 'removed'],
];

/** "Services: 2 installed, 1 restarted." — what the plan's summary said would happen, done. */
function appliedLine(s: PlanSummary): string {
  const parts = PAST.filter(([k]) => s[k] > 0).map(([k, word]) => `${s[k]} ${word}`);
  return parts.length === 0 ? 'No changes.' : `Services: ${parts.join(', ')}.`;
}
