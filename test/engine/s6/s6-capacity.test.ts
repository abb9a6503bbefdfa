import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maxServicesOfArgv, MIN_SIZED_MAX_SERVICES, sizedMaxServices, stackKbFor } from '../../../engine/s6/capacity.js';
import { startScanner, stopScanner } from '../../../engine/s6/scanner.js';
import { S6Engine } from '../../../engine/s6/s6-engine.js';
import { runInProcess } from '../../support/cli-harness.js';
import { longrun } from '../../support/longrun-fixture.js';
import { S6_MISSING, warnS6Missing } from '../../support/s6-available.js';

// s6-svscan's -c: sized when rcform starts it, read from the operator's, and an install past it
// refused at once with the limit named (s6-svscan itself would only log "too many services").

const suite = S6_MISSING ? describe.skip : describe;
warnS6Missing('s6 capacity tests');
if (S6_MISSING) test.skip(`s6 capacity tests skipped: ${S6_MISSING}`, () => {});

const sleeper = (name: string) => longrun(name, { run: { argv: ['sleep', '1000'] } });
const cmdline = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

describe('sizing -c', () => {
  test('reads -c from an s6-svscan command line in its forms, with s6 default 500', () => {
    expect(maxServicesOfArgv(['s6-svscan', '-c', '3', '--', '/scan'])).toBe(3);
    expect(maxServicesOfArgv(['s6-svscan', '-t0', '-c100', '/scan'])).toBe(100);
    expect(maxServicesOfArgv(['s6-svscan', '-d', '3', '-c', '7'])).toBe(7);
    expect(maxServicesOfArgv(['s6-svscan', '/scan'])).toBe(500);
    expect(maxServicesOfArgv(['s6-svscan', '--', '-c'])).toBe(500);
  });

  test('twice what is installed, at least the minimum, within s6 bounds and the descriptors', () => {
    const plenty = 1_000_000;
    expect(sizedMaxServices(0, undefined, plenty)).toBe(MIN_SIZED_MAX_SERVICES);
    expect(sizedMaxServices(6000, undefined, plenty)).toBe(12000);
    expect(sizedMaxServices(60000, undefined, plenty)).toBe(90000);
    expect(sizedMaxServices(6000, 7, plenty)).toBe(7);
    // 2 descriptors per logged service in s6-svscan: 20,000 open files hold fewer than 10,000.
    expect(sizedMaxServices(0, undefined, 20000)).toBeLessThan(10000);
    expect(stackKbFor(10000)).toBe(8192);
    expect(stackKbFor(90000)).toBeGreaterThan(8192 + 4096);
  });
});

suite('s6 engine capacity on a real s6-svscan', () => {
  test('rcform starts s6-svscan with the -c asked; an install past it is refused naming it, and fits again after an uninstall', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    const engine = await S6Engine.start(live, {}, { maxServices: 2 });
    try {
      const file = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8'));
      expect(file.max_services).toBe(2);
      expect(cmdline(file.svscan_pid)).toEqual(expect.arrayContaining(['-c', '2']));
      await engine.install(sleeper('one'));
      await engine.install(sleeper('two'));
      await expect(engine.install(sleeper('three'))).rejects.toThrow(/three: cannot install: the s6-svscan on .* supervises at most 2 services \(-c 2\) and its scan directory has 2; .*rcform supervise --stop.*--max-services/);
      expect(fs.existsSync(path.join(engine.scandir, 'three'))).toBe(false);
      expect(fs.readdirSync(path.join(live, 'engine', 'sv')).some((d) => d.startsWith('three-'))).toBe(false);
      // A running s6-svscan cannot change its -c: asking for another is an error, the same one is not.
      await expect(S6Engine.start(live, {}, { maxServices: 5 })).rejects.toThrow(/already runs, supervising at most 2 services \(-c 2\)/);
      await (await S6Engine.start(live, {}, { maxServices: 2 })).close();
      await engine.uninstall('one');
      await engine.install(sleeper('three'));
      await engine.start('three', { timeoutMs: 20000 });
      expect((await engine.status())['three']?.state).toBe('up');
    } finally {
      await engine.shutdown();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);

  test("an operator's s6-svscan: its -c is read from its command line", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const scandir = path.join(tmp, 'service');
    const scanner = await startScanner(scandir, path.join(tmp, 'svscan.log'), 2);
    try {
      // One entry of the operator's own: it takes a slot too.
      fs.mkdirSync(path.join(tmp, 'theirs'));
      fs.writeFileSync(path.join(tmp, 'theirs', 'run'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
      fs.writeFileSync(path.join(tmp, 'theirs', 'down'), '');
      fs.symlinkSync(path.join(tmp, 'theirs'), path.join(scandir, 'theirs'));
      const engine = await S6Engine.start(path.join(tmp, 'live'), { scandir });
      await engine.install(sleeper('mine'));
      await expect(engine.install(sleeper('more'))).rejects.toThrow(/more: cannot install: .* at most 2 services \(-c 2\) and its scan directory has 2; to raise it, restart that s6-svscan with a larger -c/);
      await expect(S6Engine.start(path.join(tmp, 'live'), { scandir }, { maxServices: 9 })).rejects.toThrow(/--max-services is for an s6-svscan rcform starts/);
      await engine.shutdown();
      await engine.uninstall('mine');
    } finally {
      await stopScanner(scandir, scanner.pid);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);

  test('init --max-services: checked, passed to s6-svscan, refused for the embedded engine', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    try {
      expect(await runInProcess(['init', '--engine', 's6', '--live', live, '--max-services', '1'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--max-services takes a whole number from 2 to 90000/) });
      expect(await runInProcess(['init', '--live', live, '--max-services', '40'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--max-services is for --engine=s6 only/) });
      expect(fs.existsSync(path.join(live, 'state.json'))).toBe(false);
      expect(await runInProcess(['init', '--engine', 's6', '--live', live, '--max-services', '40'])).toMatchObject({ code: 0 });
      const file = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8'));
      expect(cmdline(file.svscan_pid)).toEqual(expect.arrayContaining(['-c', '40']));
      expect(await runInProcess(['init', '--live', live, '--max-services', '50'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/already runs, supervising at most 40 services/) });
      expect(await runInProcess(['supervise', '--stop', '--live', live])).toMatchObject({ code: 0 });
      expect(await runInProcess(['init', '--live', live, '--max-services', '50'])).toMatchObject({ code: 0 });
      const again = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8'));
      expect(cmdline(again.svscan_pid)).toEqual(expect.arrayContaining(['-c', '50']));
    } finally {
      const f = path.join(live, 'engine', 's6.json');
      if (fs.existsSync(f)) await stopScanner(JSON.parse(fs.readFileSync(f, 'utf8')).scandir, undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);
});

suite('an apply that needs more room than s6-svscan has', () => {
  const svscanPid = (live: string): number => JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')).svscan_pid;

  test("with nothing running, rcform's own s6-svscan is started again with room; installed services stay supervised and down", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    const engine = await S6Engine.start(live, {}, { maxServices: 2 });
    try {
      await engine.install(sleeper('a'));
      const before = svscanPid(live);
      await engine.reserve([sleeper('b'), sleeper('c')]);
      const after = svscanPid(live);
      expect(after).not.toBe(before);
      expect(Number(cmdline(after)[cmdline(after).indexOf('-c') + 1])).toBeGreaterThanOrEqual(3);
      expect((await engine.status())['a']).toMatchObject({ wanted: 'down', state: 'down' });
      await engine.install(sleeper('b'));
      await engine.install(sleeper('c'));
      await engine.start('c', { timeoutMs: 20000 });
      expect((await engine.status())['c']?.state).toBe('up');
    } finally {
      await engine.shutdown();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);

  test('with a service running, the apply is refused before any step, naming the limit; nothing changes', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    const hcl = (names: string[]): void => fs.writeFileSync(path.join(src, 'main.hcl'), names.map((n) => `longrun "${n}" {\n  run = ["sleep", "1000"]\n}\n`).join('\n'));
    try {
      expect(await runInProcess(['init', '--engine', 's6', '--live', live, '--max-services', '2'])).toMatchObject({ code: 0 });
      hcl(['a']);
      expect(await runInProcess(['apply', src, '--live', live, '--auto-approve'])).toMatchObject({ code: 0 });
      const pid = svscanPid(live);
      const status = JSON.parse((await runInProcess(['status', '--live', live, '--json'])).stdout);
      hcl(['a', 'b', 'c']);
      const r = await runInProcess(['apply', src, '--live', live, '--auto-approve']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/nothing was started: .*this apply installs 2 services, but the s6-svscan on .* supervises at most 2 \(-c 2\) and its scan directory has 1; to raise it/);
      expect(svscanPid(live)).toBe(pid);
      expect((await runInProcess(['state', 'list', '--live', live])).stdout).toBe('longrun.a\n');
      expect(JSON.parse((await runInProcess(['status', '--live', live, '--json'])).stdout)).toEqual(status);
    } finally {
      await runInProcess(['supervise', '--stop', '--live', live]);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);
});
