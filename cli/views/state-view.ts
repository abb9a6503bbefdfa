import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { closuresByName } from '../../lang/compile/closures.js';
import { compiledSchemaDigest } from '../../lang/compile/compile.js';
import type { ServiceState, State } from '../../state/state-types.js';
import { renderServiceDetail } from './compiled-view.js';

// Human and JSON views of state.json's entries for the `rcform state` commands. Values that
// came from sensitive variables are masked in both, as they are everywhere outside state.json.

export const STATE_VIEW_FORMAT_VERSION = '1';

export function renderStateList(entries: readonly ServiceState[]): string {
  return entries.map((e) => e.address + '\n').join('');
}

export function stateListJson(state: State, entries: readonly ServiceState[]): unknown {
  return {
    format_version: STATE_VIEW_FORMAT_VERSION,
    lineage: state.lineage,
    serial: state.serial,
    services: entries.map((e) => ({
      address: e.address,
      name: e.definition.name,
      type: e.type,
      desired: e.desired,
      observed: e.observed ?? null,
    })),
  };
}

/** The state's definitions as a compiled database, so the compiled view can answer dependency questions. */
function stateAsDb(state: State): CompiledDb {
  const services = Object.fromEntries(Object.values(state.services).map((e) => [e.definition.name, e.definition]));
  return { format_version: '1', schema: compiledSchemaDigest(), hash: state.compiled_hash ?? '', services, ...closuresByName(services), bundles: {}, moved: [] };
}

export function renderStateShow(state: State, entry: ServiceState): string {
  const observed = entry.observed
    ? `${entry.observed.state}${entry.observed.pid !== undefined ? ` (pid ${entry.observed.pid})` : ''} at ${entry.observed.at}`
    : 'never observed';
  const head = [`# ${entry.address}`, `desired:  ${entry.desired}`, `observed: ${observed}`, ''];
  return head.join('\n') + '\n' + renderServiceDetail(stateAsDb(state), entry.definition);
}

export function stateShowJson(state: State, entry: ServiceState): unknown {
  return {
    format_version: STATE_VIEW_FORMAT_VERSION,
    lineage: state.lineage,
    serial: state.serial,
    service: { ...entry, definition: maskSensitive(entry.definition as unknown as Record<string, unknown>, entry.definition.sensitive_paths ?? []) },
  };
}

/**
 * Replaces the values at dotted `paths` with "(sensitive)". Keys may hold dots themselves
 * (`data.nginx.conf`), so each step takes the longest key that exists.
 */
export function maskSensitive<T extends Record<string, unknown>>(value: T, paths: readonly string[]): T {
  const copy = structuredClone(value);
  for (const p of paths) {
    let node: Record<string, unknown> = copy;
    let rest = p.split('.');
    while (rest.length > 0) {
      let n = rest.length;
      while (n > 0 && !(rest.slice(0, n).join('.') in node)) n--;
      if (n === 0) break;
      const key = rest.slice(0, n).join('.');
      rest = rest.slice(n);
      if (rest.length === 0) node[key] = '(sensitive)';
      else if (node[key] !== null && typeof node[key] === 'object') node = node[key] as Record<string, unknown>;
      else break;
    }
  }
  return copy;
}
