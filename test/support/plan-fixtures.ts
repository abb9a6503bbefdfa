import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { plan, type PlanInput } from '../../planner/plan/plan.js';
import type { Plan } from '../../planner/plan-types.js';
import type { ServiceStatus } from '../../engine/engine.js';
import { STATE_FORMAT_VERSION, type State } from '../../state/state-types.js';

// Live states and engine reports for planner tests, built from the compiled databases of
// compiled-fixture.ts (re-exported here, so a planner test imports one module).

export { db, longrun, oneshot } from './compiled-fixture.js';

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
    format_version: STATE_FORMAT_VERSION,
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

/**
 * The plan for `input`. One that cannot be made throws an Error of its diagnostics' summaries, one
 * a line, so a test of a plan that must be made fails with the reason.
 */
export function planned(input: PlanInput): Plan {
  const r = plan(input);
  if (!r.plan) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'));
  return r.plan;
}
