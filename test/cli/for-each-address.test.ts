import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, runInProcess } from '../support/cli-harness.js';

// A for_each block is addressed as a whole (`longrun.getty`, every instance, as Terraform reads a
// resource address without its key) or one instance at a time (`longrun.getty["tty1"]`), wherever
// an operator names services: plan -target and -replace, show compiled. examples/boot has six
// getty instances that need oneshot.hostname and two of the mounts.

const BOOT = path.join(PROJECT_ROOT, 'examples/boot');
const GETTYS = ['getty@tty1', 'getty@tty2', 'getty@tty3', 'getty@tty4', 'getty@tty5', 'getty@tty6'];
let dir: string;
let boot: string;
let hello: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  boot = path.join(dir, 'boot.json');
  hello = path.join(dir, 'hello.json');
  expect((await runInProcess(['compile', BOOT, '--out', boot])).code).toBe(0);
  expect((await runInProcess(['compile', path.join(PROJECT_ROOT, 'examples/hello'), '--out', hello])).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const names = (planJson: string): string[] => (JSON.parse(planJson).resource_changes as { name: string }[]).map((c) => c.name).sort();

test('plan -target=longrun.getty takes every instance and what they need, nothing else', async () => {
  const r = await runInProcess(['plan', '--compiled', boot, '--live-from', hello, '-target=longrun.getty', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(names(r.stdout)).toEqual([...GETTYS, 'hostname', 'mount@proc', 'mount@sys']);
  const one = await runInProcess(['plan', '--compiled', boot, '--live-from', hello, '-target=longrun.getty["tty2"]', '--json']);
  expect(names(one.stdout)).toEqual(['getty@tty2', 'hostname', 'mount@proc', 'mount@sys']);
});

test('plan -replace=longrun.getty restarts every instance', async () => {
  const r = await runInProcess(['plan', '--compiled', boot, '--live-from', boot, '-replace=longrun.getty', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout) as { resource_changes: { name: string; action_reason: string }[] };
  expect(plan.resource_changes.filter((c) => c.action_reason === 'replace_requested').map((c) => c.name).sort()).toEqual(GETTYS);
});

test('a wrong address is an error with a "did you mean"', async () => {
  const target = await runInProcess(['plan', '--compiled', boot, '--live-from', hello, '-target=longrun.gety']);
  expect(target.code).toBe(1);
  expect(target.stderr).toBe('Error: --target longrun.gety: no service or bundle has this address or name. Did you mean "longrun.getty"?\n');
  const replace = await runInProcess(['plan', '--compiled', boot, '--live-from', boot, '-replace=longrun.getty["tty7"]']);
  expect(replace.code).toBe(1);
  expect(replace.stderr).toContain('--replace longrun.getty["tty7"]: no service in the compiled database has this address or name. Did you mean "longrun.getty["tty1"]"?');
});

test('show compiled takes an address as well as a name', async () => {
  const byAddress = await runInProcess(['show', 'compiled', boot, 'longrun.getty["tty1"]']);
  expect(byAddress.stderr).toBe('');
  expect(byAddress.code).toBe(0);
  expect(byAddress.stdout).toBe((await runInProcess(['show', 'compiled', boot, 'getty@tty1'])).stdout);
  const deps = await runInProcess(['show', 'compiled', boot, 'longrun.getty["tty1"]', '--dependencies']);
  expect(deps.stdout).toBe('hostname\nmount@proc\nmount@sys\n');
  expect((await runInProcess(['show', 'compiled', boot, 'bundle.boot', '--type'])).stdout).toBe('bundle\n');

  const block = await runInProcess(['show', 'compiled', boot, 'longrun.getty']);
  expect(block.code).toBe(3);
  expect(block.stderr).toBe('Error: "longrun.getty" is a for_each block of 6 instance(s), not one service: name one, such as longrun.getty["tty1"]\n');
  const typo = await runInProcess(['show', 'compiled', boot, 'longrun.getty["tty9"]']);
  expect(typo.code).toBe(3);
  expect(typo.stderr).toContain('(did you mean "longrun.getty["tty1"]"?)');
});
