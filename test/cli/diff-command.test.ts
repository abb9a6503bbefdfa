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

test('diff DIR --compiled FILE: only changed definitions, not the dependents a restart would take along; live is compared with FILE', async () => {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src);
  const hcl = (dbArgv: string): string =>
    `longrun "db" {\n  run = ${dbArgv}\n}\n\nlongrun "web" {\n  depends_on = [longrun.db]\n  run        = ["sleep", "1000"]\n}\n\noneshot "migrate" {\n  depends_on = [longrun.db]\n  up         = ["true"]\n}\n`;
  fs.writeFileSync(path.join(src, 'main.hcl'), hcl('["sleep", "1"]'));
  const file = path.join(dir, 'c.json');
  expect((await runInProcess(['compile', src, '--out', file])).code).toBe(0);
  const live = path.join(dir, 'live');
  fs.mkdirSync(live);
  createStateFile(live, { ...stateOf(JSON.parse(fs.readFileSync(file, 'utf8')), { serial: 0 }), journal_seq: 0 });

  // The source moves on: db's run changes. A plan would restart web and re-run migrate with it,
  // but neither definition differs between the source and the file.
  fs.writeFileSync(path.join(src, 'main.hcl'), hcl('["sleep", "2"]'));
  const r = await runInProcess(['diff', src, '--compiled', file, '--live', live, '--exit-code']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`${file} is not current with ${src}: 1 service differs.`);
  expect(r.stdout).toContain('~ longrun.db: run');
  expect(r.stdout).not.toMatch(/longrun\.web|oneshot\.migrate|is restarted/);
  // The live state is what the file describes: nothing differs there.
  expect(r.stdout).toContain(`The live state (${live}, serial 0) matches ${file}.`);
});
