import { CliError, flagBool, write, type Command, type CommandContext } from '../command.js';
import { readCompiledDb } from '../compiled-db-file.js';
import { canAsk } from '../confirm.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, lockLive, openLiveDir } from '../live-flags.js';
import { parseInputFlags, preflightInputs } from '../operator-input.js';
import { PlainApplyView } from '../views/apply-view.js';
import { renderHuman } from '../views/plan-human.js';
import { planFileFor, readLiveFor } from '../plan-inputs.js';
import { executeWithView } from '../apply-with-view.js';
import { COMPILED_FORMAT_VERSION, type CompiledBundle, type CompiledDb, type CompiledService } from '../../lang/compile/compiled-db.js';
import { didYouMean } from '../../lang/eval/suggest.js';
import { resolveAddress } from '../../planner/plan/addresses.js';
import { plan as makePlan } from '../../planner/plan/plan.js';
import type { LiveDir } from '../../state/live-dir.js';
import type { Hold, State } from '../../state/state-types.js';

// `rcform up` / `rcform down`: s6-rc's `-u change` / `-d change` on the live system, without
// editing the source. The selection is recorded in the state as an operator hold on every service
// it reaches (up: the service and what it needs; down: the service and what needs it), so that the
// next plan keeps it and says so instead of "correcting" it back to the source. `rcform release`
// ends holds; the plan after that follows the source again. The transitions run as an apply does:
// under the state lock, through the step executor, with a journal.

const HOLD_FLAGS = [
  { name: 'allow-essential', type: 'boolean' as const, description: 'Allow stopping essential services' },
  LIVE_FLAG,
  LOCK_FLAG,
  LOCK_TIMEOUT_FLAG,
];

export const upCommand: Command = {
  name: 'up',
  summary: 'Start services or bundles with what they need, and hold them up (s6-rc -u change)',
  description: `Starts each ADDRESS (a service, a bundle, or a for_each block) and everything it depends on,
as "s6-rc -u change" does, and records an operator hold: plans keep these services up, whatever
the source says (down = true included), and list the hold, until "rcform release". Works on what is
installed; it changes no definition. Bundles are those of the database last applied.`,
  args: [{ name: 'ADDRESS', variadic: true }],
  flags: HOLD_FLAGS,
  run: (ctx) => runHold(ctx, 'up'),
};

export const downCommand: Command = {
  name: 'down',
  summary: 'Stop services or bundles with what needs them, and hold them down (s6-rc -d change)',
  description: `Stops each ADDRESS and everything that depends on it, dependents first, as "s6-rc -d change"
does, and records an operator hold: plans keep these services down, whatever the source says, and
list the hold, until "rcform release". Nothing is uninstalled. Stopping an essential service needs
--allow-essential.`,
  args: [{ name: 'ADDRESS', variadic: true }],
  flags: HOLD_FLAGS,
  run: (ctx) => runHold(ctx, 'down'),
};

export const releaseCommand: Command = {
  name: 'release',
  summary: 'End operator holds: the next plan follows the source again',
  description: `Removes the holds on each ADDRESS (a held service, or the address an "rcform up" or
"rcform down" was given: releasing bundle.web ends every hold it made), or every hold with --all.
Nothing is started or stopped: run "rcform plan" to see what the source then changes.`,
  args: [{ name: 'ADDRESS', variadic: true, optional: true }],
  flags: [{ name: 'all', type: 'boolean', description: 'Release every hold' }, LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG],
  async run(ctx) {
    const all = flagBool(ctx, 'all');
    if (all === ctx.positionals.length > 0) throw new CliError('give the addresses to release, or --all');
    const live = openLiveDir(ctx);
    const lock = await lockLive(ctx, live, 'release');
    try {
      const { state } = live.recover();
      const holds = { ...liveHolds(state) };
      const released: string[] = [];
      for (const addr of ctx.positionals) {
        const hit = Object.keys(holds).filter((n) => n === addr || holds[n]?.requested === addr || state.services[n]?.address === addr);
        if (hit.length === 0) {
          const known = new Set(Object.entries(holds).flatMap(([n, h]) => [n, h.requested, state.services[n]?.address ?? n]));
          throw new CliError(`${addr}: no hold has this address or name.${didYouMean(addr, known)} "rcform status" lists the holds; nothing was released`);
        }
        for (const n of hit) if (!released.includes(n)) released.push(n);
      }
      if (all) released.push(...Object.keys(holds));
      for (const n of released) delete holds[n];
      live.writeState(withHolds(state, holds));
      if (released.length === 0) write(ctx.io.stdout, 'No holds to release.');
      else {
        const names = released.map((n) => state.services[n]?.address ?? n).sort();
        write(ctx.io.stdout, `Released ${released.length === 1 ? '1 hold' : `${released.length} holds`}: ${names.join(', ')}.\nNothing was started or stopped; "rcform plan" shows what the source now changes.`);
      }
      return 0;
    } finally {
      await lock?.release();
    }
  },
};

async function runHold(ctx: CommandContext, to: 'up' | 'down'): Promise<number> {
  if (ctx.positionals.length === 0) throw new CliError(`rcform ${to} needs at least one ADDRESS`);
  const liveDir = openLiveDir(ctx);
  const lock = await lockLive(ctx, liveDir, to);
  try {
    const state: State = liveDir.recover().state;
    if (Object.keys(state.services).length === 0) throw new CliError(`nothing is installed in ${liveDir.root}: apply a configuration first`);
    const installed = installedDb(liveDir, state);
    const selected = selection(ctx.positionals, installed, state, to);
    const at = new Date().toISOString();
    const holds = { ...liveHolds(state) };
    for (const [name, requested] of selected) holds[name] = { state: to, requested, at };

    // Everything that can refuse comes first (the engine not running, an essential service, an
    // input nobody can give), so that a refusal leaves the state as it was.
    const live = await readLiveFor(ctx, liveDir, 'apply', true);
    const { plan, diagnostics } = makePlan({
      compiled: installed,
      state: withHolds(live.state, holds),
      observed: live.observed,
      now: at,
      options: { target: [...selected.keys()], allow_essential: flagBool(ctx, 'allow-essential'), refresh: live.observed !== null },
    });
    if (!plan) throw new CliError(`${diagnostics.map((d) => d.summary).join('; ')}; nothing was changed`);
    const answers = preflightInputs(plan, parseInputFlags([], ctx.io.cwd), canAsk(ctx.io));
    // Recorded before anything runs: if a transition fails, the hold still says what the operator
    // asked for, and the next plan does not undo the part that was done.
    liveDir.writeState(withHolds(state, holds));

    const names = [...selected.keys()].map((n) => state.services[n]?.address ?? n).sort();
    write(ctx.io.stdout, `Holding ${to}: ${names.join(', ')}.`);
    if (plan.steps.length === 0) {
      write(ctx.io.stdout, `Already ${to}; the hold is recorded. "rcform release" ends it.`);
      return 0;
    }
    // The holds being made are the line above; the plan shows the transitions they take.
    const { holds: _shown, ...transitions } = plan;
    ctx.io.stdout.write('\n' + renderHuman(transitions, { color: ctx.io.color }) + '\n');
    const pf = planFileFor(plan, installed, live);
    const view = new PlainApplyView(ctx.io);
    const result = await executeWithView(ctx, view, { live: liveDir, planFile: pf, checkFresh: false, parallelism: 32, answers, recordLiveDb: false });
    if (result.outcome === 'ok') {
      await view.close(`\n${to === 'up' ? 'Up' : 'Down'} complete! ${names.length === 1 ? '1 service' : `${names.length} services`} held ${to}; "rcform release" ends the hold.`);
      return 0;
    }
    const failed = result.failed.map((f) => `${f.step.address}: ${f.error}`);
    await view.close(`\n${to === 'up' ? 'Up' : 'Down'} ${result.outcome}: ${failed.join('; ') || `${result.notStarted.length} steps not started`}. The hold stays recorded; "rcform plan" shows what remains.`);
    return 1;
  } finally {
    await lock?.release();
  }
}

/** The holds that still concern an installed service (a removed service's hold ends with it). */
function liveHolds(state: State): Record<string, Hold> {
  const out: Record<string, Hold> = {};
  for (const [n, h] of Object.entries(state.holds ?? {})) if (n in state.services) out[n] = h;
  return out;
}

function withHolds(state: State, holds: Record<string, Hold>): State {
  const { holds: _old, ...rest } = state;
  return Object.keys(holds).length > 0 ? { ...rest, holds } : rest;
}

/**
 * The installed services as a database to plan from (their definitions as applied, so nothing but
 * their run state can change), with the bundles of the database last applied whose members are
 * all still installed.
 */
function installedDb(live: LiveDir, state: State): CompiledDb {
  const services: Record<string, CompiledService> = {};
  for (const [n, s] of Object.entries(state.services)) services[n] = s.definition;
  const bundles: Record<string, CompiledBundle> = {};
  if (live.hasCompiled()) {
    for (const [n, b] of Object.entries(readCompiledDb(live.layout.compiled).bundles)) if (b.members.every((m) => m in services)) bundles[n] = b;
  }
  return { format_version: COMPILED_FORMAT_VERSION, hash: state.compiled_hash ?? '', services, bundles, moved: [] } as unknown as CompiledDb;
}

/** Every service the selection reaches, with the address that reached it first. */
function selection(addresses: readonly string[], db: CompiledDb, state: State, to: 'up' | 'down'): Map<string, string> {
  const out = new Map<string, string>();
  const reverse = new Map<string, string[]>();
  for (const s of Object.values(db.services)) for (const d of s.dependencies) reverse.set(d, [...(reverse.get(d) ?? []), s.name]);
  for (const addr of addresses) {
    const hit = resolveAddress(addr, db, db.services, state.services);
    if (hit.length === 0) {
      const known = new Set([...Object.values(db.services).flatMap((s) => [s.address, s.name]), ...Object.values(db.bundles).map((b) => b.address)]);
      throw new CliError(`${addr}: no installed service or bundle has this address or name.${didYouMean(addr, known)} Nothing was changed`);
    }
    const stack = [...hit];
    while (stack.length) {
      const n = stack.pop() as string;
      if (out.has(n)) continue;
      out.set(n, addr);
      const next = to === 'up' ? (db.services[n]?.dependencies ?? []) : (reverse.get(n) ?? []);
      for (const m of next) if (m in db.services) stack.push(m);
    }
  }
  return out;
}
