import { expect, test } from '@jest/globals';
import { decodePlanFile, encodePlanFile, PlanFileError, touchedServices, type PlanFile } from '../../planner/plan-file.js';
import { everyKindOfChange } from '../support/plan-scenario.js';

function sample(): PlanFile {
  const plan = everyKindOfChange();
  return {
    format_version: '1',
    kind: 'rcform-plan',
    rcform_version: '0.1.0',
    created_at: '2026-01-01T00:00:00.000Z',
    compiled: null,
    live: { source: 'live-dir', live_dir: '/run/rcform', lineage: 'l-1', serial: 3, compiled_hash: null },
    engine: { kind: 'embedded' },
    observed: { source: 'engine', services: Object.fromEntries(touchedServices(plan).map((n) => [n, { state: 'up' }])) },
    plan,
  };
}

test('a plan file round-trips exactly', () => {
  const f = sample();
  expect(decodePlanFile(encodePlanFile(f), 'p.plan')).toEqual(JSON.parse(JSON.stringify(f)));
});

test('any edit to a plan file is detected', () => {
  const text = encodePlanFile(sample());
  const data = JSON.parse(text);
  data.plan.steps[0].action = 'start';
  expect(() => decodePlanFile(JSON.stringify(data), 'p.plan')).toThrow(/p.plan: checksum mismatch/);
  data.plan.steps[0].action = JSON.parse(text).plan.steps[0].action;
  expect(decodePlanFile(JSON.stringify(data, null, 2), 'p.plan').plan.steps[0]?.action).toBe(data.plan.steps[0].action);
  data.live.serial = 4;
  expect(() => decodePlanFile(JSON.stringify(data), 'p.plan')).toThrow(PlanFileError);
});

test('a file that is not a plan, or a newer format, is refused by name', () => {
  expect(() => decodePlanFile('{"services":{}}', 'x.json')).toThrow(/x.json is not an rcform plan file/);
  expect(() => decodePlanFile('{oops', 'x.json')).toThrow(/invalid JSON/);
  const data = JSON.parse(encodePlanFile(sample()));
  data.format_version = '2';
  expect(() => decodePlanFile(JSON.stringify(data), 'p.plan')).toThrow(/format_version "2" is not supported/);
});

test('touched services include both names of a rename', () => {
  const t = touchedServices(everyKindOfChange());
  expect(t).toContain('proxy');
  expect(t).toContain('edge');
  expect(t).not.toContain('agent_nope');
});
