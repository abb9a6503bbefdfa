import { expect, test } from '@jest/globals';
import { PLAN_FILE_FORMAT_VERSION, decodePlanFile, encodePlanFile, encodePlanFileBytes, PlanFileError, touchedServices, type PlanFile } from '../../planner/plan-file.js';
import { everyKindOfChange } from '../support/plan-scenario.js';

function sample(): PlanFile {
  const plan = everyKindOfChange();
  return {
    format_version: PLAN_FILE_FORMAT_VERSION,
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

test('a plan made at another serial or lineage is stale, naming both serials', async () => {
  const { planStaleness } = await import('../../planner/plan-file.js');
  const f = sample();
  expect(planStaleness(f, { lineage: 'l-1', serial: 3 })).toBeNull();
  expect(planStaleness(f, { lineage: 'l-1', serial: 5 })).toBe(
    'Saved plan is stale: the live state changed after this plan was made (plan made at serial 3, live state now at serial 5); make a new plan',
  );
  expect(planStaleness(f, { lineage: 'l-2', serial: 3 })).toMatch(/lineage l-1, but the live state has lineage l-2/);
});

test('observed mismatches compare running, stopped and absent, not pids', async () => {
  const { observedMismatches } = await import('../../planner/plan-file.js');
  const f = sample();
  f.observed.services = { web: { state: 'ready', pid: 10 }, db: { state: 'down' }, ghost: { state: 'absent' } };
  expect(observedMismatches(f, { web: { state: 'up' }, db: { state: 'failed' } })).toEqual([]);
  expect(observedMismatches(f, { web: { state: 'failed' }, db: { state: 'down' }, ghost: { state: 'down' } })).toEqual([
    'web: planned with it ready, the engine now reports it failed',
    'ghost: planned with it absent, the engine now reports it down',
  ]);
  expect(observedMismatches({ ...f, observed: { ...f.observed, source: 'state' } }, {})).toEqual([]);
});

test('the bytes written are the encoded text, non-ASCII included', () => {
  const f = sample();
  f.plan = { ...f.plan, resource_changes: f.plan.resource_changes.map((c) => ({ ...c, reason: `${c.reason} — ↻ ünïcode` })) };
  const bytes = encodePlanFileBytes(f);
  expect(Buffer.from(bytes).toString('utf8')).toBe(encodePlanFile(f));
  expect(decodePlanFile(Buffer.from(bytes).toString('utf8'), 'p.plan').plan.resource_changes).toEqual(f.plan.resource_changes);
});

test('a plan file written in pieces embeds the compiled JSON as given, and its checksum covers those bytes', async () => {
  const { encodePlanFilePieces } = await import('../../planner/plan-file.js');
  const f = sample();
  // Keys in an order JSON.stringify of the parsed value would not give ("10" before "9" parses as 9, 10):
  // only a checksum over the bytes as written can accept this file.
  const json = '{"services":{"10":{"x":"é"},"9":{}},"hash":"h"}';
  f.compiled = JSON.parse(json);
  const bytes = Buffer.concat(encodePlanFilePieces(f, Buffer.from(json, 'utf8')));
  const text = bytes.toString('utf8');
  expect(text).toContain(`"compiled":${json},"live":`);
  expect(text.endsWith('}\n')).toBe(true);
  expect(decodePlanFile(text, 'p.plan', bytes).compiled).toEqual(JSON.parse(json));
  expect(decodePlanFile(text, 'p.plan').plan.steps).toEqual(f.plan.steps);
  const edited = text.replace('"x":"é"', '"x":"e"');
  expect(() => decodePlanFile(edited, 'p.plan', Buffer.from(edited, 'utf8'))).toThrow(/p.plan: checksum mismatch/);
});
