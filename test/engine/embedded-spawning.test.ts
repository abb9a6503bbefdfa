import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceStatus } from '../../engine/engine.js';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import { procInfo } from '../../engine/embedded/proc.js';
import { openEngine, startEngine } from '../../engine/open-engine.js';
import { alive, endEmbedded, longrun, processesWith, statusSeen, supervisorPid as harnessSupervisorPid, tempLive, upAgain, waitFor } from '../support/engine-harness.js';

// How the embedded supervisor starts processes: by default a lone start in its own process
// through rcform-vfork.node and the rest of a burst through rcform-spawner helpers; the addon
// alone (RCFORM_SPAWNER=vfork); the helpers alone (RCFORM_SPAWNER=helper, or when the addon cannot
// load); Node's spawn() (RCFORM_SPAWNER=node, or when no helper is there). Real processes.

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
const VFORK = { RCFORM_SPAWNER: 'vfork' };

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

describe('embedded supervisor: the default, the addon for lone starts and helpers for bursts', () => {
  test('serial starts are children of the supervisor; a burst is shared with the helpers; all reach ready', async () => {
    await open();
    const { launcher, spawners } = await engine.stats();
    expect(launcher).toBe('vfork+helper');
    expect(spawners.length).toBeGreaterThan(0);
    const serial = ['one', 'two', 'three'];
    for (const n of serial) {
      await engine.install(ready(n, '3655'));
      await engine.start(n, { timeoutMs: 10_000 });
      expect(procInfo((await status(n)).pid as number)?.ppid).toBe(supervisorPid());
    }
    const { names, ppids } = await burstReady('burst', '3656', [supervisorPid(), ...spawners]);
    expect(ppids.some((p) => spawners.includes(p))).toBe(true);
    await Promise.all([...serial, ...names].map((n) => engine.stop(n, { timeoutMs: 60_000 })));
    expect(processesWith('sleep 365', live)).toEqual([]);
  });
});

describe('embedded supervisor: spawning in its own process alone (RCFORM_SPAWNER=vfork)', () => {
  test('many starts at once all reach ready, each a child of the supervisor, in its own session', async () => {
    await open(VFORK);
    expect(await engine.stats()).toMatchObject({ launcher: 'vfork', spawners: [] });
    const { names } = await burstReady('many', '3650', [supervisorPid()]);
    const stats = await engine.stats();
    expect(stats.spawns).toBeGreaterThanOrEqual(40);
    expect(stats.execMs).toBeGreaterThan(0);
    await Promise.all(names.map((n) => engine.stop(n, { timeoutMs: 60_000 })));
    expect(processesWith('sleep 3650', live)).toEqual([]);
  });

  test("finish, deaths and restarts, beside a service Node spawns (another account) in the same supervisor", async () => {
    await open(VFORK);
    const out = path.join(live, 'finish.out');
    await engine.install(
      longrun('finishes', {
        run: { script: '#!/bin/sh\nexec sleep 3651\n' },
        finish: { script: `#!/bin/sh\necho "$PPID $1 $2" >> ${out}\n` },
      }),
    );
    // An account, even our own, sends the start through Node's spawn() (setuid in the child).
    const nodeSpawned = process.getuid?.() === 0;
    await engine.install(longrun('bynode', { ...(nodeSpawned ? { user: 'root' } : {}), run: { argv: ['sleep', '3652'] } }));
    await engine.start('finishes', { timeoutMs: 10_000 });
    await engine.start('bynode', { timeoutMs: 10_000 });
    const first = await status('finishes');
    const other = await status('bynode');
    process.kill(first.pid as number, 'SIGTERM');
    process.kill(other.pid as number, 'SIGKILL');
    const line = await waitFor('finish ran', () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n')[0]);
    const [ppid, code, sig] = (line as string).split(' ');
    expect(Number(ppid)).toBe(supervisorPid());
    expect([code, sig]).toEqual(['256', '15']);
    const back = await upAgain(status, 'finishes', first.pid);
    const otherBack = await upAgain(status, 'bynode', other.pid);
    // Each death seen as it was, by whoever waits for that child.
    expect(back).toMatchObject({ restarts: 1, lastExit: { code: null, signal: 'SIGTERM' } });
    expect(otherBack).toMatchObject({ restarts: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(procInfo(back.pid as number)?.ppid).toBe(supervisorPid());
    await engine.stop('finishes', { timeoutMs: 10_000 });
    await engine.stop('bynode', { timeoutMs: 10_000 });
    expect(processesWith('sleep 3651', live)).toEqual([]);
    expect(processesWith('sleep 3652', live)).toEqual([]);
  });

  test('a SIGKILLed supervisor leaves its services running; the next one adopts them and sees their deaths', async () => {
    await open(VFORK);
    await engine.install(ready('stays', '3653'));
    await engine.install(longrun('plain', { run: { argv: ['sleep', '3654'] } }));
    await engine.start('stays', { timeoutMs: 10_000 });
    await engine.start('plain', { timeoutMs: 10_000 });
    const st = await status('stays');
    const plain = await status('plain');
    const sup = supervisorPid();
    process.kill(sup, 'SIGKILL');
    await waitFor('supervisor gone', () => !alive(sup));
    expect(alive(st.pid)).toBe(true);
    expect(alive(plain.pid)).toBe(true);
    await engine.close();
    await open(VFORK);
    expect(await status('stays')).toMatchObject({ pid: st.pid, state: 'ready', adopted: true });
    expect(await status('plain')).toMatchObject({ pid: plain.pid, state: 'up', adopted: true });
    process.kill(plain.pid as number, 'SIGKILL');
    const back = await upAgain(status, 'plain', plain.pid);
    expect(back.restarts).toBe(1);
    expect(procInfo(back.pid as number)?.ppid).toBe(supervisorPid());
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
