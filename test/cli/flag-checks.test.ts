import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, runInProcess } from '../support/cli-harness.js';
import { loadCommands } from '../../cli/commands/index.js';

const commands = await loadCommands();

// A malformed flag is a usage error before the command does anything: no plan printed, no lock
// taken, and the same answer whether or not this run would have used the value.

let dir: string;
let compiled: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  compiled = path.join(dir, 'hello.json');
  expect((await runInProcess(['compile', path.join(PROJECT_ROOT, 'examples/hello'), '--out', compiled])).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('apply -parallelism=0 is refused before anything is planned or printed', async () => {
  for (const n of ['0', '-2', '1.5']) {
    const r = await runInProcess(['apply', path.join(PROJECT_ROOT, 'examples/hello'), `-parallelism=${n}`, '--live', path.join(dir, 'live')]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `rcform: flag --parallelism takes a whole number of at least 1, not ${n} (see "rcform apply --help")\n` });
  }
  expect(fs.existsSync(path.join(dir, 'live'))).toBe(false);
  const destroy = await runInProcess(['destroy', '-parallelism=0', '--live', path.join(dir, 'live')]);
  expect(destroy.code).toBe(1);
  expect(destroy.stderr).toContain('flag --parallelism takes a whole number of at least 1, not 0');
});

test('a malformed -lock-timeout is an error on every command that takes it, even where no lock is taken', async () => {
  const r = await runInProcess(['plan', '--compiled', compiled, '--live-from', compiled, '-lock-timeout=abc']);
  expect(r).toEqual({ code: 1, stdout: '', stderr: 'rcform: flag --lock-timeout takes a duration such as 500ms, 30s or 2m, not "abc" (see "rcform plan --help")\n' });
  const taking = commands.filter((c) => c.flags.some((f) => f.name === 'lock-timeout'));
  expect(taking.map((c) => c.name)).toEqual(expect.arrayContaining(['plan', 'apply', 'destroy', 'state mv', 'state rm']));
  for (const c of taking) {
    const bad = await runInProcess([...c.name.split(' '), '-lock-timeout=5 seconds']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`rcform: flag --lock-timeout takes a duration such as 500ms, 30s or 2m, not "5 seconds" (see "rcform ${c.name} --help")\n`);
  }
  const good = await runInProcess(['plan', '--compiled', compiled, '--live-from', compiled, '-lock-timeout=1500ms']);
  expect(good.code).toBe(0);
});
