import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../../engine/engine.js';
import { runOneshot } from '../../engine/oneshot-runner.js';
import { alive, oneshot, tempLive, waitFor } from '../support/engine-harness.js';

// Oneshots run from the applying process: real shells, real timeouts, real stdin.

let dir: string;
let log: string;
beforeEach(() => {
  dir = tempLive();
  log = path.join(dir, 'logs/task/current');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('oneshot runner', () => {
  test('up runs with a clean environment plus env, output appended to the log', async () => {
    const svc = oneshot('task', { env: { ONLY: 'this' }, up: { script: '#!/bin/sh\nenv | sort\necho to-stderr >&2\n' } });
    await runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 });
    const text = fs.readFileSync(log, 'utf8');
    expect(text.split('\n').filter((l) => /^[A-Z_]+=/.test(l) && !l.startsWith('PWD=') && !l.startsWith('SHLVL=')).sort()).toEqual(['ONLY=this', expect.stringMatching(/^PATH=/)]);
    expect(text).toContain('to-stderr');
  });

  test('argv form, and a missing down is a no-op', async () => {
    const svc = oneshot('task', { up: { argv: ['sh', '-c', 'echo argv-ran'] } });
    await runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 });
    expect(fs.readFileSync(log, 'utf8')).toBe('argv-ran\n');
    await expect(runOneshot(svc, 'down', { logFile: log, timeoutMs: 10_000 })).resolves.toEqual({ code: 0, durationMs: 0 });
  });

  test('a non-zero exit is an EngineError naming the service and the code', async () => {
    const svc = oneshot('task', { up: { argv: ['sh', '-c', 'exit 3'] } });
    const err = await runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toBe('task: up exited with code 3');
  });

  test('a timeout kills the whole process group', async () => {
    const pidFile = path.join(dir, 'child.pid');
    const svc = oneshot('task', { up: { script: `#!/bin/sh\nsleep 3600 &\necho $! > ${pidFile}\nwait\n` } });
    const err = await runOneshot(svc, 'up', { logFile: log, timeoutMs: 500 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('task: up timed out after 500 ms; its process group was killed');
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor('grandchild gone', () => !alive(child));
  });

  test("the operator's answer reaches stdin only: not the log, argv or environment", async () => {
    const secret = 'hunter2-' + process.pid;
    const seen = path.join(dir, 'seen');
    const svc = oneshot('task', {
      input: { prompt: 'Password', secret: true },
      up: { script: `#!/bin/sh\nread answer\necho "$answer" > ${seen}\ncat /proc/$$/cmdline /proc/$$/environ\necho done\n` },
    });
    await runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000, input: secret + '\n' });
    expect(fs.readFileSync(seen, 'utf8')).toBe(secret + '\n');
    const text = fs.readFileSync(log, 'utf8');
    expect(text).toContain('done');
    expect(text).not.toContain(secret);
  });

  test('input required but not given: refused before anything runs', async () => {
    const svc = oneshot('task', { input: { prompt: 'Token', secret: true }, up: { argv: ['sh', '-c', 'echo ran'] } });
    await expect(runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 })).rejects.toThrow('task: needs input ("Token") and none was given');
    expect(fs.existsSync(log)).toBe(false);
  });

  test('an unknown group is a clear error', async () => {
    const svc = oneshot('task', { group: 'no-such-group-rcform' });
    await expect(runOneshot(svc, 'up', { logFile: log, timeoutMs: 10_000 })).rejects.toThrow('task: unknown group "no-such-group-rcform"');
  });
});
