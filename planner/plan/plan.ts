import type { CompiledDb, CompiledService } from '../lang/compile/compiled-db.js';
import { RUNNING, type ServiceStatus } from '../state/service-status.js';
import type { PartialRun, State } from '../state/state-types.js';
import { didYouMean } from '../lang/eval/suggest.js';
import { durationText, elapsedText } from '../lang/compile/duration.js';
import { changedPaths, topField } from './changed-paths.js';
import { PlanError } from './plan-error.js';
import {
  PLAN_FORMAT_VERSION,
  type ActionReason,
  type ChangeAction,
  type DriftEntry,
  type HoldEntry,
  type Plan,
  type PlanOptions,
  type PlanStep,
  type ResourceChange,
  type StepAction,
} from './plan-types.js';
import { StepGraph } from './step-graph.js';
import { summarize } from './summary.js';
import { redactPaths } from '../lang/redact.js';

// diff(compiled, live) → plan. Pure: every input is a value, and the same inputs give the same plan.
// What s6-rc-update does, minus its heuristics: each action follows from the two definitions, the
// `lifecycle` annotation, `down`, and what the engine reports — and carries its reason.

export interface DiffInput {
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

/** Fields whose change needs no process change: the new values apply from the next start. */
const IN_PLACE = new Set(['description', 'essential', 'dependencies', 'timeouts', 'lifecycle', 'down', 'reload_signal']);
/** A oneshot's `down` command only runs when it goes down: changing it needs no re-run of `up`. */
const ONESHOT_IN_PLACE = new Set(['description', 'essential', 'dependencies', 'timeouts', 'down']);

interface Entry {
  key: string;
  oldName?: string;
  newName?: string;
  before: CompiledService | null;
  after: CompiledService | null;
  recordedUp: boolean;
  runningBefore: boolean;
  afterUp: boolean;
  /** Longrun recorded as installed that the engine does not know: must be installed again. */
  absent: boolean;
  /**
   * Longrun the engine reports starting (wanted up, not ready). With no apply holding the lock
   * nobody waits for it: the plan waits for its readiness in a start step (s6-rc's way after a crash).
   */
  notReady: boolean;
  /** notReady, and the state shows its start never completed (not a ready service being respawned). */
  startIncomplete: boolean;
  /** A oneshot's run that no apply saw end (state.json's partial_run). */
  partialRun?: PartialRun;
  drift: DriftEntry | null;
  changed: string[];
  restartPaths: string[];
  mode: 'none' | 'install' | 'remove' | 'type' | 'reinstall' | 'restart' | 'reload' | 'update';
  reasons: Array<{ code: ActionReason; text: string }>;
  causedBy?: string;
}

export function diff(input: DiffInput): Plan {
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
  const problems: string[] = [];

  // `moved` blocks pair a gone name with a new one; chains (a→b, b→c) collapse to a→c.
  const movedTo = new Map<string, string>();
  for (const m of compiled?.moved ?? []) movedTo.set(m.from, m.to);
  const renameFrom = new Map<string, string>();
  const renameTo = new Map<string, string>();
  if (!opts.destroy) {
    for (const from of movedTo.keys()) {
      if (!(from in oldSvcs) || from in newSvcs) continue;
      let to = movedTo.get(from) as string;
      const seen = new Set([from]);
      while (!(to in newSvcs) && movedTo.has(to) && !seen.has(to)) {
        seen.add(to);
        to = movedTo.get(to) as string;
      }
      if (to in newSvcs && !(to in oldSvcs) && !renameFrom.has(to)) {
        renameFrom.set(to, from);
        renameTo.set(from, to);
      }
    }
  }

  const newReverse = reverseGraph(newSvcs, (s) => s.dependencies);
  const oldReverse = reverseGraph(oldSvcs, (s) => s.definition.dependencies);

  // After the apply a service runs if it is not `down` (oneshots have no such flag), or if a
  // service that runs needs it: s6-rc brings dependencies up with their dependents.
  const afterUp = new Set<string>();
  const neededBy = new Map<string, string>();
  {
    const stack: string[] = [];
    for (const n in newSvcs) {
      const s = newSvcs[n] as CompiledService;
      if (s.type === 'oneshot' || !s.down) {
        afterUp.add(n);
        stack.push(n);
      }
    }
    while (stack.length) {
      const n = stack.pop() as string;
      for (const d of newSvcs[n]?.dependencies ?? []) {
        if (!afterUp.has(d) && d in newSvcs) {
          afterUp.add(d);
          neededBy.set(d, n);
          stack.push(d);
        }
      }
    }
  }

  // Operator holds (rcform up / down) override the source's run states: held down takes the
  // service and what needs it down, held up brings it and what it needs up. The source's own
  // answer is kept beside, so the plan can say what each hold keeps from happening.
  const sourceUp = new Set(afterUp);
  const holdsInEffect = applyHolds(state.holds ?? {}, newSvcs, oldSvcs, afterUp, neededBy);

  // Scope: --target limits the plan to the named services and what they need; --destroy with
  // --target also takes the services that need them, which cannot run without them.
  let scopeNew: Set<string> | null = null;
  let scopeOld: Set<string> | null = null;
  if (opts.target.length > 0) {
    scopeNew = new Set();
    scopeOld = new Set();
    for (const t of opts.target) {
      const hit = resolveAddress(t, compiled, newSvcs, oldSvcs);
      if (hit.length === 0) problems.push(`--target ${t}: no service or bundle has this address or name.${addressHint(t, compiled, newSvcs, oldSvcs)}`);
      for (const n of hit) {
        if (n in newSvcs) closureInto(n, newSvcs, scopeNew);
        if (n in oldSvcs) scopeOld.add(n);
        if (renameFrom.has(n)) scopeOld.add(renameFrom.get(n) as string);
      }
    }
    for (const n of scopeNew) {
      if (n in oldSvcs) scopeOld.add(n);
      const from = renameFrom.get(n);
      if (from) scopeOld.add(from);
    }
    if (opts.destroy) {
      const stack = [...scopeOld];
      while (stack.length) {
        for (const d of oldReverse.get(stack.pop() as string) ?? []) {
          if (!scopeOld.has(d)) {
            scopeOld.add(d);
            stack.push(d);
          }
        }
      }
    }
  }

  const replaceNames = new Set<string>();
  for (const r of opts.replace) {
    const hit = resolveAddress(r, compiled, newSvcs, oldSvcs).filter((n) => n in newSvcs);
    if (hit.length === 0) problems.push(`--replace ${r}: no service in the compiled database has this address or name.${addressHint(r, compiled, newSvcs, {})}`);
    for (const n of hit) replaceNames.add(n);
  }

  const entries = new Map<string, Entry>();
  const drift: DriftEntry[] = [];

  const isRunning = (name: string, ss: State['services'][string]): { running: boolean; absent: boolean; notReady: boolean; obs: string; since?: string } => {
    if (!observed) return { running: ss.desired === 'up', absent: false, notReady: false, obs: ss.desired };
    const st = observed[name];
    if (!st) return { running: false, absent: ss.type === 'longrun', notReady: false, obs: 'absent' };
    // Only readiness makes "starting" last: without notification_fd a longrun is up once spawned,
    // and "starting" is the moment before that (or s6-supervise between two spawns).
    const notReady = st.state === 'starting' && ss.definition.type === 'longrun' && ss.definition.notification_fd !== undefined;
    return { running: RUNNING.has(st.state), absent: false, notReady, obs: st.state, ...(notReady && st.since ? { since: st.since } : {}) };
  };

  const addEntry = (oldName: string | undefined, newName: string | undefined): void => {
    const key = (newName ?? oldName) as string;
    const ss = oldName !== undefined ? oldSvcs[oldName] : undefined;
    const before = ss ? ss.definition : null;
    const after = newName !== undefined ? (newSvcs[newName] as CompiledService) : null;
    let runningBefore = false;
    let absent = false;
    let notReady = false;
    let incomplete = false;
    let driftEntry: DriftEntry | null = null;
    const recordedUp = ss?.desired === 'up';
    if (ss && oldName !== undefined) {
      const r = isRunning(oldName, ss);
      runningBefore = r.running;
      absent = r.absent;
      notReady = r.notReady;
      incomplete = notReady && startIncomplete(ss);
      // A service starting and not ready is drift even when recorded up: the state promises a
      // service that is up, and what depends on it must not start before it is ready.
      if (observed && (r.running !== recordedUp || r.absent || r.notReady)) {
        driftEntry = {
          address: ss.address,
          name: oldName,
          type: ss.type === 'oneshot' ? 'oneshot' : 'longrun',
          recorded: ss.desired,
          observed: r.obs,
          // `r.absent` is for longruns only (they are installed again); a oneshot the engine has
          // no record of is just as unknown to it, and an operator reads one wording for both.
          detail: r.obs === 'absent'
            ? `recorded ${ss.desired}, but the engine does not know it`
            : r.notReady
              ? `recorded ${ss.desired}, but the engine reports it starting and not ready${sinceText(r.since, input.now)}${incomplete ? ': its start did not complete' : ''}`
              : `recorded ${ss.desired}, but the engine reports it ${r.obs}`,
          ...(r.since ? { since: r.since } : {}),
        };
        drift.push(driftEntry);
      }
    }
    entries.set(key, {
      key,
      oldName,
      newName,
      before,
      after,
      recordedUp,
      runningBefore,
      afterUp: newName !== undefined && afterUp.has(newName),
      absent,
      notReady,
      startIncomplete: incomplete,
      ...(ss?.partial_run ? { partialRun: ss.partial_run } : {}),
      drift: driftEntry,
      changed: [],
      restartPaths: [],
      mode: 'none',
      reasons: [],
    });
  };

  // A service that is the same on both sides and runs as it should needs no entry: most of a
  // large plan's services, and their entries were most of its time. One that a restart reaches is
  // given its entry then, as one outside --target is.
  const settled = (n: string, ss: State['services'][string]): boolean => {
    const before = ss.definition;
    const after = newSvcs[n] as CompiledService;
    if (before.type !== after.type || replaceNames.has(n)) return false;
    const r = isRunning(n, ss);
    if (r.absent || r.notReady || r.running !== afterUp.has(n) || (observed !== null && r.running !== (ss.desired === 'up'))) return false;
    return changedPaths(before, after).length === 0;
  };
  for (const n in newSvcs) {
    if (scopeNew && !scopeNew.has(n)) continue;
    const from = renameFrom.get(n);
    if (from !== undefined) addEntry(from, n);
    else {
      const ss = oldSvcs[n];
      if (ss && settled(n, ss)) continue;
      addEntry(ss ? n : undefined, n);
    }
  }
  for (const n of Object.keys(oldSvcs)) {
    if (n in newSvcs || renameTo.has(n)) continue;
    if (scopeOld && !scopeOld.has(n)) continue;
    addEntry(n, undefined);
  }

  // Classify each service by what changed.
  for (const e of entries.values()) classify(e, opts, replaceNames, neededBy, holdsInEffect);

  // A restart stops the services that need it and are up; they start again after it.
  const byNew = new Map<string, Entry>();
  for (const e of entries.values()) if (e.newName !== undefined) byNew.set(e.newName, e);
  const queue = [...entries.values()].filter((e) => stopsAndStartsAgain(e));
  for (let i = 0; i < queue.length; i++) {
    const r = queue[i] as Entry;
    for (const dn of newReverse.get(r.newName as string) ?? []) {
      let d = byNew.get(dn);
      if (!d) {
        // Settled, or outside --target: a restart must still take its dependents down and up again.
        if (!(dn in newSvcs)) continue;
        const from = renameFrom.get(dn);
        addEntry(from ?? (dn in oldSvcs ? dn : undefined), dn);
        d = entries.get(dn) as Entry;
        classify(d, opts, replaceNames, neededBy, holdsInEffect);
        byNew.set(dn, d);
      }
      if (!d.runningBefore || !d.afterUp || stopsAndStartsAgain(d) || d.mode === 'install' || d.mode === 'type') continue;
      d.mode = 'restart';
      d.causedBy = (r.after as CompiledService).address;
      d.reasons.unshift({ code: 'dependency_restarted', text: `${d.causedBy} is restarted` });
      queue.push(d);
    }
  }

  // Build the changes and the steps.
  const graph = new StepGraph();
  const stopStepOfOld = new Map<string, string>();
  const startStepOfNew = new Map<string, string>();
  const changes: ResourceChange[] = [];

  // In the order the entries would have had with every service given one: the services of the
  // plan's scope in the database's order, those gone from it, then those reached outside --target.
  // The order steps are added in is the order of ties among them.
  const ordered: Entry[] = [];
  for (const n in newSvcs) {
    if (scopeNew && !scopeNew.has(n)) continue;
    const e = byNew.get(n);
    if (e) ordered.push(e);
  }
  for (const e of entries.values()) if (e.newName === undefined || (scopeNew && !scopeNew.has(e.newName))) ordered.push(e);

  for (const e of ordered) {
    const actions = actionsOf(e);
    if (actions.length === 0) continue;
    const stopping = e.runningBefore && (!e.afterUp || e.mode === 'restart' || e.mode === 'remove' || e.mode === 'type');
    if (stopping) {
      const def = e.before as CompiledService;
      if (def.essential && !opts.allow_essential) {
        const verb = e.mode === 'restart' ? 'restart' : 'stop';
        problems.push(`${def.address} is essential: this plan would ${verb} it (${reasonText(e)}); use --allow-essential to allow it`);
      }
    }
    const first = e.reasons[0] as { code: ActionReason; text: string };
    const change: ResourceChange = {
      address: (e.after ?? e.before)?.address as string,
      name: e.key,
      type: (e.after ?? e.before)?.type as 'longrun' | 'oneshot',
      actions,
      action_reason: first.code,
      reason: reasonText(e),
      before: e.before,
      after: e.after,
      before_state: e.before ? (e.runningBefore ? 'up' : 'down') : null,
      after_state: e.after ? (e.afterUp ? 'up' : 'down') : null,
      changed_paths: e.changed,
      restart_paths: e.restartPaths,
    };
    if (e.oldName !== undefined && e.newName !== undefined && e.oldName !== e.newName) {
      change.previous_name = e.oldName;
      change.previous_address = (e.before as CompiledService).address;
    }
    if (e.causedBy) change.caused_by = e.causedBy;
    changes.push(change);
    addSteps(e, stopping, first.text, graph, stopStepOfOld, startStepOfNew);
  }

  if (problems.length > 0) throw new PlanError(problems);

  // Stops: dependents first, following the graph that is running now.
  for (const [name, id] of stopStepOfOld) {
    walk(name, (n) => oldReverse.get(n), (n) => {
      const dep = stopStepOfOld.get(n);
      if (dep === undefined) return false;
      graph.edge(dep, id);
      return true;
    });
  }
  // Starts: dependencies first, following the graph being applied.
  for (const [name, id] of startStepOfNew) {
    walk(name, (n) => newSvcs[n]?.dependencies, (n) => {
      const dep = startStepOfNew.get(n);
      if (dep === undefined) return false;
      graph.edge(dep, id);
      return true;
    });
  }

  const { steps, edges } = graph.ordered();
  const holds: HoldEntry[] = [];
  for (const [n, h] of holdsInEffect) {
    const svc = newSvcs[n] as CompiledService;
    const held = afterUp.has(n) ? 'up' : 'down';
    const source = sourceUp.has(n) ? 'up' : 'down';
    if (held !== source) holds.push({ address: svc.address, name: n, held, source, requested: h.requested, since: h.at });
  }
  holds.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  drift.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    format_version: PLAN_FORMAT_VERSION,
    compiled_hash: opts.destroy ? null : (compiled?.hash ?? null),
    options: opts,
    drift,
    ...(holds.length > 0 ? { holds } : {}),
    resource_changes: changes,
    summary: summarize(changes),
    steps,
    edges,
  };
}

/**
 * Applies the state's holds to `afterUp` (the services that run after the plan) and returns the
 * holds that concern a service of the new database, with the hold that decided it. A hold on a
 * service no longer in the source ends with it.
 */
function applyHolds(
  holds: NonNullable<State['holds']>,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
  afterUp: Set<string>,
  neededBy: Map<string, string>,
): Map<string, { state: 'up' | 'down'; requested: string; at: string }> {
  const decided = new Map<string, { state: 'up' | 'down'; requested: string; at: string }>();
  const names = Object.keys(holds).filter((n) => n in newSvcs && n in oldSvcs);
  if (names.length === 0) return decided;
  // Up first, then down: what an operator took down stays down even if a held-up service needs
  // it (rcform up releases the down holds it overrides, so the two meet only in a hand-made state).
  for (const n of names) {
    const h = holds[n] as NonNullable<State['holds']>[string];
    if (h.state !== 'up') continue;
    const stack = [n];
    while (stack.length) {
      const m = stack.pop() as string;
      if (!decided.has(m)) decided.set(m, h);
      if (afterUp.has(m) && m !== n) continue;
      afterUp.add(m);
      for (const d of newSvcs[m]?.dependencies ?? []) if (d in newSvcs && !afterUp.has(d)) stack.push(d);
    }
  }
  const reverse = reverseGraph(newSvcs, (s) => s.dependencies);
  for (const n of names) {
    const h = holds[n] as NonNullable<State['holds']>[string];
    if (h.state !== 'down') continue;
    const stack = [n];
    const seen = new Set<string>();
    while (stack.length) {
      const m = stack.pop() as string;
      if (seen.has(m)) continue;
      seen.add(m);
      decided.set(m, h);
      afterUp.delete(m);
      neededBy.delete(m);
      for (const d of reverse.get(m) ?? []) stack.push(d);
    }
  }
  return decided;
}

function classify(e: Entry, opts: PlanOptions, replaceNames: Set<string>, neededBy: Map<string, string>, holds: ReadonlyMap<string, { state: 'up' | 'down'; requested: string }>): void {
  const { before, after } = e;
  if (!before && after) {
    e.mode = 'install';
    e.reasons.push({ code: 'new', text: e.afterUp ? 'it is new' : 'it is new (down = true)' });
    return;
  }
  if (before && !after) {
    e.mode = 'remove';
    e.reasons.push(opts.destroy ? { code: 'destroy', text: 'destroy was requested' } : { code: 'gone', text: 'it is no longer in the source' });
    return;
  }
  if (!before || !after) return;
  if (before.type !== after.type) {
    e.mode = 'type';
    e.changed = ['type'];
    e.restartPaths = ['type'];
    e.reasons.push({ code: 'type_changed', text: `its type changed from ${before.type} to ${after.type}` });
    return;
  }
  if (e.absent) {
    e.mode = 'reinstall';
    e.changed = changedPaths(before, after);
    e.reasons.push({ code: 'drift', text: 'the engine does not know it' });
    return;
  }

  e.changed = changedPaths(before, after);
  const inPlace = after.type === 'oneshot' ? ONESHOT_IN_PLACE : IN_PLACE;
  const needsProcess = e.changed.filter((p) => !inPlace.has(topField(p)));
  const renamed = e.oldName !== e.newName;

  if (replaceNames.has(after.name) && e.runningBefore && e.afterUp) {
    e.mode = 'restart';
    e.reasons.push({ code: 'replace_requested', text: 'its replacement was requested (--replace)' });
  } else if (needsProcess.length > 0) {
    // Paths name map keys, and a key can come from a sensitive value.
    const hidden = [...before.sensitive_paths, ...after.sensitive_paths];
    const list = redactPaths(needsProcess, hidden).join(', ');
    if (after.type === 'longrun') {
      const onChange = after.lifecycle?.on_change ?? 'restart';
      const dataOnly = needsProcess.every((p) => topField(p) === 'data');
      if (onChange === 'ignore') {
        e.mode = 'update';
        e.reasons.push({ code: 'lifecycle_ignore', text: `${list} changed and lifecycle.on_change is "ignore"` });
      } else if (onChange === 'reload') {
        e.mode = e.runningBefore && e.afterUp ? 'reload' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'lifecycle_reload', text: `${list} changed and lifecycle.on_change is "reload"` });
      } else if (dataOnly && after.reload_signal) {
        e.mode = e.runningBefore && e.afterUp ? 'reload' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'data_reload', text: `${list} changed and reload_signal is ${after.reload_signal}` });
      } else {
        e.mode = e.runningBefore && e.afterUp ? 'restart' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'definition_changed', text: `${list} changed` });
      }
    } else {
      e.mode = e.runningBefore && e.afterUp ? 'restart' : 'update';
      e.restartPaths = needsProcess;
      e.reasons.push({ code: 'definition_changed', text: `${list} changed` });
    }
  } else if (e.changed.length > 0) {
    e.mode = 'update';
    const listed = redactPaths(e.changed.filter((p) => p !== 'down'), [...before.sensitive_paths, ...after.sensitive_paths]);
    e.reasons.push(
      listed.length > 0
        ? { code: 'in_place_fields', text: `${listed.join(', ')} changed, which needs no restart` }
        : { code: 'down_flipped', text: `down changed to ${(after as { down?: unknown }).down}` },
    );
  }

  // Whether it runs: `down` flipped, drift corrected, or needed (or no longer) by a dependent.
  if (e.runningBefore !== e.afterUp && e.mode !== 'restart') {
    let r: { code: ActionReason; text: string };
    const hold = holds.get(after.name);
    if (e.drift && e.recordedUp === e.afterUp) {
      r = { code: 'drift', text: `${e.drift.detail}` };
    } else if (hold && (hold.state === 'up') === e.afterUp) {
      r = { code: 'operator_hold', text: `rcform ${hold.state} ${hold.requested} holds it ${hold.state}` };
    } else if (before.type === 'longrun' && after.type === 'longrun' && before.down !== after.down) {
      r = { code: 'down_flipped', text: `down changed to ${after.down}` };
    } else if (e.afterUp && neededBy.has(after.name)) {
      r = { code: 'needed_by_dependent', text: `${after.name} is down = true, but ${neededBy.get(after.name)} needs it` };
    } else if (e.afterUp) {
      // Installed and recorded down, as an apply that failed or was interrupted before its start leaves it.
      r = { code: 'not_running', text: 'it is installed but not running' };
    } else {
      r = { code: 'needed_by_dependent', text: 'it is down = true and nothing that stays up needs it' };
    }
    if (r.code === 'down_flipped') e.reasons = e.reasons.filter((x) => x.code !== 'down_flipped');
    e.reasons.unshift(r);
  }
  if (e.partialRun && (e.after ?? e.before)?.type === 'oneshot') {
    // Said wherever it applies, in every view: oneshots run at least once across a crash, never
    // at most once, so their commands must bear being run again over a partial run.
    const p = e.partialRun;
    const again = p.direction === 'up' ? e.afterUp && !e.runningBefore : !e.afterUp && e.runningBefore;
    e.reasons = e.reasons.filter((r) => r.code !== 'not_running');
    e.reasons.unshift({
      code: 'interrupted_run',
      text: `its ${p.direction} (${p.step_id}) was cut off by a crash of apply ${p.apply_id} at ${p.since}, so it may have run partly${
        again ? `; oneshots run at least once across a crash: apply stops what is left of that run, then runs ${p.direction} again` : ''
      }`,
    });
  }
  if (waitsForReadiness(e)) {
    // s6-rc after a crash runs the start again: it waits for readiness within timeout-up, and
    // does not kill a process that may only be slow to get ready (a database replaying its log).
    // `--replace` restarts it instead, for an operator who knows it is stuck.
    const up = after.timeouts.up_ms;
    const limit = up > 0 ? `within timeout_up (${durationText(up)})` : 'with no limit (timeout_up is not set)';
    e.reasons.unshift({
      code: 'not_ready',
      text: `${e.startIncomplete ? 'its start did not complete: ' : ''}it is starting but not ready; apply waits for its readiness ${limit}`,
    });
  }
  if (renamed) e.reasons.push({ code: 'moved', text: `a moved block renames ${e.oldName} to ${e.newName}` });
}

/** A service left starting and not ready, which stays up and is not restarted: apply waits for it. */
function waitsForReadiness(e: Entry): boolean {
  return e.notReady && e.runningBefore && e.afterUp && (e.mode === 'none' || e.mode === 'update' || e.mode === 'reload');
}

/** Whether the state shows a start of it that never completed, rather than a ready service the supervisor is respawning. */
function startIncomplete(ss: State['services'][string]): boolean {
  return ss.desired === 'down' || ss.observed?.state === 'starting';
}

function sinceText(since: string | undefined, now: string | undefined): string {
  if (!since) return '';
  const ago = now ? Date.parse(now) - Date.parse(since) : Number.NaN;
  return Number.isFinite(ago) ? ` since ${since} (${elapsedText(ago)} before this plan)` : ` since ${since}`;
}

function stopsAndStartsAgain(e: Entry): boolean {
  return e.mode === 'restart' || (e.mode === 'type' && e.runningBefore && e.afterUp) || (e.mode === 'reinstall' && e.afterUp);
}

function actionsOf(e: Entry): ChangeAction[] {
  const renamed = e.oldName !== undefined && e.newName !== undefined && e.oldName !== e.newName;
  const a: ChangeAction[] = [];
  switch (e.mode) {
    case 'install':
      return e.afterUp ? ['install', 'start'] : ['install'];
    case 'remove':
      return e.runningBefore ? ['stop', 'remove'] : ['remove'];
    case 'type':
      if (e.runningBefore) a.push('stop');
      a.push('remove', 'install');
      if (e.afterUp) a.push('start');
      return a;
    case 'reinstall':
      return e.afterUp ? ['install', 'start'] : ['install'];
    default:
  }
  if (renamed) a.push('rename');
  if (e.mode === 'restart') a.push('restart');
  else if (e.mode === 'reload') a.push('reload');
  else {
    if (e.mode === 'update') a.push('update');
    if (e.runningBefore && !e.afterUp) a.push('stop');
    if (!e.runningBefore && e.afterUp) a.push('start');
  }
  if (waitsForReadiness(e)) a.push('start');
  return a;
}

function reasonText(e: Entry): string {
  return e.reasons.map((r) => r.text).join('; ');
}

function addSteps(
  e: Entry,
  stopping: boolean,
  reason: string,
  graph: StepGraph,
  stopStepOfOld: Map<string, string>,
  startStepOfNew: Map<string, string>,
): void {
  const before = e.before;
  const after = e.after;
  const chain: string[] = [];
  const step = (action: StepAction, svc: CompiledService, extra: Partial<PlanStep> = {}): void => {
    const timeout =
      action === 'stop' || action === 'oneshot_down' ? svc.timeouts.down_ms : action === 'start' || action === 'oneshot_up' ? svc.timeouts.up_ms : 0;
    const id = graph.add({ id: `${action}:${svc.name}`, action, service: svc.name, address: svc.address, reason, timeout_ms: timeout, ...extra });
    chain.push(id);
    if (action === 'stop' || action === 'oneshot_down') stopStepOfOld.set(svc.name, id);
    if (action === 'start' || action === 'oneshot_up') startStepOfNew.set(svc.name, id);
  };
  const stopKind = (s: CompiledService): StepAction => (s.type === 'oneshot' ? 'oneshot_down' : 'stop');
  const startKind = (s: CompiledService): StepAction => (s.type === 'oneshot' ? 'oneshot_up' : 'start');

  if (stopping && before) step(stopKind(before), before);
  switch (e.mode) {
    case 'remove':
      step('uninstall', before as CompiledService);
      break;
    case 'type':
      step('uninstall', before as CompiledService);
      step('install', after as CompiledService);
      break;
    case 'install':
    case 'reinstall':
      step('install', after as CompiledService);
      break;
    default: {
      if (!after) break;
      const renamed = e.oldName !== e.newName;
      if (renamed) step('rename', after, { from: e.oldName as string });
      else if (e.changed.length > 0) step('update', after);
      if (e.mode === 'reload') step('reload', after);
    }
  }
  if (after && e.afterUp && (!e.runningBefore || stopping || e.mode === 'reinstall' || waitsForReadiness(e))) step(startKind(after), after);
  for (let i = 1; i < chain.length; i++) graph.edge(chain[i - 1] as string, chain[i] as string);
}

function reverseGraph<T>(svcs: Record<string, T>, dependenciesOf: (s: T) => readonly string[]): Map<string, string[]> {
  const rev = new Map<string, string[]>();
  for (const n in svcs) {
    for (const d of dependenciesOf(svcs[n] as T)) {
      let l = rev.get(d);
      if (!l) rev.set(d, (l = []));
      l.push(n);
    }
  }
  return rev;
}

function closureInto(name: string, svcs: Record<string, CompiledService>, into: Set<string>): void {
  const stack = [name];
  while (stack.length) {
    const n = stack.pop() as string;
    if (into.has(n)) continue;
    into.add(n);
    for (const d of svcs[n]?.dependencies ?? []) if (d in svcs) stack.push(d);
  }
}

/** Walks from `start` along `next`, stopping at nodes for which `hit` returns true. */
function walk(start: string, next: (n: string) => readonly string[] | undefined, hit: (n: string) => boolean): void {
  const seen = new Set<string>([start]);
  const stack = [...(next(start) ?? [])];
  while (stack.length) {
    const n = stack.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    if (hit(n)) continue;
    for (const m of next(n) ?? []) if (!seen.has(m)) stack.push(m);
  }
}

/**
 * An address (`longrun.db`, `bundle.web`, `longrun.getty["tty1"]`), the address of a whole
 * `for_each` block (`longrun.getty`: every instance, as Terraform reads a resource address without
 * its key) or a bare name, to service names; bundles expand.
 */
export function resolveAddress(
  target: string,
  compiled: CompiledDb | null,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
): string[] {
  const out = new Set<string>();
  const means = (address: string, name: string): boolean => address === target || name === target || blockAddress(address) === target;
  for (const s of Object.values(newSvcs)) if (means(s.address, s.name)) out.add(s.name);
  for (const [n, s] of Object.entries(oldSvcs)) if (means(s.address, n)) out.add(n);
  for (const b of Object.values(compiled?.bundles ?? {})) if (means(b.address, b.name)) for (const m of b.members) out.add(m);
  return [...out];
}

/** `longrun.getty` for `longrun.getty["tty1"]`; undefined for an address without a key. */
function blockAddress(address: string): string | undefined {
  const i = address.indexOf('[');
  return i < 0 ? undefined : address.slice(0, i);
}

/** ` Did you mean "..."?` for an address that matched nothing: among every address and name the plan knows. */
function addressHint(given: string, compiled: CompiledDb | null, newSvcs: Record<string, CompiledService>, oldSvcs: State['services']): string {
  const known = new Set<string>();
  const add = (address: string, name: string): void => {
    known.add(address);
    known.add(name);
    const block = blockAddress(address);
    if (block) known.add(block);
  };
  for (const s of Object.values(newSvcs)) add(s.address, s.name);
  for (const [n, s] of Object.entries(oldSvcs)) add(s.address, n);
  for (const b of Object.values(compiled?.bundles ?? {})) add(b.address, b.name);
  return didYouMean(given, known);
}
