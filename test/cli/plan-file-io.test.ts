import { expect, test } from '@jest/globals';
import { parsePlanFile } from '../../cli/plan-file-io.js';
import { PLAN_FILE_FORMAT_VERSION, encodePlanFile, planFileChecksum, touchedServices, type PlanFile } from '../../planner/plan-file.js';
import { db, longrun } from '../support/compiled-fixture.js';
import { planned, stateOf } from '../support/plan-fixtures.js';

// apply trusts the compiled database inside a plan file exactly as `rcform plan` wrote it (its
// checksum verified over its own bytes, this rcform's schema), as readCompiledDb trusts a compiled
// database file; anything else is validated in full before apply acts on it.

function planFile(): PlanFile {
  const compiled = db([longrun('web'), longrun('api', { dependencies: ['web'] })]);
  const plan = planned({ compiled, state: stateOf(db([])), observed: null, options: {} });
  return {
    format_version: PLAN_FILE_FORMAT_VERSION,
    kind: 'rcform-plan',
    rcform_version: '0.1.0',
    created_at: '2026-01-01T00:00:00.000Z',
    compiled,
    live: { source: 'state-file', lineage: 'l-1', serial: 3, compiled_hash: null },
    engine: null,
    observed: { source: 'state', services: Object.fromEntries(touchedServices(plan).map((n) => [n, { state: 'down' }])) },
    plan,
  };
}

/** The file re-indented, with a checksum over its re-serialised content: it reads, but is not as any encoder wrote it. */
function reindented(f: PlanFile): string {
  return JSON.stringify({ ...f, checksum: planFileChecksum(f) }, null, 2) + '\n';
}

test('a plan file as plan wrote it reads; its database is trusted, a re-indented one is validated', () => {
  const f = planFile();
  expect(parsePlanFile(encodePlanFile(f), 'p.plan').compiled?.services['api']?.dependencies).toEqual(['web']);
  expect(parsePlanFile(reindented(f), 'p.plan').plan.steps.length).toBeGreaterThan(0);

  // A database that breaks its schema: caught when the file is not exactly as written.
  const bad = planFile();
  (bad.compiled!.services['api'] as unknown as Record<string, unknown>)['down'] = 'no';
  expect(() => parsePlanFile(reindented(bad), 'p.plan')).toThrow(/p\.plan: the compiled database in the plan is not valid: \/services\/api\/down must be boolean/);
  // ... and when its schema digest is not this rcform's, even in a file as written.
  bad.compiled!.schema = '0'.repeat(64);
  expect(() => parsePlanFile(encodePlanFile(bad), 'p.plan')).toThrow(/the compiled database in the plan is not valid/);
});

test('a database that names a dependency it does not hold is refused from a file not as written', () => {
  const f = planFile();
  f.compiled!.services['api']!.dependencies = ['ghost'];
  expect(() => parsePlanFile(reindented(f), 'p.plan')).toThrow(/\/services\/api\/dependencies names "ghost", which is not a service/);
});
