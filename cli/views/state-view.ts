import { COMPILED_FORMAT_VERSION, type CompiledDb } from '../../lang/compile/compiled-db.js';
import type { FormatVersion } from '../../lang/format-version.js';
import { closuresByName } from '../../lang/compile/closures.js';
import { compiledSchemaDigest } from '../../lang/compile/compile.js';
import type { ServiceState, State } from '../../state/state-types.js';
import { renderServiceDetail } from './compiled-view.js';
import { SENSITIVE_SHORT, redactDefinition } from '../../lang/redact.js';

// Human and JSON views of state.json's entries for the `rcform state` commands. Values that
// came from sensitive variables are masked in both, as they are everywhere outside state.json.

export const STATE_VIEW_FORMAT_VERSION = '1' satisfies FormatVersion;

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
  return { format_version: COMPILED_FORMAT_VERSION, schema: compiledSchemaDigest(), hash: state.compiled_hash ?? '', services, ...closuresByName(services), bundles: {}, moved: [] };
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
    service: { ...entry, definition: redactDefinition(entry.definition, SENSITIVE_SHORT) },
  };
}
