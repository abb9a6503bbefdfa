import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadSchema } from '../../schemas/index.js';
import { runInProcess, runProcess } from '../support/cli-harness.js';
import { db, longrun, oneshot, stateOf } from '../support/plan-fixtures.js';
import { createStateFile, serializeState } from '../../state/state-file.js';
import { acquireLock } from '../../state/lock.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { encodeDb } from '../../lang/compile/compile.js';
import { UNSAVED_NOTE } from '../../cli/commands/plan.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const oldDb = () => db([longrun('db', { essential: true }), longrun('web', { dependencies: ['db'] }), longrun('gone'), oneshot('mount')]);
const newDb = () => db([longrun('db', { essential: true }), longrun('web', { dependencies: ['db'], env: { PORT: '81' } }), longrun('fresh'), oneshot('mount')]);

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

test('plan --compiled NEW --live-from OLD prints the plan; -detailed-exitcode says whether anything changes', async () => {
  const oldF = writeJson('old.json', oldDb());
  const newF = writeJson('new.json', newDb());
  let r = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('# longrun.web will be restarted because env.PORT changed');
  expect(r.stdout).toContain('# longrun.gone will be stopped and removed because it is no longer in the source');
  expect(r.stdout).toContain('Plan: 1 to install, 1 to restart, 0 to reload, 0 to update, 0 to stop, 1 to remove.');
  r = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF, '-detailed-exitcode']);
  expect(r.code).toBe(2);
  r = await runInProcess(['plan', '--compiled', oldF, '--live-from', oldF, '-detailed-exitcode']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^No changes\./);
  r = await runInProcess(['plan', '--compiled', path.join(dir, 'nope.json'), '--live-from', oldF, '-detailed-exitcode']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/nope.json: no such file/);
});

test('plan --json validates against the schema; --markdown is a PR comment', async () => {
  const oldF = writeJson('old.json', oldDb());
  const newF = writeJson('new.json', newDb());
  const j = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF, '--json']);
  const validate = new Ajv2020({ strict: false }).compile(loadSchema('plan.schema.json'));
  expect(validate(JSON.parse(j.stdout))).toBe(true);
  const m = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF, '--markdown']);
  expect(m.stdout).toMatch(/^### rcform plan: 3 changes/);
  expect(m.stdout).toContain('> [!WARNING]');
  const both = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF, '--markdown', '--json']);
  expect(both.code).toBe(1);
});

test('stopping an essential service is refused unless --allow-essential', async () => {
  const oldF = writeJson('old.json', oldDb());
  const newF = writeJson('new.json', db([longrun('web')]));
  let r = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('longrun.db is essential: this plan would stop it');
  r = await runInProcess(['plan', '--compiled', newF, '--live-from', oldF, '--allow-essential']);
  expect(r.code).toBe(0);
});

test('plan --out writes a 0600 plan file that show renders, and an altered file is refused', async () => {
  const oldF = writeJson('old.json', oldDb());
  const newF = writeJson('new.json', newDb());
  const out = path.join(dir, 'tf.plan');
  const p = runProcess(['plan', '--compiled', newF, '--live-from', oldF, '--out', out]);
  expect(p.code).toBe(0);
  expect(p.stdout).toContain(`rcform apply ${out}`);
  expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  const s = runProcess(['show', out]);
  expect(s.code).toBe(0);
  expect(s.stdout).toContain('# longrun.web will be restarted because env.PORT changed');
  expect(s.stdout).toContain('against compiled database');
  const sj = runProcess(['show', out, '--json']);
  expect(JSON.parse(sj.stdout).resource_changes).toHaveLength(3);
  expect(runProcess(['show', out, '--markdown']).stdout).toMatch(/^### rcform plan/);

  const data = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(data.compiled.hash).toBe(JSON.parse(fs.readFileSync(newF, 'utf8')).hash);
  expect(data.live).toMatchObject({ source: 'compiled-file', serial: 0 });
  data.plan.steps = data.plan.steps.slice(1);
  fs.writeFileSync(out, JSON.stringify(data));
  const t = runProcess(['show', out]);
  expect(t.code).toBe(1);
  expect(t.stderr).toMatch(/checksum mismatch: the plan file was altered/);
  expect(t.stderr).not.toMatch(/\bat .*\.js:\d+/);
});

test('a plan file holds a compiled database read as compile wrote it byte for byte, and an edit to it is refused', async () => {
  const oldF = writeJson('old.json', oldDb());
  const { hash: _h, ...body } = newDb();
  const newF = path.join(dir, 'new.json');
  const compiledText = encodeDb(body).text;
  fs.writeFileSync(newF, compiledText);
  const out = path.join(dir, 'v.plan');
  expect(runProcess(['plan', '--compiled', newF, '--live-from', oldF, '--out', out]).code).toBe(0);
  const text = fs.readFileSync(out, 'utf8');
  expect(text).toContain(`"compiled":${compiledText.slice(0, -1)},"live":`);
  const s = runProcess(['show', out]);
  expect(s.code).toBe(0);
  expect(s.stdout).toContain('# longrun.web will be restarted because env.PORT changed');
  fs.writeFileSync(out, text.replace('"PORT":"81"', '"PORT":"82"'));
  const t = runProcess(['show', out]);
  expect(t.code).toBe(1);
  expect(t.stderr).toMatch(/checksum mismatch: the plan file was altered/);
});

test('plan against a live directory reads the state under the lock; state pull feeds --live-from', async () => {
  const live = path.join(dir, 'live');
  fs.mkdirSync(live);
  const compiledOld: CompiledDb = oldDb();
  const st = stateOf(compiledOld);
  createStateFile(live, { ...st, journal_seq: 0 });
  const newF = writeJson('new.json', newDb());

  const r = await runInProcess(['plan', '--compiled', newF, '--live', live, '--refresh=false']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain('Plan: 1 to install, 1 to restart');

  const pulled = await runInProcess(['state', 'pull', '--live', live]);
  expect(pulled.code).toBe(0);
  expect(pulled.stdout).toBe(serializeState({ ...st, journal_seq: 0, serial: 0 }));
  const pf = path.join(dir, 'pulled.json');
  fs.writeFileSync(pf, pulled.stdout);
  const r2 = await runInProcess(['plan', '--compiled', newF, '--live-from', pf, '--out', path.join(dir, 'p.plan')]);
  // The same plan; unsaved, it ends with the note on how to save it.
  expect(r.stdout.endsWith(`\n\n${UNSAVED_NOTE}\n`)).toBe(true);
  expect(r2.stdout.split('\nSaved')[0]).toBe(r.stdout.slice(0, -`\n${UNSAVED_NOTE}\n`.length));
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'p.plan'), 'utf8'));
  expect(saved.live).toMatchObject({ source: 'state-file', lineage: st.lineage, serial: 0 });

  const lock = await acquireLock(live, { operation: 'apply', timeoutMs: 0 });
  try {
    const locked = await runInProcess(['plan', '--compiled', newF, '--live', live, '--refresh=false']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('the state is locked by another operation');
  } finally {
    lock.release();
  }
});

test('--live-from refuses a file that is neither a state nor a compiled database', async () => {
  const f = writeJson('x.json', { hello: 1 });
  const newF = writeJson('new.json', newDb());
  const r = await runInProcess(['plan', '--compiled', newF, '--live-from', f]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('is neither a state');
});

test('"show PLANFILE" and "show compiled FILE" coexist: the longer command name wins', async () => {
  const f = writeJson('c.json', newDb());
  const compiled = await runInProcess(['show', 'compiled', f]);
  expect(compiled.code).toBe(0);
  expect(compiled.stdout).toContain('web');
  const plan = await runInProcess(['show', f]);
  expect(plan.code).toBe(1);
  expect(plan.stderr).toContain('is not an rcform plan file');
});
