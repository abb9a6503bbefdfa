import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { CLI } from '../support/cli-harness.js';
import type { ServiceSpec } from '../support/compiled-fixture.js';
import { alive, processesWith, waitFor } from '../support/engine-harness.js';
import { readLockInfo } from '../../state/lock.js';

// SIGKILL of apply at many moments: afterwards the lock is reported stale with its info, plan shows
// the truth (refreshed from the engine), and after force-unlock one apply converges, with exactly
// one process per service.

let fx: LiveFixture;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  await fx.close();
}, 60_000);

function services(marker: string): Record<string, ServiceSpec> {
  const specs: Record<string, ServiceSpec> = {
    prepare: { type: 'oneshot', up: { script: '#!/bin/sh\nsleep 0.3\n' } },
  };
  for (let i = 0; i < 6; i++) {
    specs[`svc${i}`] = {
      type: 'longrun',
      deps: i === 0 ? ['prepare'] : [`svc${i - 1}`],
      // exec -a marks the process so the test can count instances of each service.
      run: { script: `#!/bin/bash\nsleep 0.1\nprintf '\\n' >&3\nexec -a ${marker}-svc${i} sleep 1000\n` },
      notification_fd: 3,
      timeouts: { up_ms: 20_000, down_ms: 10_000, kill_ms: 1000, finish_ms: 1000 },
    };
  }
  return specs;
}

function kill9After(ms: number, file: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'apply', '--compiled', file, '--auto-approve'], { cwd: fx.root, env: { ...process.env, RCFORM_LIVE: fx.live }, stdio: 'ignore' });
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

test('apply SIGKILLed at random moments: stale lock reported, plan shows the truth, one apply converges', async () => {
  const marker = `rcform-crash-${process.pid}-${Date.now()}`;
  const file = fx.writeDb('db.json', services(marker));
  // Spread over the whole apply: before the lock, mid-steps, near the end.
  const delays = [120, 350, 600, 900, 1300, 1800];
  for (const ms of delays) {
    await kill9After(ms + Math.floor(Math.random() * 150), file);
    const lock = readLockInfo(fx.live);
    const plan = fx.rc(['plan', '--compiled', file]);
    if (lock) {
      expect(plan.code).toBe(1);
      expect(plan.stderr).toMatch(/stale/i);
      expect(plan.stderr).toContain(lock.ID);
      expect(plan.stderr).toContain('apply');
      const r = fx.rc(['force-unlock', lock.ID, '--force']);
      expect(r.code).toBe(0);
      expect(readLockInfo(fx.live)).toBeUndefined();
    } else {
      expect(plan.code).toBe(0);
    }
    const truth = fx.rc(['plan', '--compiled', file]);
    expect(truth.code).toBe(0);
    // Between crashes, drive the live side back to empty sometimes, so kills land in stops too.
    if (ms === 900) expect(fx.rc(['destroy', '--auto-approve']).code).toBe(0);
  }

  const final = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(final.stderr).toBe('');
  expect(final.code).toBe(0);
  const again = fx.rc(['plan', '--compiled', file, '-detailed-exitcode']);
  expect(again.stdout).toMatch(/^No changes\./);
  expect(again.code).toBe(0);

  const st = await fx.status();
  for (let i = 0; i < 6; i++) {
    expect(st[`svc${i}`]?.state).toBe('ready');
    expect(alive(st[`svc${i}`]?.pid)).toBe(true);
    await waitFor(`one instance of svc${i}`, () => processesWith(`${marker}-svc${i} `, fx.live).length === 1 || undefined, 10_000);
  }
  expect(fs.existsSync(path.join(fx.live, 'state.lock'))).toBe(false);
}, 300_000);
