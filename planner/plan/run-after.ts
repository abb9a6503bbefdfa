import type { CompiledService } from '../../lang/compile/compiled-db.js';
import type { State } from '../../state/state-types.js';
import { reverseGraph } from './graph.js';

export interface RunAfter {
  /** The services that run after the apply. */
  up: Set<string>;
  /** A `down` service brought up anyway → the dependent that needs it. */
  neededBy: Map<string, string>;
}

/** What an operator's hold decided for a service: the hold itself. */
export type HoldDecision = { state: 'up' | 'down'; requested: string; at: string };

/**
 * After the apply a service runs if it is not `down` (oneshots have no such flag), or if a
 * service that runs needs it: s6-rc brings dependencies up with their dependents.
 */
export function runAfter(newSvcs: Record<string, CompiledService>): RunAfter {
  const up = new Set<string>();
  const neededBy = new Map<string, string>();
  const stack: string[] = [];
  for (const n in newSvcs) {
    const s = newSvcs[n] as CompiledService;
    if (s.type === 'oneshot' || !s.down) {
      up.add(n);
      stack.push(n);
    }
  }
  while (stack.length) {
    const n = stack.pop() as string;
    for (const d of newSvcs[n]?.dependencies ?? []) {
      if (!up.has(d) && d in newSvcs) {
        up.add(d);
        neededBy.set(d, n);
        stack.push(d);
      }
    }
  }
  return { up, neededBy };
}

/**
 * Operator holds (rcform up / down) override the source's run states: held down takes the
 * service and what needs it down, held up brings it and what it needs up. Applies the state's
 * holds to `run` and returns the holds that concern a service of the new database, with the hold
 * that decided it. A hold on a service no longer in the source ends with it.
 */
export function applyHolds(
  holds: NonNullable<State['holds']>,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
  run: RunAfter,
): Map<string, HoldDecision> {
  const { up: afterUp, neededBy } = run;
  const decided = new Map<string, HoldDecision>();
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
