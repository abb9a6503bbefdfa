import type { CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import { hasErrors, type Diagnostic } from '../../lang/diagnostic.js';
import type { ServiceStatus } from '../../state/service-status.js';
import type { State } from '../../state/state-types.js';
import { PLAN_FORMAT_VERSION, type HoldEntry, type Plan, type PlanOptions, type ResourceChange } from '../plan-types.js';
import { StepGraph } from '../step-graph.js';
import { summarize } from '../summary.js';
import { essentialRefusal, resourceChange, stops } from './changes.js';
import { actionsOf, classify } from './classify.js';
import { Entries, type Entry } from './entries.js';
import { reverseGraph } from './graph.js';
import { propagateRestarts } from './propagate.js';
import { renames } from './renames.js';
import { applyHolds, runAfter } from './run-after.js';
import { replaceNames, targetScope } from './scope.js';
import { StepsOf } from './steps.js';

// plan(compiled, live) → plan. Pure: every input is a value, and the same inputs give the same plan.
// What s6-rc-update does, minus its heuristics: each action follows from the two definitions, the
// `lifecycle` annotation, `down`, and what the engine reports — and carries its reason.

export interface PlanInput {
  /** The database to converge to. Ignored (may be null) with options.destroy. */
  compiled: CompiledDb | null;
  /** The live state: what was last applied. */
  state: State;
  /** The engine's status by service name; null when not refreshing (--refresh=false, --live-from). */
  observed: Record<string, ServiceStatus> | null;
  options?: Partial<PlanOptions>;
  /**
   * ISO time of the refresh: a drift that has lasted since a time the engine gives then says how
   * long before the plan that was. Without it only the time is given.
   */
  now?: string;
}

/**
 * The plan, or null when it cannot be made as asked (a --target or --replace names nothing, an
 * essential service would stop): then the diagnostics say why, each about an option or a service.
 */
export type PlanResult = { plan: Plan; diagnostics: Diagnostic[] } | { plan: null; diagnostics: Diagnostic[] };

export function plan(input: PlanInput): PlanResult {
  const opts: PlanOptions = {
    replace: input.options?.replace ?? [],
    target: input.options?.target ?? [],
    destroy: input.options?.destroy ?? false,
    refresh: input.options?.refresh ?? true,
    allow_essential: input.options?.allow_essential ?? false,
  };
  const state = input.state;
  const observed = opts.refresh ? input.observed : null;
  const compiled = input.compiled;
  const newSvcs: Record<string, CompiledService> = opts.destroy || !compiled ? {} : compiled.services;
  const oldSvcs = state.services;

  const renamed = renames(compiled, oldSvcs, newSvcs, opts.destroy);
  const newReverse = reverseGraph(newSvcs, (s) => s.dependencies);
  const oldReverse = reverseGraph(oldSvcs, (s) => s.definition.dependencies);

  const run = runAfter(newSvcs);
  // The source's own answer is kept beside the holds', so the plan can say what each hold keeps
  // from happening.
  const sourceUp = new Set(run.up);
  const holdsInEffect = applyHolds(state.holds ?? {}, newSvcs, oldSvcs, run);

  const scope = targetScope(opts.target, opts.destroy, compiled, newSvcs, oldSvcs, renamed, oldReverse);
  const replace = replaceNames(opts.replace, compiled, newSvcs, oldSvcs);
  const diagnostics: Diagnostic[] = [...scope.diagnostics, ...replace.diagnostics];
  const { scopeNew, scopeOld } = scope;

  const entries = new Entries({ oldSvcs, newSvcs, observed, afterUp: run.up, ...(input.now !== undefined ? { now: input.now } : {}) });
  for (const n in newSvcs) {
    if (scopeNew && !scopeNew.has(n)) continue;
    const from = renamed.from.get(n);
    if (from !== undefined) entries.add(from, n);
    else {
      const ss = oldSvcs[n];
      if (ss && entries.settled(n, ss, replace.names)) continue;
      entries.add(ss ? n : undefined, n);
    }
  }
  for (const n of Object.keys(oldSvcs)) {
    if (n in newSvcs || renamed.to.has(n)) continue;
    if (scopeOld && !scopeOld.has(n)) continue;
    entries.add(n, undefined);
  }

  const classifyOne = (e: Entry): void => classify(e, opts, replace.names, run.neededBy, holdsInEffect);
  for (const e of entries.byKey.values()) classifyOne(e);
  const byNew = propagateRestarts(entries, newReverse, newSvcs, oldSvcs, renamed, classifyOne);

  // In the order the entries would have had with every service given one: the services of the
  // plan's scope in the database's order, those gone from it, then those reached outside --target.
  // The order steps are added in is the order of ties among them.
  const ordered: Entry[] = [];
  for (const n in newSvcs) {
    if (scopeNew && !scopeNew.has(n)) continue;
    const e = byNew.get(n);
    if (e) ordered.push(e);
  }
  for (const e of entries.byKey.values()) if (e.newName === undefined || (scopeNew && !scopeNew.has(e.newName))) ordered.push(e);

  const steps = new StepsOf(new StepGraph());
  const changes: ResourceChange[] = [];
  for (const e of ordered) {
    const actions = actionsOf(e);
    if (actions.length === 0) continue;
    const stopping = stops(e);
    if (stopping) {
      const refusal = essentialRefusal(e, opts.allow_essential);
      if (refusal) diagnostics.push(refusal);
    }
    const change = resourceChange(e, actions);
    changes.push(change);
    steps.add(e, stopping, e.reasons[0]?.text as string);
  }

  if (hasErrors(diagnostics)) return { plan: null, diagnostics };

  steps.order(oldReverse, newSvcs);
  const graph = steps.graph.ordered();
  const holds: HoldEntry[] = [];
  for (const [n, h] of holdsInEffect) {
    const svc = newSvcs[n] as CompiledService;
    const held = run.up.has(n) ? 'up' : 'down';
    const source = sourceUp.has(n) ? 'up' : 'down';
    if (held !== source) holds.push({ address: svc.address, name: n, held, source, requested: h.requested, since: h.at });
  }
  const drift = entries.drift;
  holds.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  drift.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    plan: {
      format_version: PLAN_FORMAT_VERSION,
      compiled_hash: opts.destroy ? null : (compiled?.hash ?? null),
      options: opts,
      drift,
      ...(holds.length > 0 ? { holds } : {}),
      resource_changes: changes,
      summary: summarize(changes),
      steps: graph.steps,
      edges: graph.edges,
    },
    diagnostics,
  };
}
