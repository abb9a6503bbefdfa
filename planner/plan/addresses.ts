import type { CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import { blockAddress, meansService } from '../../lang/address.js';
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
  for (const s of Object.values(newSvcs)) if (meansService(target, s)) out.add(s.name);
  for (const [n, s] of Object.entries(oldSvcs)) if (meansService(target, { address: s.address, name: n })) out.add(n);
  for (const b of Object.values(compiled?.bundles ?? {})) if (meansService(target, b)) for (const m of b.members) out.add(m);
  return [...out];
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
