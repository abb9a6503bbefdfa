import { describe, expect, test } from '@jest/globals';
import { plan } from '../../planner/plan/plan.js';
import type { Plan } from '../../planner/plan-types.js';
import type { CompiledLongrun, CompiledService } from '../../lang/compile/compiled-db.js';
import { db, longrun, oneshot, planned, stateOf, statusOf } from '../support/plan-fixtures.js';

const base = () => [
  longrun('db'),
  longrun('web', { dependencies: ['db'] }),
  longrun('proxy', { dependencies: ['web'] }),
  longrun('cron'),
];

function change(plan: Plan, name: string) {
  return plan.resource_changes.find((c) => c.name === name);
}
function stepIds(plan: Plan) {
  return plan.steps.map((s) => s.id);
}
function before(plan: Plan, a: string, b: string) {
  const ids = stepIds(plan);
  expect(ids).toContain(a);
  expect(ids).toContain(b);
  return ids.indexOf(a) < ids.indexOf(b);
}
function hasEdgePath(plan: Plan, from: string, to: string): boolean {
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
function planOf(oldSvcs: CompiledService[], newSvcs: CompiledService[], opts: Parameters<typeof plan>[0]['options'] = {}, moved: { from: string; to: string }[] = []) {
  const state = stateOf(db(oldSvcs));
  return planned({ compiled: db(newSvcs, moved), state, observed: statusOf(state), options: opts });
}

describe('no change', () => {
  test('the same database gives an empty plan', () => {
    const p = planOf(base(), base());
    expect(p.resource_changes).toEqual([]);
    expect(p.steps).toEqual([]);
    expect(p.drift).toEqual([]);
  });
});

describe('new and gone services', () => {
  test('a new service is installed and started, after its dependencies start', () => {
    const state = stateOf(db([]));
    const p = planned({ compiled: db(base()), state, observed: {}, options: {} });
    expect(change(p, 'web')?.actions).toEqual(['install', 'start']);
    expect(change(p, 'web')?.action_reason).toBe('new');
    expect(hasEdgePath(p, 'install:web', 'start:web')).toBe(true);
    expect(hasEdgePath(p, 'start:db', 'start:web')).toBe(true);
    expect(hasEdgePath(p, 'start:web', 'start:proxy')).toBe(true);
    expect(hasEdgePath(p, 'start:cron', 'start:web')).toBe(false);
    expect(p.summary.install).toBe(4);
  });

  test('a new service with down = true is installed and left down', () => {
    const p = planOf(base(), [...base(), longrun('spare', { down: true })]);
    expect(change(p, 'spare')?.actions).toEqual(['install']);
    expect(stepIds(p)).toEqual(['install:spare']);
  });

  test('a down = true dependency of a service that runs is started with it', () => {
    const p = planOf(base(), [...base(), longrun('lazy', { down: true }), longrun('user', { dependencies: ['lazy'] })]);
    expect(change(p, 'lazy')?.actions).toEqual(['install', 'start']);
    expect(hasEdgePath(p, 'start:lazy', 'start:user')).toBe(true);
  });

  test('a gone service is stopped, dependents first, then uninstalled', () => {
    const p = planOf(base(), [longrun('cron')]);
    expect(change(p, 'db')?.actions).toEqual(['stop', 'remove']);
    expect(change(p, 'db')?.reason).toBe('it is no longer in the source');
    expect(hasEdgePath(p, 'stop:proxy', 'stop:web')).toBe(true);
    expect(hasEdgePath(p, 'stop:web', 'stop:db')).toBe(true);
    expect(hasEdgePath(p, 'stop:db', 'uninstall:db')).toBe(true);
    expect(hasEdgePath(p, 'stop:db', 'stop:proxy')).toBe(false);
    expect(p.summary.remove).toBe(3);
  });

  test('a gone service that is down is only uninstalled', () => {
    const p = planOf([...base(), longrun('spare', { down: true })], base());
    expect(change(p, 'spare')?.actions).toEqual(['remove']);
    expect(stepIds(p)).toEqual(['uninstall:spare']);
  });
});

describe('moved', () => {
  test('a rename with an unchanged definition never restarts the process', () => {
    const p = planOf(base(), [longrun('db'), longrun('web', { dependencies: ['db'] }), longrun('edge', { dependencies: ['web'], run: { argv: ['/usr/bin/proxy', '--foreground'] } }), longrun('cron')], {}, [
      { from: 'proxy', to: 'edge' },
    ]);
    const c = change(p, 'edge');
    expect(c?.actions).toEqual(['rename']);
    expect(c?.previous_address).toBe('longrun.proxy');
    expect(stepIds(p)).toEqual(['rename:edge']);
    expect(p.steps[0]?.from).toBe('proxy');
    expect(p.summary.rename).toBe(1);
  });

  test('a rename with a changed run restarts under the new name', () => {
    const p = planOf(base(), [longrun('db'), longrun('web', { dependencies: ['db'] }), longrun('edge', { dependencies: ['web'], run: { argv: ['/usr/bin/edge'] } }), longrun('cron')], {}, [
      { from: 'proxy', to: 'edge' },
    ]);
    expect(change(p, 'edge')?.actions).toEqual(['rename', 'restart']);
    expect(stepIds(p)).toEqual(['stop:proxy', 'rename:edge', 'start:edge']);
  });

  test('without a moved block a rename is a remove and an install', () => {
    const p = planOf(base(), [longrun('db'), longrun('web', { dependencies: ['db'] }), longrun('edge', { dependencies: ['web'] }), longrun('cron')]);
    expect(change(p, 'proxy')?.actions).toEqual(['stop', 'remove']);
    expect(change(p, 'edge')?.actions).toEqual(['install', 'start']);
  });
});

describe('changed definitions', () => {
  const withDb = (o: Partial<CompiledLongrun>) => [longrun('db', o), ...base().slice(1)];

  test('description, timeouts, essential or dependencies alone update in place', () => {
    for (const o of [{ description: 'the database' }, { timeouts: { up_ms: 9, down_ms: 9, kill_ms: 9, finish_ms: 9 } }, { essential: true }]) {
      const p = planOf(base(), withDb(o));
      expect(change(p, 'db')?.actions).toEqual(['update']);
      expect(change(p, 'db')?.action_reason).toBe('in_place_fields');
      expect(stepIds(p)).toEqual(['update:db']);
    }
    const p = planOf(base(), [...base().slice(0, 3), longrun('cron', { dependencies: ['db'] })]);
    expect(change(p, 'cron')?.actions).toEqual(['update']);
    expect(change(p, 'cron')?.changed_paths).toEqual(['dependencies']);
  });

  test('a changed run restarts the service and its up dependents, each with a reason', () => {
    const p = planOf(base(), withDb({ run: { argv: ['/usr/bin/db', '-v'] } }));
    expect(change(p, 'db')?.actions).toEqual(['restart']);
    expect(change(p, 'db')?.restart_paths).toEqual(['run']);
    expect(change(p, 'db')?.reason).toBe('run changed');
    expect(change(p, 'web')?.actions).toEqual(['restart']);
    expect(change(p, 'web')?.reason).toBe('longrun.db is restarted');
    expect(change(p, 'web')?.caused_by).toBe('longrun.db');
    expect(change(p, 'proxy')?.reason).toBe('longrun.web is restarted');
    expect(change(p, 'cron')).toBeUndefined();
    expect(hasEdgePath(p, 'stop:proxy', 'stop:web')).toBe(true);
    expect(hasEdgePath(p, 'stop:web', 'stop:db')).toBe(true);
    expect(hasEdgePath(p, 'stop:db', 'update:db')).toBe(true);
    expect(hasEdgePath(p, 'update:db', 'start:db')).toBe(true);
    expect(hasEdgePath(p, 'start:db', 'start:web')).toBe(true);
    expect(hasEdgePath(p, 'start:web', 'start:proxy')).toBe(true);
    expect(stepIds(p)).not.toContain('update:web');
    expect(p.summary.restart).toBe(3);
  });

  test('a dependent that is down is not started by a restart', () => {
    const old = [longrun('db'), longrun('web', { dependencies: ['db'], down: true })];
    const p = planOf(old, [longrun('db', { env: { A: '1' } }), longrun('web', { dependencies: ['db'], down: true })]);
    expect(change(p, 'web')).toBeUndefined();
  });

  test('data alone with a reload_signal reloads; with on_change = "reload" anything reloads', () => {
    const old = [longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'a\n' } })];
    let p = planOf(old, [longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'b\n' } })]);
    expect(change(p, 'nginx')?.actions).toEqual(['reload']);
    expect(change(p, 'nginx')?.action_reason).toBe('data_reload');
    expect(change(p, 'nginx')?.restart_paths).toEqual(['data.nginx.conf']);
    expect(stepIds(p)).toEqual(['update:nginx', 'reload:nginx']);
    p = planOf(old, [longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'b\n' }, env: { X: '1' } })]);
    expect(change(p, 'nginx')?.actions).toEqual(['restart']);
    p = planOf(old, [longrun('nginx', { data: { 'nginx.conf': 'b\n' } })]);
    expect(change(p, 'nginx')?.actions).toEqual(['restart']);
    p = planOf(old, [longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'a\n' }, env: { X: '1' }, lifecycle: { on_change: 'reload' } })]);
    expect(change(p, 'nginx')?.actions).toEqual(['reload']);
    expect(change(p, 'nginx')?.action_reason).toBe('lifecycle_reload');
  });

  test('on_change = "ignore" updates without restarting', () => {
    const p = planOf(base(), withDb({ run: { argv: ['x'] }, lifecycle: { on_change: 'ignore' } }));
    expect(change(p, 'db')?.actions).toEqual(['update']);
    expect(change(p, 'db')?.action_reason).toBe('lifecycle_ignore');
    expect(change(p, 'web')).toBeUndefined();
  });

  test('a changed definition of a down service is only an update', () => {
    const p = planOf([longrun('x', { down: true })], [longrun('x', { down: true, run: { argv: ['y'] } })]);
    expect(change(p, 'x')?.actions).toEqual(['update']);
  });

  test('a type change removes and installs', () => {
    const p = planOf([longrun('x')], [oneshot('x')]);
    expect(change(p, 'x')?.actions).toEqual(['stop', 'remove', 'install', 'start']);
    expect(stepIds(p)).toEqual(['stop:x', 'uninstall:x', 'install:x', 'oneshot_up:x']);
  });
});

describe('down flipped and drift', () => {
  test('down = true stops, down = false starts', () => {
    let p = planOf(base(), [...base().slice(0, 3), longrun('cron', { down: true })]);
    expect(change(p, 'cron')?.actions).toEqual(['update', 'stop']);
    expect(change(p, 'cron')?.reason).toMatch(/^down changed to true/);
    expect(stepIds(p)).toEqual(['stop:cron', 'update:cron']);
    const old = [...base().slice(0, 3), longrun('cron', { down: true })];
    p = planOf(old, base());
    expect(change(p, 'cron')?.actions).toEqual(['update', 'start']);
    expect(stepIds(p)).toEqual(['update:cron', 'start:cron']);
  });

  test('a service recorded up that the engine reports failed is drift, and the plan starts it', () => {
    const state = stateOf(db(base()));
    const p = planned({ compiled: db(base()), state, observed: statusOf(state, { cron: 'failed' }), options: {} });
    expect(p.drift).toEqual([expect.objectContaining({ name: 'cron', recorded: 'up', observed: 'failed' })]);
    expect(change(p, 'cron')?.actions).toEqual(['start']);
    expect(change(p, 'cron')?.action_reason).toBe('drift');
  });

  test('a service recorded down that runs is drift, and the plan stops it', () => {
    const svcs = [...base().slice(0, 3), longrun('cron', { down: true })];
    const state = stateOf(db(svcs));
    const p = planned({ compiled: db(svcs), state, observed: statusOf(state, { cron: 'up' }), options: {} });
    expect(p.drift[0]?.observed).toBe('up');
    expect(change(p, 'cron')?.actions).toEqual(['stop']);
  });

  test('a longrun the engine does not know is installed again', () => {
    const state = stateOf(db(base()));
    const p = planned({ compiled: db(base()), state, observed: statusOf(state, { cron: 'absent' }), options: {} });
    expect(p.drift[0]?.observed).toBe('absent');
    expect(stepIds(p)).toEqual(['install:cron', 'start:cron']);
  });

  test('a oneshot the engine does not know is drift in the same words as a longrun, and is run again', () => {
    const svcs = [...base(), oneshot('migrate', { dependencies: ['db'] })];
    const state = stateOf(db(svcs));
    const p = planned({ compiled: db(svcs), state, observed: statusOf(state, { cron: 'absent', migrate: 'absent' }), options: {} });
    expect(p.drift.map((d) => [d.name, d.detail])).toEqual([
      ['cron', 'recorded up, but the engine does not know it'],
      ['migrate', 'recorded up, but the engine does not know it'],
    ]);
    expect(change(p, 'migrate')?.actions).toEqual(['start']);
    expect(change(p, 'migrate')?.reason).toBe('recorded up, but the engine does not know it');
  });

  describe('a longrun left starting and not ready (an apply killed while it waited for readiness)', () => {
    // web was installed, its start begun and never completed: the state records it down.
    const started = () => {
      const svcs = base().map((s) => (s.name === 'web' ? longrun('web', { dependencies: ['db'], notification_fd: 3 }) : s));
      const state = stateOf(db(svcs), { down: ['web', 'proxy'] });
      const observed = statusOf(state, { web: 'starting' });
      (observed['web'] as { since: string }).since = '2026-11-25T01:00:00.000Z';
      return { svcs, state, observed };
    };

    test('is drift with since when, and the plan waits for its readiness in a start step, before what depends on it starts', () => {
      const { svcs, state, observed } = started();
      const p = planned({ compiled: db(svcs), state, observed, options: {}, now: '2026-11-25T01:04:12.400Z' });
      expect(p.drift).toEqual([
        {
          address: 'longrun.web',
          name: 'web',
          type: 'longrun',
          recorded: 'down',
          observed: 'starting',
          detail: 'recorded down, but the engine reports it starting and not ready since 2026-11-25T01:00:00.000Z (4m12s before this plan): its start did not complete',
          since: '2026-11-25T01:00:00.000Z',
        },
      ]);
      expect(change(p, 'web')).toMatchObject({
        actions: ['start'],
        action_reason: 'not_ready',
        reason: 'its start did not complete: it is starting but not ready; apply waits for its readiness within timeout_up (5s)',
        before_state: 'up',
        after_state: 'up',
      });
      expect(p.summary.start).toBe(2);
      expect(hasEdgePath(p, 'start:web', 'start:proxy')).toBe(true);
      expect(stepIds(p)).toEqual(['start:web', 'start:proxy']);
    });

    test('without the time of the refresh, only since when', () => {
      const { svcs, state, observed } = started();
      const p = planned({ compiled: db(svcs), state, observed, options: {} });
      expect(p.drift[0]?.detail).toBe('recorded down, but the engine reports it starting and not ready since 2026-11-25T01:00:00.000Z: its start did not complete');
    });

    test('a timeout_up set meanwhile is an update, and the start waits within it', () => {
      const { svcs, state, observed } = started();
      const next = svcs.map((s) => (s.name === 'web' ? longrun('web', { dependencies: ['db'], notification_fd: 3, timeouts: { ...s.timeouts, up_ms: 1500 } }) : s));
      const p = planned({ compiled: db(next), state, observed, options: {} });
      expect(change(p, 'web')).toMatchObject({ actions: ['update', 'start'], action_reason: 'not_ready' });
      expect(change(p, 'web')?.reason).toMatch(/^its start did not complete: it is starting but not ready; apply waits for its readiness within timeout_up \(1500ms\); timeouts\.up_ms changed/);
      expect(stepIds(p)).toEqual(['update:web', 'start:web', 'start:proxy']);
      expect(p.steps.find((s) => s.id === 'start:web')?.timeout_ms).toBe(1500);
    });

    test('--replace restarts it instead; a changed run restarts it; down = true stops it', () => {
      const { svcs, state, observed } = started();
      let p = planned({ compiled: db(svcs), state, observed, options: { replace: ['longrun.web'] } });
      expect(change(p, 'web')?.actions).toEqual(['restart']);
      expect(stepIds(p)).toEqual(['stop:web', 'start:web', 'start:proxy']);
      const changed = svcs.map((s) => (s.name === 'web' ? longrun('web', { dependencies: ['db'], notification_fd: 3, run: { argv: ['sleep', '7'] } }) : s));
      p = planned({ compiled: db(changed), state, observed, options: {} });
      expect(change(p, 'web')).toMatchObject({ actions: ['restart'], action_reason: 'definition_changed' });
      const down = svcs.filter((s) => s.name !== 'proxy').map((s) => (s.name === 'web' ? longrun('web', { dependencies: ['db'], notification_fd: 3, down: true }) : s));
      p = planned({ compiled: db(down), state, observed, options: {} });
      expect(change(p, 'web')?.actions).toEqual(['update', 'stop']);
      expect(p.drift).toHaveLength(1);
    });

    test('recorded up and starting (respawned by its supervisor) is drift too, without "did not complete"', () => {
      const svcs = [...base().slice(0, 3), longrun('cron', { notification_fd: 3 })];
      const state = stateOf(db(svcs));
      const p = planned({ compiled: db(svcs), state, observed: statusOf(state, { cron: 'starting' }), options: {} });
      expect(p.drift[0]?.detail).toBe('recorded up, but the engine reports it starting and not ready since 2026-01-01T00:00:00.000Z');
      expect(change(p, 'cron')).toMatchObject({ actions: ['start'], action_reason: 'not_ready', reason: 'it is starting but not ready; apply waits for its readiness within timeout_up (5s)' });
    });

    test('without notification_fd, starting is the moment before up: running, no drift', () => {
      const state = stateOf(db(base()));
      const p = planned({ compiled: db(base()), state, observed: statusOf(state, { cron: 'starting' }), options: {} });
      expect(p.drift).toEqual([]);
      expect(p.resource_changes).toEqual([]);
    });
  });

  test('--refresh=false trusts the state and reports no drift', () => {
    const state = stateOf(db(base()));
    const p = planned({ compiled: db(base()), state, observed: statusOf(state, { cron: 'failed' }), options: { refresh: false } });
    expect(p.drift).toEqual([]);
    expect(p.resource_changes).toEqual([]);
  });
});

describe('essential services', () => {
  test('stopping or restarting an essential service is an error unless allowed', () => {
    const old = [longrun('init', { essential: true }), longrun('x')];
    const state = stateOf(db(old));
    const refused = plan({ compiled: db([longrun('x')]), state, observed: statusOf(state), options: {} });
    expect(refused.plan).toBeNull();
    expect(refused.diagnostics).toEqual([
      {
        severity: 'error',
        summary: 'longrun.init is essential: this plan would stop it (it is no longer in the source); use --allow-essential to allow it',
        object: { service: 'longrun.init' },
      },
    ]);
    expect(() => planOf(old, [longrun('init', { essential: true, run: { argv: ['z'] } }), longrun('x')])).toThrow(/longrun.init is essential: this plan would restart it/);
    expect(planOf(old, [longrun('x')], { allow_essential: true }).summary.remove).toBe(1);
    expect(planOf(old, [longrun('init', { essential: true, description: 'd' }), longrun('x')]).summary.update).toBe(1);
  });
});

describe('options', () => {
  test('--replace restarts the service and its dependents', () => {
    const p = planOf(base(), base(), { replace: ['longrun.web'] });
    expect(change(p, 'web')?.action_reason).toBe('replace_requested');
    expect(change(p, 'proxy')?.reason).toBe('longrun.web is restarted');
    expect(change(p, 'db')).toBeUndefined();
    expect(() => planOf(base(), base(), { replace: ['longrun.nope'] })).toThrow(/--replace longrun.nope/);
  });

  test('--target limits the plan to the target and what it needs', () => {
    const next = [longrun('db', { env: { A: '1' } }), longrun('web', { dependencies: ['db'] }), longrun('proxy', { dependencies: ['web'] }), longrun('cron', { env: { B: '2' } }), longrun('new1')];
    const p = planOf(base(), next, { target: ['longrun.web'] });
    expect(change(p, 'db')?.actions).toEqual(['restart']);
    expect(change(p, 'cron')).toBeUndefined();
    expect(change(p, 'new1')).toBeUndefined();
    // A restart still takes down what depends on it, even outside the target.
    expect(change(p, 'proxy')?.actions).toEqual(['restart']);
    expect(() => planOf(base(), base(), { target: ['nope'] })).toThrow(/--target nope/);
  });

  test('a plan that cannot be made is no plan, with a diagnostic about each option that names nothing', () => {
    const state = stateOf(db(base()));
    const r = plan({ compiled: db(base()), state, observed: statusOf(state), options: { target: ['longrun.webb'], replace: ['nope'] } });
    expect(r.plan).toBeNull();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        summary: '--target longrun.webb: no service or bundle has this address or name. Did you mean "longrun.web"?',
        object: { option: '--target', value: 'longrun.webb' },
      },
      { severity: 'error', summary: '--replace nope: no service in the compiled database has this address or name.', object: { option: '--replace', value: 'nope' } },
    ]);
  });

  test('--destroy stops and removes everything, dependents first', () => {
    const p = planOf(base(), base(), { destroy: true });
    expect(p.summary.remove).toBe(4);
    expect(hasEdgePath(p, 'stop:web', 'stop:db')).toBe(true);
    expect(p.compiled_hash).toBeNull();
    const t = planOf(base(), base(), { destroy: true, target: ['web'] });
    expect(t.resource_changes.map((c) => c.name).sort()).toEqual(['proxy', 'web']);
  });
});

describe('oneshots', () => {
  const svcs = () => [oneshot('mount'), oneshot('seed', { dependencies: ['mount'], down: { argv: ['/bin/unseed'] } }), longrun('app', { dependencies: ['seed'] })];

  test('new oneshots come up in dependency order', () => {
    const p = planned({ compiled: db(svcs()), state: stateOf(db([])), observed: {}, options: {} });
    expect(hasEdgePath(p, 'oneshot_up:mount', 'oneshot_up:seed')).toBe(true);
    expect(hasEdgePath(p, 'oneshot_up:seed', 'start:app')).toBe(true);
  });

  test('a changed up command runs down then up again, and restarts what needs it', () => {
    const next = [oneshot('mount'), oneshot('seed', { dependencies: ['mount'], down: { argv: ['/bin/unseed'] }, up: { argv: ['/bin/seed', '-v'] } }), longrun('app', { dependencies: ['seed'] })];
    const p = planOf(svcs(), next);
    expect(change(p, 'seed')?.actions).toEqual(['restart']);
    expect(change(p, 'app')?.reason).toBe('oneshot.seed is restarted');
    expect(hasEdgePath(p, 'stop:app', 'oneshot_down:seed')).toBe(true);
    expect(hasEdgePath(p, 'oneshot_down:seed', 'oneshot_up:seed')).toBe(true);
    expect(hasEdgePath(p, 'oneshot_up:seed', 'start:app')).toBe(true);
  });

  test('a changed down command alone needs no re-run', () => {
    const next = [oneshot('mount'), oneshot('seed', { dependencies: ['mount'], down: { argv: ['/bin/unseed', '-f'] } }), longrun('app', { dependencies: ['seed'] })];
    const p = planOf(svcs(), next);
    expect(change(p, 'seed')?.actions).toEqual(['update']);
  });

  test('gone oneshots go down after their dependents stop', () => {
    const p = planOf(svcs(), []);
    expect(hasEdgePath(p, 'stop:app', 'oneshot_down:seed')).toBe(true);
    expect(hasEdgePath(p, 'oneshot_down:seed', 'oneshot_down:mount')).toBe(true);
  });
});

describe('the step DAG', () => {
  test('every edge goes forward in the step order, and independent steps have no edges', () => {
    const p = planOf(base(), [longrun('db', { run: { argv: ['v2'] } }), longrun('web', { dependencies: ['db'] }), longrun('cron', { env: { X: '1' } }), longrun('n')]);
    const pos = new Map(p.steps.map((s, i) => [s.id, i]));
    for (const e of p.edges) expect(pos.get(e.from)!).toBeLessThan(pos.get(e.to)!);
    expect(hasEdgePath(p, 'stop:cron', 'stop:db')).toBe(false);
    expect(hasEdgePath(p, 'start:n', 'start:web')).toBe(false);
    expect(before(p, 'stop:proxy', 'uninstall:proxy')).toBe(true);
    expect(p.steps.find((s) => s.id === 'start:db')?.timeout_ms).toBe(5000);
  });
});
