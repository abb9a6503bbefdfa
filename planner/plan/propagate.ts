import type { CompiledService } from '../../lang/compile/compiled-db.js';
import type { State } from '../../state/state-types.js';
import { stopsAndStartsAgain } from './classify.js';
import type { Entries, Entry } from './entries.js';
import type { Renames } from './renames.js';

/**
 * A restart stops the services that need it and are up; they start again after it. A dependent
 * that has no entry (settled, or outside --target) is given one, classified by `classify`, since
 * a restart must still take it down and up again. Returns the entries by new name.
 */
export function propagateRestarts(
  entries: Entries,
  newReverse: ReadonlyMap<string, readonly string[]>,
  newSvcs: Record<string, CompiledService>,
  oldSvcs: State['services'],
  renamed: Renames,
  classify: (e: Entry) => void,
): Map<string, Entry> {
  const byNew = new Map<string, Entry>();
  for (const e of entries.byKey.values()) if (e.newName !== undefined) byNew.set(e.newName, e);
  const queue = [...entries.byKey.values()].filter((e) => stopsAndStartsAgain(e));
  for (let i = 0; i < queue.length; i++) {
    const r = queue[i] as Entry;
    for (const dn of newReverse.get(r.newName as string) ?? []) {
      let d = byNew.get(dn);
      if (!d) {
        if (!(dn in newSvcs)) continue;
        const from = renamed.from.get(dn);
        d = entries.add(from ?? (dn in oldSvcs ? dn : undefined), dn);
        classify(d);
        byNew.set(dn, d);
      }
      if (!d.runningBefore || !d.afterUp || stopsAndStartsAgain(d) || d.mode === 'install' || d.mode === 'type') continue;
      d.mode = 'restart';
      d.causedBy = (r.after as CompiledService).address;
      d.reasons.unshift({ code: 'dependency_restarted', text: `${d.causedBy} is restarted` });
      queue.push(d);
    }
  }
  return byNew;
}
