import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { runInProcess } from '../support/cli-harness.js';
import { db, longrun, stateOf } from '../support/plan-fixtures.js';
import { createStateFile } from '../../state/state-file.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const v1 = () => db([longrun('db'), longrun('web', { dependencies: ['db'], env: { PORT: '80' } }), longrun('old')]);
const v2 = () => db([longrun('db'), longrun('web', { dependencies: ['db'], env: { PORT: '81' } }), longrun('new')]);

test('diff --compiled against a live directory: which services differ, briefly, with their diffs', async () => {
  const live = path.join(dir, 'live');
  fs.mkdirSync(live);
  createStateFile(live, { ...stateOf(v1()), journal_seq: 0 });
  const f = path.join(dir, 'c.json');
  fs.writeFileSync(f, JSON.stringify(v2()));
  const r = await runInProcess(['diff', '--compiled', f, '--live', live, '--exit-code']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`The live state (${live}, serial 0) differs from ${f}: 3 services.`);
  expect(r.stdout).toContain('~ longrun.web: env.PORT');
  expect(r.stdout).toContain('~ env.PORT = "80" -> "81"');
  expect(r.stdout).toContain('+ longrun.new: only in');
  expect(r.stdout).toContain('- longrun.old: only in live');
  expect(r.stdout.split('\n').length).toBeLessThan(15);

  fs.writeFileSync(f, JSON.stringify(v1()));
  const same = await runInProcess(['diff', '--compiled', f, '--live', live, '--exit-code']);
  expect(same.code).toBe(0);
  expect(same.stdout).toContain('matches');
});

test('diff --live-from an older compiled database', async () => {
  const a = path.join(dir, 'a.json');
  const b = path.join(dir, 'b.json');
  fs.writeFileSync(a, JSON.stringify(v1()));
  fs.writeFileSync(b, JSON.stringify(v2()));
  const r = await runInProcess(['diff', '--compiled', b, '--live-from', a]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('differs from');
  const none = await runInProcess(['diff']);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('give DIR, --compiled FILE, or both');
});
