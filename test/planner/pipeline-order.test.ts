import { describe, expect, test } from '@jest/globals';
import type { Plan } from '../../planner/plan-types.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { renderDot } from '../../lang/compile/graph.js';
import { compileText } from '../support/lang-harness.js';
import { planned, stateOf, statusOf } from '../support/plan-fixtures.js';

// In s6-rc a producer depends on its consumer, so that a logger is up before anything writes to
// it and goes down after the last writer: no line is lost. Plans over a compiled pipeline
// (app → app-log → archive, with a named pipeline bundle) must order every step that way.

const SRC = `
longrun "archive" {
  run           = ["/bin/cat"]
  consumer_for  = [longrun.app-log]
  pipeline_name = "app-pipeline"
}
longrun "app-log" {
  run          = ["/bin/cat"]
  producer_for = longrun.archive
  consumer_for = [longrun.app]
}
longrun "app" {
  run          = ["/bin/sh", "-c", "echo hi; exec sleep 100"]
  producer_for = longrun.app-log
}
oneshot "after" {
  up         = ["true"]
  depends_on = [bundle.app-pipeline]
}
`;

function compiled(src = SRC): CompiledDb {
  const r = compileText({ 'main.hcl': src });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.db as CompiledDb;
}

function hasPath(plan: Plan, from: string, to: string): boolean {
  const succ = new Map<string, string[]>();
  for (const e of plan.edges) succ.set(e.from, [...(succ.get(e.from) ?? []), e.to]);
  const stack = [from];
  const seen = new Set<string>();
  while (stack.length) {
    const n = stack.pop() as string;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(succ.get(n) ?? []));
  }
  return false;
}

const emptyState = (db: CompiledDb) => {
  const s = stateOf({ ...db, services: {} });
  return { ...s, services: {} };
};

describe('a pipeline is planned as s6-rc orders it', () => {
  test('the compiled graph: a producer depends on its consumer; the pipeline bundle names all three', () => {
    const db = compiled();
    expect(db.services['app']?.dependencies).toEqual(['app-log']);
    expect(db.services['app-log']?.dependencies).toEqual(['archive']);
    expect(db.services['archive']?.reverse_dependencies).toEqual(['after', 'app-log']);
    expect(db.bundles['app-pipeline']).toMatchObject({ address: 'bundle.app-pipeline', members: ['app', 'app-log', 'archive'] });
    expect(db.services['after']?.dependencies).toEqual(['app', 'app-log', 'archive']);
    // Ranks order the embedded supervisor's own stop and restart: producers rank above loggers.
    expect(db.services['app']!.rank).toBeGreaterThan(db.services['app-log']!.rank);
    expect(db.services['app-log']!.rank).toBeGreaterThan(db.services['archive']!.rank);
    // rcform graph draws the producer's dependency on its consumer once, as the pipe.
    expect(renderDot(db).split('\n').filter((l) => l.includes('"app" -> "app-log"'))).toEqual(['  "app" -> "app-log" [style=dotted, label="pipe"];']);
  });

  test('first deploy: every logger starts before its producer', () => {
    const db = compiled();
    const p = planned({ compiled: db, state: emptyState(db), observed: {}, options: {} });
    expect(hasPath(p, 'start:archive', 'start:app-log')).toBe(true);
    expect(hasPath(p, 'start:app-log', 'start:app')).toBe(true);
    expect(hasPath(p, 'start:app', 'start:archive')).toBe(false);
  });

  test('destroy: every producer stops before its logger', () => {
    const db = compiled();
    const state = stateOf(db);
    const p = planned({ compiled: db, state, observed: statusOf(state), options: { destroy: true } });
    expect(hasPath(p, 'stop:app', 'stop:app-log')).toBe(true);
    expect(hasPath(p, 'stop:app-log', 'stop:archive')).toBe(true);
    expect(hasPath(p, 'stop:archive', 'stop:app')).toBe(false);
  });

  test('-target of a producer brings its loggers', () => {
    const db = compiled();
    const p = planned({ compiled: db, state: emptyState(db), observed: {}, options: { target: ['longrun.app'] } });
    expect(p.resource_changes.map((c) => c.name).sort()).toEqual(['app', 'app-log', 'archive']);
  });

  test('a logger that is restarted takes its producers down first and up after', () => {
    const before = compiled();
    const after = compiled(SRC.replace('run           = ["/bin/cat"]', 'run           = ["/bin/cat", "-u"]'));
    const state = stateOf(before);
    const p = planned({ compiled: after, state, observed: statusOf(state), options: {} });
    const byName = new Map(p.resource_changes.map((c) => [c.name, c]));
    expect(byName.get('archive')?.actions).toContain('restart');
    expect(byName.get('app-log')?.actions).toContain('restart');
    expect(byName.get('app')?.actions).toContain('restart');
    expect(hasPath(p, 'stop:app', 'stop:app-log')).toBe(true);
    expect(hasPath(p, 'stop:app-log', 'stop:archive')).toBe(true);
    expect(hasPath(p, 'start:archive', 'start:app-log')).toBe(true);
    expect(hasPath(p, 'start:app-log', 'start:app')).toBe(true);
  });
});
