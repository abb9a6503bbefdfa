import { afterEach, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runOneshot } from '../../engine/oneshot-runner.js';
import { CLI } from '../support/cli-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { oneshot, tempLive } from '../support/engine-harness.js';

// A oneshot's script can hold sensitive values: it runs from a file with no name, so that an
// apply killed while the oneshot runs leaves no copy of it anywhere (docs/security.md).

let dir: string | undefined;
let op: CliOperator | undefined;
afterEach(() => {
  if (op) endCliOperator(op);
  op = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Files under the temp directory's rcform-oneshot-* directories that contain `marker`. */
function copiesOf(marker: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('rcform-oneshot-'))) {
    try {
      for (const f of fs.readdirSync(path.join(os.tmpdir(), d))) {
        const p = path.join(os.tmpdir(), d, f);
        if (fs.readFileSync(p, 'utf8').includes(marker)) out.push(p);
      }
    } catch {
      // another test's, gone meanwhile
    }
  }
  return out;
}

test('the script runs from a file without a name, owner-only', async () => {
  dir = tempLive();
  const log = path.join(dir, 'logs/task/current');
  const svc = oneshot('task', { up: { script: '#!/bin/sh\nreadlink /proc/$$/fd/3\nstat -L -c %a /proc/$$/fd/3\necho "$0"\n' } });
  await runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 });
  const [target, mode, self] = fs.readFileSync(log, 'utf8').trim().split('\n');
  expect(target).toMatch(/ \(deleted\)$/);
  expect(mode).toBe('700');
  expect(self).toBe('/proc/self/fd/3');
});

test('an apply killed while its oneshot runs leaves no copy of the script in the temp directory', async () => {
  op = cliOperator('embedded', 'rcform-oneshot-kill-');
  const marker = `secret-${randomBytes(6).toString('hex')}`;
  const sleep = `${1600 + Math.floor(Math.random() * 300)}.${randomBytes(2).readUInt16BE()}`;
  fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), `oneshot "migrate" {\n  up = <<-EOT\n    #!/bin/sh\n    # ${marker}\n    exec sleep ${sleep}\n  EOT\n}\n`);
  expect(op.rc(['init']).code).toBe(0);
  const apply = spawn(process.execPath, [CLI, 'apply', 'src', '--auto-approve', '--live', op.live], { cwd: op.root, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: 'ignore' });
  const pgrep = (): number[] => spawnSync('pgrep', ['-f', `sleep ${sleep}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  const deadline = Date.now() + 60_000;
  while (pgrep().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const [pid] = pgrep();
  expect(pid).toBeDefined();
  apply.kill('SIGKILL');
  await new Promise((r) => apply.once('exit', r));
  try {
    expect(copiesOf(marker)).toEqual([]);
  } finally {
    // The oneshot's own process group outlives the apply (docs/apply.md): ended here.
    process.kill(-(pid as number), 'SIGKILL');
  }
}, 120_000);
