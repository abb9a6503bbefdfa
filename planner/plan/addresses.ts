import type { CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import { didYouMean } from '../../lang/eval/suggest.js';
import type { State } from '../../state/state-types.js';

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
export function addressHint(given: string, compiled: CompiledDb | null, newSvcs: Record<string, CompiledService>, oldSvcs: State['services']): string {
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
