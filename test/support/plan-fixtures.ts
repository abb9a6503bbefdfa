import { createHash } from 'node:crypto';
import type { CompiledDb, CompiledLongrun, CompiledOneshot, CompiledService, MovedEntry } from '../../lang/compile/compiled-db.js';
import type { ServiceStatus } from '../../engine/engine.js';
import type { State } from '../../state/state-types.js';

// Hand-built compiled databases and live states for planner tests: derived fields
// reverse dependencies, rank, hashes) are computed here as the compiler does, so tests only say
// what matters to them.

export function longrun(name: string, o: Partial<CompiledLongrun> = {}): CompiledLongrun {
  return {
    type: 'longrun',
    name,
    address: `longrun.${name}`,
    essential: false,
    dependencies: [],
    reverse_dependencies: [],
    rank: 0,
    definition_hash: '',
    sensitive_paths: [],
    run: { argv: [`/usr/bin/${name}`, '--foreground'] },
    down: false,
    env: {},
    timeouts: { up_ms: 5000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 },
    down_signal: 'SIGTERM',
    max_death_tally: 100,
    data: {},
    consumer_for: [],
    lifecycle: { on_change: 'restart' },
    ...o,
  };
}

export function oneshot(name: string, o: Partial<CompiledOneshot> = {}): CompiledOneshot {
  return {
    type: 'oneshot',
    name,
    address: `oneshot.${name}`,
    essential: false,
    dependencies: [],
    reverse_dependencies: [],
    rank: 0,
    definition_hash: '',
    sensitive_paths: [],
    up: { script: `#!/bin/sh\necho setting up ${name}\n` },
    env: {},
    timeouts: { up_ms: 10000, down_ms: 10000 },
    ...o,
  };
}

export function db(services: CompiledService[], moved: MovedEntry[] = []): CompiledDb {
  const byName: Record<string, CompiledService> = {};
  for (const s of services) byName[s.name] = structuredClone(s);
  for (const s of Object.values(byName)) {
    s.dependencies = [...s.dependencies].sort();
    s.reverse_dependencies = Object.values(byName)
      .filter((o) => o.dependencies.includes(s.name))
      .map((o) => o.name)
      .sort();
  }
  const rank = (n: string): number => Math.max(-1, ...(byName[n]?.dependencies ?? []).map(rank)) + 1;
  for (const s of Object.values(byName)) {
    s.rank = rank(s.name);
    const { definition_hash: _h, ...rest } = s;
    s.definition_hash = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
  }
  const out: CompiledDb = { format_version: '1', hash: '', services: byName, bundles: {}, moved };
  out.hash = createHash('sha256').update(JSON.stringify(out)).digest('hex');
  return out;
}

/** The live state after applying `compiled`: everything installed, up unless `down`. */
export function stateOf(compiled: CompiledDb, o: { down?: string[]; serial?: number } = {}): State {
  const services: State['services'] = {};
  const up = new Set<string>();
  const bring = (n: string): void => {
    if (up.has(n)) return;
    up.add(n);
    for (const d of compiled.services[n]?.dependencies ?? []) bring(d);
  };
  for (const s of Object.values(compiled.services)) if (s.type === 'oneshot' || !s.down) bring(s.name);
  for (const d of o.down ?? []) up.delete(d);
  for (const s of Object.values(compiled.services)) {
    services[s.name] = {
      address: s.address,
      type: s.type,
      definition: structuredClone(s),
      definition_hash: s.definition_hash,
      desired: up.has(s.name) ? 'up' : 'down',
    };
  }
  return {
    format_version: 1,
    lineage: '6f1c2d0e-0000-4000-8000-000000000001',
    serial: o.serial ?? 7,
    engine: { kind: 'embedded' },
    compiled_hash: compiled.hash,
    services,
  };
}

/** What the engine would report for `state` when everything is as recorded, with overrides. */
export function statusOf(state: State, overrides: Record<string, ServiceStatus['state'] | 'absent'> = {}): Record<string, ServiceStatus> {
  const out: Record<string, ServiceStatus> = {};
  for (const [n, s] of Object.entries(state.services)) {
    const st = overrides[n] ?? (s.desired === 'up' ? (s.type === 'longrun' ? 'ready' : 'up') : 'down');
    if (st === 'absent') continue;
    out[n] = { name: n, type: s.type as 'longrun' | 'oneshot', wanted: s.desired, state: st, since: '2026-01-01T00:00:00.000Z', restarts: 0 };
  }
  return out;
}
