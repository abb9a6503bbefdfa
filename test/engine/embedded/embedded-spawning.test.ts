import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceStatus } from '../../../engine/engine.js';
import { EmbeddedEngine } from '../../../engine/embedded/client.js';
import { procInfo } from '../../../engine/embedded/proc.js';
import { openEngine, startEngine } from '../../../engine/open-engine.js';
import { alive, endEmbedded, longrun, processesWith, statusSeen, supervisorPid as harnessSupervisorPid, tempLive, upAgain, waitFor } from '../../support/engine-harness.js';

// How the embedded supervisor starts processes: through rcform-spawner helpers (the default, or
// RCFORM_SPAWNER=helper); Node's spawn() (RCFORM_SPAWNER=node, or when no helper is there). Real
// processes.

let live: string;
let engine: EmbeddedEngine;
const seenPids = new Set<number>();

const supervisorPid = (): number => harnessSupervisorPid(live);
const status = (name: string): Promise<ServiceStatus> => statusSeen(engine, name, seenPids);

async function open(env: Record<string, string> = {}): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await startEngine(live, { kind: 'embedded' });
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
  }
  engine = (await openEngine(live, { kind: 'embedded' })) as EmbeddedEngine;
}

beforeEach(() => {
  live = tempLive();
});

afterEach(() => endEmbedded(live, engine, seenPids));

const ready = (name: string, marker: string): ReturnType<typeof longrun> => longrun(name, { notification_fd: 3, run: { script: `#!/bin/sh\necho >&3\nexec sleep ${marker}\n` } });

const HELPER = { RCFORM_SPAWNER: 'helper' };

/**
 * Forty services started at once: each reaches ready in a session and process group of its own,
 * a child of one of `parents`, and they are exactly the processes running `sleep MARKER`.
 * Returns each one's parent.
 */
async function burstReady(prefix: string, marker: string, parents: number[]): Promise<{ names: string[]; ppids: number[] }> {
  const names = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
  await Promise.all(names.map((n) => engine.install(ready(n, marker))));
  await Promise.all(names.map((n) => engine.start(n, { timeoutMs: 60_000 })));
  const pids: number[] = [];
  const ppids: number[] = [];
  for (const n of names) {
    const st = await status(n);
    expect(st.state).toBe('ready');
    const info = procInfo(st.pid as number);
    expect(info).toMatchObject({ session: st.pid, pgrp: st.pid });
    expect(parents).toContain(info?.ppid);
    pids.push(st.pid as number);
    ppids.push(info?.ppid as number);
  }
  expect(processesWith(`sleep ${marker}`, live).sort()).toEqual([...pids].sort());
  return { names, ppids };
}

describe('embedded supervisor: the default, rcform-spawner helpers for every start', () => {
  test('serial starts and a burst are children of the helpers; all reach ready', async () => {
    await open();
    const { launcher, spawners } = await engine.stats();
    expect(launcher).toBe('helper');
    expect(spawners.length).toBeGreaterThan(0);
    const serial = ['one', 'two', 'three'];
    for (const n of serial) {
      await engine.install(ready(n, '3655'));
      await engine.start(n, { timeoutMs: 10_000 });
      expect(spawners).toContain(procInfo((await status(n)).pid as number)?.ppid);
    }
    const { names } = await burstReady('burst', '3656', spawners);
    await Promise.all([...serial, ...names].map((n) => engine.stop(n, { timeoutMs: 60_000 })));
    expect(processesWith('sleep 365', live)).toEqual([]);
  });

  test('RCFORM_SPAWNER=vfork, the in-process addon that did not pay, is refused for the default', async () => {
    await open({ RCFORM_SPAWNER: 'vfork' });
    expect(await engine.stats()).toMatchObject({ launcher: 'helper' });
    expect(fs.readFileSync(path.join(live, 'engine', 'supervisor.log'), 'utf8')).toContain('RCFORM_SPAWNER=vfork is not one of helper, node; using the default');
  });
});

describe('embedded supervisor: spawning through rcform-spawner helpers (RCFORM_SPAWNER=helper)', () => {
  test('many starts at once all reach ready, each a child of a spawner, in its own session', async () => {
    await open(HELPER);
    const { spawners } = await engine.stats();
    expect(spawners.length).toBeGreaterThan(0);
    const { names } = await burstReady('many', '3630', spawners);
    await Promise.all(names.map((n) => engine.stop(n, { timeoutMs: 60_000 })));
    expect(processesWith('sleep 3630', live)).toEqual([]);
  });

  test('finish is started by the spawner too, with the exit code and signal of the death', async () => {
    await open(HELPER);
    const { spawners } = await engine.stats();
    const out = path.join(live, 'finish.out');
    await engine.install(
      longrun('finishes', {
        run: { script: '#!/bin/sh\nexec sleep 3637\n' },
        finish: { script: `#!/bin/sh\necho "$PPID $1 $2" >> ${out}\n` },
      }),
    );
    await engine.start('finishes', { timeoutMs: 10_000 });
    const first = await status('finishes');
    process.kill(first.pid as number, 'SIGTERM');
    const line = await waitFor('finish ran', () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n')[0]);
    const [ppid, code, sig] = (line as string).split(' ');
    expect(spawners).toContain(Number(ppid));
    expect([code, sig]).toEqual(['256', '15']);
    const back = await waitFor('restarted', async () => {
      const st = await status('finishes');
      return st.pid !== undefined && st.pid !== first.pid ? st : undefined;
    });
    expect(spawners).toContain(procInfo(back.pid as number)?.ppid);
    await engine.stop('finishes', { timeoutMs: 10_000 });
    expect(processesWith('sleep 3637', live)).toEqual([]);
  });

  test('a stop that arrives while the spawn is on its way: the start fails, the service ends down, no process is left', async () => {
    await open(HELPER);
    await engine.install(longrun('racer', { run: { argv: ['sleep', '3631'] } }));
    const start = engine.start('racer', { timeoutMs: 10_000 });
    const stop = engine.stop('racer', { timeoutMs: 10_000 });
    await expect(start).rejects.toThrow(/brought down before it was up/);
    await stop;
    expect(await status('racer')).toMatchObject({ state: 'down', wanted: 'down' });
    expect(processesWith('sleep 3631', live)).toEqual([]);
  });

  test('RCFORM_SPAWNERS helpers; one killed: its services run on as adopted ones, the others spawn', async () => {
    await open({ ...HELPER, RCFORM_SPAWNERS: '3' });
    const { spawners } = await engine.stats();
    expect(new Set(spawners).size).toBe(3);
    for (const pid of spawners) expect(procInfo(pid)?.ppid).toBe(supervisorPid());
    await engine.install(longrun('keeps', { run: { argv: ['sleep', '3632'] } }));
    await engine.start('keeps', { timeoutMs: 10_000 });
    const before = await status('keeps');
    const parent = procInfo(before.pid as number)?.ppid as number;
    expect(spawners).toContain(parent);
    process.kill(parent, 'SIGKILL');
    const adopted = await waitFor('adopted', async () => {
      const st = await status('keeps');
      return st.adopted ? st : undefined;
    });
    expect(adopted.pid).toBe(before.pid);
    const left = (await engine.stats()).spawners;
    expect(left.sort()).toEqual(spawners.filter((p) => p !== parent).sort());
    // Adopted means supervised: its death is noticed, and the restart goes to a helper still alive.
    process.kill(before.pid as number, 'SIGKILL');
    const back = await upAgain(status, 'keeps', before.pid);
    expect(back.restarts).toBe(1);
    expect(left).toContain(procInfo(back.pid as number)?.ppid);
    expect(processesWith('sleep 3632', live)).toEqual([back.pid]);
  });

  test('every spawner killed: Node spawns from then on, deaths are still noticed, starts still work', async () => {
    await open(HELPER);
    const { spawners } = await engine.stats();
    await engine.install(longrun('keeps', { run: { argv: ['sleep', '3636'] } }));
    await engine.start('keeps', { timeoutMs: 10_000 });
    const before = await status('keeps');
    for (const pid of spawners) process.kill(pid, 'SIGKILL');
    const adopted = await waitFor('adopted', async () => {
      const st = await status('keeps');
      return st.adopted ? st : undefined;
    });
    expect(adopted.pid).toBe(before.pid);
    await waitFor('no spawner left', async () => (await engine.stats()).spawners.length === 0);
    process.kill(before.pid as number, 'SIGKILL');
    const back = await upAgain(status, 'keeps', before.pid);
    expect(back.restarts).toBe(1);
    // Node's spawn() now: the supervisor is the parent.
    expect(procInfo(back.pid as number)?.ppid).toBe(supervisorPid());
    await engine.install(ready('later', '3633'));
    await engine.start('later', { timeoutMs: 10_000 });
    expect((await status('later')).state).toBe('ready');
    expect(processesWith('sleep 3636', live)).toEqual([back.pid]);
  });

  test('a SIGKILLed supervisor takes its spawners with it; the services stay for the next one', async () => {
    await open(HELPER);
    const { spawners } = await engine.stats();
    await engine.install(ready('stays', '3634'));
    await engine.start('stays', { timeoutMs: 10_000 });
    const st = await status('stays');
    const sup = supervisorPid();
    process.kill(sup, 'SIGKILL');
    await waitFor('spawners gone', () => spawners.every((p) => !alive(p)) && !alive(sup));
    expect(alive(st.pid)).toBe(true);
    await engine.close();
    await open();
    expect(await status('stays')).toMatchObject({ pid: st.pid, state: 'ready', adopted: true });
  });

});

describe("embedded supervisor: spawning with Node's spawn() (RCFORM_SPAWNER=node)", () => {
  test('RCFORM_SPAWNER=node: Node spawns, and readiness and stops work the same', async () => {
    await open({ RCFORM_SPAWNER: 'node' });
    expect(await engine.stats()).toMatchObject({ launcher: 'node', spawners: [] });
    await engine.install(ready('bynode', '3635'));
    await engine.start('bynode', { timeoutMs: 10_000 });
    const st = await status('bynode');
    expect(st.state).toBe('ready');
    expect(procInfo(st.pid as number)?.ppid).toBe(supervisorPid());
    await engine.stop('bynode', { timeoutMs: 10_000 });
    expect(processesWith('sleep 3635', live)).toEqual([]);
  });
});
