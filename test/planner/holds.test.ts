import { expect, test } from '@jest/globals';
import type { Plan } from '../../planner/plan-types.js';
import type { State } from '../../state/state-types.js';
import { renderHuman } from '../../cli/views/plan-human.js';
import { renderMarkdown } from '../../cli/views/plan-markdown.js';
import { db, longrun, planned, stateOf, statusOf } from '../support/plan-fixtures.js';

// Operator holds in the planner (pure): a held service keeps its held run state against the
// source, what needs a held-down service stays down with it, what a held-up one needs stays up,
// and the plan lists each hold that keeps a service from the source without correcting it.

const AT = '2026-01-01T00:00:00.000Z';
const v1 = () => db([longrun('db'), longrun('web', { dependencies: ['db'] }), longrun('proxy', { dependencies: ['web'] }), longrun('debug', { down: true })]);

function held(state: State, holds: Record<string, 'up' | 'down'>, requested = 'bundle.front'): State {
  const out = structuredClone(state);
  out.holds = {};
  for (const [n, h] of Object.entries(holds)) {
    out.holds[n] = { state: h, requested, at: AT };
    (out.services[n] as State['services'][string]).desired = h;
  }
  return out;
}

const names = (p: Plan) => p.resource_changes.map((c) => `${c.name}:${c.actions.join('+')}`);

test('held down: no start, no drift, listed as a hold; without the hold the plan starts them', () => {
  const state = held(stateOf(v1()), { web: 'down', proxy: 'down' });
  const plan = planned({ compiled: v1(), state, observed: statusOf(state) });
  expect(plan.resource_changes).toEqual([]);
  expect(plan.drift).toEqual([]);
  expect(renderHuman(plan, { color: false })).toContain('No changes. The live services match the configuration, but for the holds above.');
  expect(plan.holds?.map((h) => [h.name, h.held, h.source, h.requested])).toEqual([
    ['proxy', 'down', 'up', 'bundle.front'],
    ['web', 'down', 'up', 'bundle.front'],
  ]);
  const released = { ...state, holds: {} };
  expect(names(planned({ compiled: v1(), state: released, observed: statusOf(released) }))).toEqual(['proxy:start', 'web:start']);
});

test('held down: a changed definition is updated in place, a new dependent is installed and left down, a restart of a dependency does not start it', () => {
  const state = held(stateOf(v1()), { web: 'down', proxy: 'down' });
  const v2 = db([
    longrun('db', { run: { argv: ['/usr/bin/db', '--v2'] } }),
    longrun('web', { dependencies: ['db'], env: { PORT: '81' }, run: { argv: ['/usr/bin/web', '--v2'] } }),
    longrun('proxy', { dependencies: ['web'] }),
    longrun('debug', { down: true }),
    longrun('cache', { dependencies: ['web'] }),
  ]);
  const plan = planned({ compiled: v2, state, observed: statusOf(state) });
  expect(names(plan)).toEqual(['cache:install', 'db:restart', 'web:update']);
  expect(plan.steps.map((s) => s.id)).not.toContain('start:web');
  expect(plan.steps.map((s) => s.id)).not.toContain('start:cache');
});

test('held up: a down = true service and what it needs stay up; the source flipping down does not stop a held-up service', () => {
  let state = stateOf(v1());
  state = held(state, { debug: 'up' }, 'debug');
  const plan = planned({ compiled: v1(), state, observed: statusOf(state) });
  expect(plan.resource_changes).toEqual([]);
  expect(plan.holds).toEqual([{ address: 'longrun.debug', name: 'debug', held: 'up', source: 'down', requested: 'debug', since: AT }]);
  // Everything down = true in the source now, and debug needs db: debug (held up) and db stay up.
  const v2 = db([longrun('db', { down: true }), longrun('web', { dependencies: ['db'], down: true }), longrun('proxy', { dependencies: ['web'], down: true }), longrun('debug', { down: true, dependencies: ['db'] })]);
  const next = planned({ compiled: v2, state, observed: statusOf(state) });
  expect(next.steps.filter((s) => s.action === 'stop').map((s) => s.service).sort()).toEqual(['proxy', 'web']);
  expect(next.steps.filter((s) => s.action === 'start')).toEqual([]);
  expect(next.holds?.map((h) => [h.name, h.held, h.source])).toEqual([
    ['db', 'up', 'down'],
    ['debug', 'up', 'down'],
  ]);
});

test('a hold that agrees with the source is not listed; a plan without holds has no holds member (golden plans unchanged)', () => {
  const state = held(stateOf(v1()), { web: 'up' }, 'web');
  const plan = planned({ compiled: v1(), state, observed: statusOf(state) });
  expect(plan.holds).toBeUndefined();
  expect('holds' in planned({ compiled: v1(), state: stateOf(v1()), observed: null })).toBe(false);
});

test('a start or stop the hold causes has the reason operator_hold; the views name the hold', () => {
  // As rcform down plans it: the hold is recorded, the engine still runs the services.
  const running = stateOf(v1());
  const state = structuredClone(running);
  state.holds = { web: { state: 'down', requested: 'bundle.front', at: AT }, proxy: { state: 'down', requested: 'bundle.front', at: AT } };
  const plan = planned({ compiled: v1(), state, observed: statusOf(running) });
  expect(names(plan)).toEqual(['proxy:stop', 'web:stop']);
  expect(plan.resource_changes[1]).toMatchObject({ action_reason: 'operator_hold', reason: 'rcform down bundle.front holds it down' });
  const human = renderHuman(plan, { color: false });
  expect(human).toContain('# longrun.web: held down by "rcform down bundle.front" since 2026-01-01T00:00:00.000Z; the source says up');
  expect(human).toContain('# longrun.web will be stopped because rcform down bundle.front holds it down');
  expect(renderMarkdown(plan)).toContain('2 services are held by an operator');
});
