import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { loadSchema } from '../../schemas/index.js';
import { buildValidators } from '../../schemas/build-validators.js';
import { SCHEMAS, ajvFor, fingerprint, schemaValidator, loadGenerated, type SchemaName } from '../../schemas/validators.js';
import { planForJson } from '../../cli/views/plan-json.js';
import { db, longrun, stateOf } from '../support/plan-fixtures.js';
import { everyKindOfChange } from '../support/plan-scenario.js';
import { PROJECT_ROOT } from '../support/cli-harness.js';

// The standalone validators `npm run build` generates must judge every file exactly as ajv
// compiling the schema in schemas/ does, and must never be used once that schema has changed.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
// Generated code requires ajv's small runtime helpers, resolved from where it lies.
fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(tmp, 'node_modules'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function samples(): Record<SchemaName, Array<[string, unknown]>> {
  const compiled = db([longrun('db'), longrun('api', { dependencies: ['db'] })]);
  const state = { ...stateOf(compiled), checksum: `sha256:${'0'.repeat(64)}` };
  const plan = planForJson(everyKindOfChange());
  return {
    compiled: [
      ['valid', compiled],
      ['a wrong type', { ...compiled, services: { db: { ...compiled.services['db'], down: 'no' } } }],
      ['a missing field', { ...compiled, hash: undefined }],
      ['another format version', { ...compiled, format_version: '2' }],
    ],
    state: [
      ['valid', state],
      ['a string serial', { ...state, serial: '1' }],
      ['an unknown field', { ...state, extra: true }],
    ],
    plan: [
      ['valid', plan],
      ['an unknown action', { ...plan, resource_changes: [{ ...plan.resource_changes[0], actions: ['explode'] }] }],
      ['no steps', { ...plan, steps: undefined }],
    ],
    // Block bodies as the decoder hands them over; errors must match too, since the decoder maps
    // each one (with verbose's schema and data) back to a source range.
    longrun: [
      ['valid', { run: ['sleep', '1'], depends_on: ['longrun.db'], timeout_up: '5s', lifecycle: { on_change: 'reload' } }],
      ['a script without shebang', { run: 'sleep 1' }],
      ['an unknown attribute and a wrong type', { run: ['x'], bogus: 1, down: 'yes' }],
      ['no run', {}],
    ],
    oneshot: [
      ['valid', { up: ['true'], input: { prompt: 'Passphrase', secret: true } }],
      ['a bad reference', { up: ['true'], depends_on: ['service.x'] }],
    ],
    bundle: [
      ['valid', { contents: ['longrun.a', 'bundle.b'] }],
      ['no contents', { description: 'x' }],
    ],
    moved: [
      ['valid', { from: 'longrun.a', to: 'longrun.b' }],
      ['half', { from: 'longrun.a' }],
    ],
    variable: [
      ['valid', { default: [1, 'a'], sensitive: true }],
      ['a wrong type', { sensitive: 'yes' }],
    ],
  };
}

test('each generated validator gives the same verdict and errors as compiling the schema', () => {
  buildValidators(tmp);
  const all = samples();
  for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
    const generated = loadGenerated(name, tmp);
    expect(generated).toBeDefined();
    const compiled = ajvFor(name).compile(loadSchema(SCHEMAS[name].file));
    for (const [label, data] of all[name]) {
      const input = JSON.parse(JSON.stringify(data));
      const verdict = compiled(input);
      expect([name, label, generated!(input)]).toEqual([name, label, verdict]);
      expect([name, label, generated!.errors ?? null]).toEqual([name, label, compiled.errors ?? null]);
      expect([name, label, verdict]).toEqual([name, label, label === 'valid']);
    }
  }
});

test('a generated validator made from another version of the schema is not used', () => {
  const stale = path.join(tmp, 'stale');
  fs.mkdirSync(stale);
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(stale, 'node_modules'));
  buildValidators(stale);
  const file = path.join(stale, 'generated/state.cjs');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(fingerprint('state'), 'f'.repeat(64)));
  expect(loadGenerated('state', stale)).toBeUndefined();
  expect(loadGenerated('plan', stale)).toBeDefined();
  expect(loadGenerated('state', path.join(tmp, 'absent'))).toBeUndefined();
});

test('schemaValidator validates with or without generated code', () => {
  const v = schemaValidator('compiled');
  expect(v(JSON.parse(JSON.stringify(db([longrun('x')]))))).toBe(true);
  expect(v({})).toBe(false);
  expect(schemaValidator('compiled')).toBe(v);
});
