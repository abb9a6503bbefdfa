import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine, ServiceStatus } from '../../engine/engine.js';
import { SupervisorUnavailableError } from '../../engine/embedded/client.js';
import { openEngine } from '../../engine/open-engine.js';
import type { EngineKind } from '../../state/state-types.js';
import { longrun } from '../support/longrun-fixture.js';
import { S6_MISSING, warnS6Missing } from '../support/s6-available.js';

// One table of scenarios, run unchanged against every engine: what apply relies on must behave the
// same whether the supervisor is rcform's own or real s6. Engine-specific details (files, tools,
// adoption) stay in each engine's own tests.

type Stoppable = Engine & { shutdown(): Promise<void> };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sh = (body: string) => ({ script: `#!/bin/sh\n${body}\n` });
const T = { timeoutMs: 20000 };

async function eventually<V>(what: string, fn: () => Promise<V | undefined>, timeoutMs = 20000): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Ctx {
  engine: Engine;
  tmp: string;
  st(name: string): Promise<ServiceStatus | undefined>;
}

const scenarios: [string, (c: Ctx) => Promise<void>][] = [
  ['install is down; up runs the process; stop leaves it gone', async ({ engine, st }) => {
    await engine.install(longrun('basic', { run: { argv: ['sleep', '1000'] } }));
    expect(await st('basic')).toMatchObject({ type: 'longrun', wanted: 'down', state: 'down' });
    await engine.start('basic', T);
    const s = await st('basic');
    expect(s).toMatchObject({ wanted: 'up', state: 'up' });
    expect(alive(s?.pid as number)).toBe(true);
    await engine.stop('basic', T);
    expect(alive(s?.pid as number)).toBe(false);
    expect(await st('basic')).toMatchObject({ wanted: 'down', state: 'down' });
    await engine.uninstall('basic');
  }],
  ['readiness: up waits for the notification fd, then the service is ready', async ({ engine, st }) => {
    await engine.install(longrun('notify', { run: sh('sleep 0.2; echo >&3; exec sleep 1000'), notification_fd: 3 }));
    await engine.start('notify', T);
    expect(await st('notify')).toMatchObject({ state: 'ready' });
    await engine.uninstall('notify');
  }],
  ['a service killed with SIGKILL is restarted', async ({ engine, st }) => {
    await engine.install(longrun('phoenix', { run: { argv: ['sleep', '1000'] } }));
    await engine.start('phoenix', T);
    const pid = (await st('phoenix'))?.pid as number;
    process.kill(pid, 'SIGKILL');
    const s = await eventually('a new pid', async () => {
      const x = await st('phoenix');
      return x?.state === 'up' && x.pid !== pid ? x : undefined;
    });
    expect(alive(s.pid as number)).toBe(true);
    expect(s.restarts).toBeGreaterThanOrEqual(1);
    await engine.uninstall('phoenix');
  }],
  ['a process ignoring its down signal is killed after timeout_kill', async ({ engine, st }) => {
    await engine.install(longrun('mule', { run: sh(`trap '' TERM; while :; do sleep 0.2; done`), timeouts: { up_ms: 0, down_ms: 0, kill_ms: 300, finish_ms: 5000 } }));
    await engine.start('mule', T);
    const pid = (await st('mule'))?.pid as number;
    await engine.stop('mule', T);
    expect(alive(pid)).toBe(false);
    await engine.uninstall('mule');
  }],
  ['reload sends the reload signal to the running process', async ({ engine, st, tmp }) => {
    const marker = path.join(tmp, 'reloaded');
    await engine.install(longrun('hup', { run: sh(`trap 'touch ${marker}' HUP; while :; do sleep 0.1; done`) }));
    await engine.start('hup', T);
    const pid = (await st('hup'))?.pid;
    await new Promise((r) => setTimeout(r, 300));
    await engine.reload('hup');
    await eventually('the marker', async () => (fs.existsSync(marker) ? true : undefined));
    expect((await st('hup'))?.pid).toBe(pid);
    await engine.uninstall('hup');
  }],
  ['rename keeps the same process; uninstall forgets it', async ({ engine, st }) => {
    await engine.install(longrun('before', { run: { argv: ['sleep', '1000'] } }));
    await engine.start('before', T);
    const pid = (await st('before'))?.pid as number;
    await engine.rename('before', 'after', longrun('after', { run: { argv: ['sleep', '1000'] } }));
    expect(await st('before')).toBeUndefined();
    expect(await st('after')).toMatchObject({ state: 'up', pid });
    await engine.uninstall('after');
    expect(alive(pid)).toBe(false);
    expect(await st('after')).toBeUndefined();
  }],
];

const kinds: { kind: EngineKind; missing: string | null }[] = [
  { kind: 'embedded', missing: null },
  { kind: 's6', missing: S6_MISSING },
];

warnS6Missing('engine conformance suite (s6 half)');

for (const { kind, missing } of kinds) {
  if (missing) {
    test.skip(`conformance on the ${kind} engine skipped: ${missing}`, () => {});
    continue;
  }
  describe(`engine conformance: ${kind}`, () => {
    const ctx = {} as Ctx;
    beforeAll(async () => {
      ctx.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
      ctx.engine = await openEngine(path.join(ctx.tmp, 'live'), { kind }, { autostart: true });
      ctx.st = async (name) => (await ctx.engine.status())[name];
    }, 30000);
    afterAll(async () => {
      // The embedded supervisor may drop the connection as it exits, before answering the shutdown.
      await (ctx.engine as Stoppable | undefined)?.shutdown().catch((e: unknown) => {
        if (!(e instanceof SupervisorUnavailableError)) throw e;
      });
      await ctx.engine?.close();
      fs.rmSync(ctx.tmp, { recursive: true, force: true });
    }, 60000);
    for (const [name, run] of scenarios) test(name, () => run(ctx), 60000);
  });
}
