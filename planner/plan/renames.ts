import type { CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import type { State } from '../../state/state-types.js';

export interface Renames {
  /** New name → the recorded name it takes over. */
  from: Map<string, string>;
  /** Recorded name → the new name that takes it over. */
  to: Map<string, string>;
}

/**
 * `moved` blocks pair a gone name with a new one; chains (a→b, b→c) collapse to a→c. A pair counts
 * only when its old name is recorded and gone from the source and its new name is new to it.
 */
export function renames(compiled: CompiledDb | null, oldSvcs: State['services'], newSvcs: Record<string, CompiledService>, destroy: boolean): Renames {
  const movedTo = new Map<string, string>();
  for (const m of compiled?.moved ?? []) movedTo.set(m.from, m.to);
  const from = new Map<string, string>();
  const to = new Map<string, string>();
  if (destroy) return { from, to };
  for (const old of movedTo.keys()) {
    if (!(old in oldSvcs) || old in newSvcs) continue;
    let target = movedTo.get(old) as string;
    const seen = new Set([old]);
    while (!(target in newSvcs) && movedTo.has(target) && !seen.has(target)) {
      seen.add(target);
      target = movedTo.get(target) as string;
    }
    if (target in newSvcs && !(target in oldSvcs) && !from.has(target)) {
      from.set(target, old);
      to.set(old, target);
    }
  }
  return { from, to };
}
