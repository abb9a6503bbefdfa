import type { CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import { objectDiag, type Diagnostic } from '../../lang/diagnostic.js';
import type { State } from '../../state/state-types.js';
import { addressHint, resolveAddress } from './addresses.js';
import { closureInto } from './graph.js';
import type { Renames } from './renames.js';

export interface Scope {
  /** With --target, the new services the plan may touch; null for all. */
  scopeNew: Set<string> | null;
  /** With --target, the recorded services the plan may touch; null for all. */
  scopeOld: Set<string> | null;
  diagnostics: Diagnostic[];
}

/**
 * --target limits the plan to the named services and what they need; --destroy with --target
 * also takes the services that need them, which cannot run without them.
 */
export function targetScope(
  targets: readonly string[],
  destroy: boolean,
  compiled: CompiledDb | null,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
  renamed: Renames,
  oldReverse: ReadonlyMap<string, readonly string[]>,
): Scope {
  const diagnostics: Diagnostic[] = [];
  if (targets.length === 0) return { scopeNew: null, scopeOld: null, diagnostics };
  const scopeNew = new Set<string>();
  const scopeOld = new Set<string>();
  for (const t of targets) {
    const hit = resolveAddress(t, compiled, newSvcs, oldSvcs);
    if (hit.length === 0) {
      diagnostics.push(objectDiag(`--target ${t}: no service or bundle has this address or name.${addressHint(t, compiled, newSvcs, oldSvcs)}`, { option: '--target', value: t }));
    }
    for (const n of hit) {
      if (n in newSvcs) closureInto(n, newSvcs, scopeNew);
      if (n in oldSvcs) scopeOld.add(n);
      if (renamed.from.has(n)) scopeOld.add(renamed.from.get(n) as string);
    }
  }
  for (const n of scopeNew) {
    if (n in oldSvcs) scopeOld.add(n);
    const from = renamed.from.get(n);
    if (from) scopeOld.add(from);
  }
  if (destroy) {
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
  return { scopeNew, scopeOld, diagnostics };
}

/** The services --replace names, among the new database's. */
export function replaceNames(
  replace: readonly string[],
  compiled: CompiledDb | null,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
): { names: Set<string>; diagnostics: Diagnostic[] } {
  const names = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const r of replace) {
    const hit = resolveAddress(r, compiled, newSvcs, oldSvcs).filter((n) => n in newSvcs);
    if (hit.length === 0) {
      diagnostics.push(objectDiag(`--replace ${r}: no service in the compiled database has this address or name.${addressHint(r, compiled, newSvcs, {})}`, { option: '--replace', value: r }));
    }
    for (const n of hit) names.add(n);
  }
  return { names, diagnostics };
}
