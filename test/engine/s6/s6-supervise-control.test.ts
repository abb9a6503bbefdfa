import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollUntil, scannerRunning, startScanner, stopScanner } from '../../../engine/s6/scanner.js';
import { svscanControl, transition } from '../../../engine/s6/supervise-control.js';
import { S6_MISSING, warnS6Missing } from '../../support/s6-available.js';

// The s6 engine's in-process s6-svc -w… (engine/s6/supervise-control.ts) against real
// s6-supervise processes: what each wait returns is checked against s6's own tools.

const suite = S6_MISSING ? describe.skip : describe;
warnS6Missing('s6 supervise control tests');
if (S6_MISSING) test.skip(`s6 supervise control tests skipped: ${S6_MISSING}`, () => {});

const svstat = (dir: string): string => spawnSync('s6-svstat', ['-o', 'up,ready', dir], { encoding: 'utf8' }).stdout.trim();

suite('transitions through supervise/control and the event fifodir', () => {
  let tmp: string;
  let scandir: string;
  let pid: number;

  /** A service directory linked into the scan directory, down, with its supervisor listening. */
  async function service(name: string, run: string, extra: Record<string, string> = {}): Promise<string> {
    const dir = path.join(tmp, 'sv', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'run'), `#!/bin/sh\n${run}\n`, { mode: 0o755 });
    for (const [f, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), content, { mode: f === 'finish' ? 0o755 : 0o644 });
    fs.writeFileSync(path.join(dir, 'down'), '');
    fs.symlinkSync(dir, path.join(scandir, name));
    await svscanControl(scandir, 'a');
    const ok = await pollUntil(() => spawnSync('s6-svok', [dir]).status === 0, 20000);
    if (!ok) throw new Error(`no s6-supervise on ${dir}`);
    return dir;
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    scandir = path.join(tmp, 'scan');
    pid = (await startScanner(scandir, path.join(tmp, 'svscan.log'), 50)).pid;
  });

  afterAll(async () => {
    if (scannerRunning(scandir)) await stopScanner(scandir, pid, 30000);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('up, then down and finished: the state s6-svstat reports, and no listener FIFO left behind', async () => {
    const dir = await service('plain', 'exec sleep 1000');
    expect(await transition('plain', dir, 'u', 'up', 20000)).toBe('reached');
    expect(svstat(dir)).toBe('true false');
    // Asking for what already holds returns at once.
    expect(await transition('plain', dir, 'u', 'up', 20000)).toBe('reached');
    expect(await transition('plain', dir, 'd', 'finished', 20000)).toBe('reached');
    expect(svstat(dir)).toBe('false false');
    expect(fs.readdirSync(path.join(dir, 'event'))).toEqual([]);
  });

  test('ready waits for the notification, which comes after up (a timeout of 0 waits for ever, as -T 0)', async () => {
    const dir = await service('notifier', 'sleep 0.5; echo >&3; exec sleep 1000', { 'notification-fd': '3\n' });
    const t0 = Date.now();
    expect(await transition('notifier', dir, 'u', 'ready', 0)).toBe('reached');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(svstat(dir)).toBe('true true');
    expect(await transition('notifier', dir, 'd', 'finished', 20000)).toBe('reached');
  });

  test('a service that never becomes ready times out, and stays up unready', async () => {
    const dir = await service('mute', 'exec sleep 1000', { 'notification-fd': '3\n' });
    expect(await transition('mute', dir, 'u', 'ready', 300)).toBe('timeout');
    expect(svstat(dir)).toBe('true false');
    expect(await transition('mute', dir, 'd', 'finished', 20000)).toBe('reached');
  });

  test('down waits for ./finish too', async () => {
    const dir = await service('finisher', 'exec sleep 1000', { finish: '#!/bin/sh\nsleep 0.5\n' });
    expect(await transition('finisher', dir, 'u', 'up', 20000)).toBe('reached');
    const t0 = Date.now();
    expect(await transition('finisher', dir, 'd', 'finished', 20000)).toBe('reached');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  test('a finish script that exits 125 is a permanent failure, seen by a wait for up', async () => {
    const dir = await service('doomed', 'sleep 0.2; exit 1', { finish: '#!/bin/sh\nexit 125\n', 'notification-fd': '3\n' });
    expect(await transition('doomed', dir, 'u', 'ready', 20000)).toBe('permanent-failure');
  });

  test('an abort rejects, naming the service', async () => {
    const dir = await service('aborted', 'exec sleep 1000', { 'notification-fd': '3\n' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(transition('aborted', dir, 'u', 'ready', 20000, ac.signal)).rejects.toThrow(/^aborted: interrupted/);
    expect(await transition('aborted', dir, 'd', 'finished', 20000)).toBe('reached');
  });

  test('a supervisor that listens but has not yet written its status: the service is down', async () => {
    // The window between s6-supervise opening supervise/control and writing supervise/status is
    // too short to hit on purpose: this process plays the listening supervisor.
    const dir = path.join(tmp, 'sv', 'early');
    fs.mkdirSync(path.join(dir, 'supervise'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'event'));
    spawnSync('mkfifo', [path.join(dir, 'supervise', 'control')]);
    const reader = fs.openSync(path.join(dir, 'supervise', 'control'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      expect(await transition('early', dir, 'd', 'finished', 2000)).toBe('reached');
      expect(await transition('early', dir, 'u', 'up', 200)).toBe('timeout');
    } finally {
      fs.closeSync(reader);
    }
  });

  test('with no supervisor the error is s6-svc\'s own', async () => {
    const dir = path.join(tmp, 'sv', 'orphan');
    fs.mkdirSync(dir, { recursive: true });
    await expect(transition('orphan', dir, 'u', 'up', 2000)).rejects.toThrow(/^orphan: s6-svc failed \(exit \d+\): s6-svc: fatal: /);
  });
});
