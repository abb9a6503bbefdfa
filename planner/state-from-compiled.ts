import type { CompiledDb } from '../lang/compile/compiled-db.js';
import { STATE_FORMAT_VERSION, type EngineConfig, type State } from '../state/state-types.js';

// `--live-from OLD.json` with a compiled database means "live is exactly that": every service of
// the old database installed, and up unless `down` (with the dependencies of what is up), as
// s6-rc-update sees an old compiled database next to a new one. No engine is involved: `engine` is
// only what the state records, given by the caller.

export function stateFromCompiled(db: CompiledDb, engine: EngineConfig): State {
  const up = new Set<string>();
  const stack: string[] = [];
  for (const s of Object.values(db.services)) {
    if (s.type === 'oneshot' || !s.down) {
      up.add(s.name);
      stack.push(s.name);
    }
  }
  while (stack.length) {
    for (const d of db.services[stack.pop() as string]?.dependencies ?? []) {
      if (!up.has(d)) {
        up.add(d);
        stack.push(d);
      }
    }
  }
  const services: State['services'] = {};
  for (const s of Object.values(db.services)) {
    services[s.name] = { address: s.address, type: s.type, definition: s, definition_hash: s.definition_hash, desired: up.has(s.name) ? 'up' : 'down' };
  }
  return {
    format_version: STATE_FORMAT_VERSION,
    lineage: `compiled:${db.hash}`,
    serial: 0,
    engine,
    compiled_hash: db.hash,
    services,
  };
}
