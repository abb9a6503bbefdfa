import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, EngineNotRunningError } from '../../../engine/engine.js';
import { pollUntil, scannerRunning, startScanner, stopScanner } from '../../../engine/s6/scanner.js';
import { S6Engine } from '../../../engine/s6/s6-engine.js';
import type { SvStat } from '../../../engine/s6/s6-status.js';
import { openEngine } from '../../../engine/open-engine.js';
import { runInProcess } from '../../support/cli-harness.js';
import { readState } from '../../../state/state-file.js';
import type { CompiledLongrun } from '../../../lang/compile/compiled-db.js';
import { alive, oneshot } from '../../support/engine-harness.js';
import { longrun } from '../../support/longrun-fixture.js';
import { S6_MISSING, warnS6Missing } from '../../support/s6-available.js';

// The s6 engine against real s6: a real s6-svscan, real s6-supervise processes, real services.

const suite = S6_MISSING ? describe.skip : describe;
warnS6Missing('s6 engine tests');
if (S6_MISSING) test.skip(`s6 engine tests skipped: ${S6_MISSING}`, () => {});

const openEngineLogFile = (live: string, name: string): string => S6Engine.logFileOf(live, name);
const sh = (body: string) => ({ script: `#!/bin/sh\n${body}\n` });
const T = { timeoutMs: 20000 };

async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

suite('s6 engine', () => {
  let tmp: string;
  let live: string;
  let engine: S6Engine;
  let svscanPid: number | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    live = path.join(tmp, 'live');
    engine = await S6Engine.start(live, {});
    svscanPid = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')).svscan_pid;
  });

  afterAll(async () => {
    await engine?.shutdown();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('starts s6-svscan for the live directory, and a second start reuses it', async () => {
    expect(svscanPid).toBeGreaterThan(0);
    expect(alive(svscanPid as number)).toBe(true);
    expect(scannerRunning(engine.scandir)).toBe(true);
    const again = await S6Engine.start(live, {});
    expect(JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')).svscan_pid).toBe(svscanPid);
    await again.close();
  });

  test('install writes a real service directory, supervised and down', async () => {
    const svc = longrun('web', {
      run: { argv: ['sleep', '1000'] },
      notification_fd: 3,
      timeouts: { up_ms: 0, down_ms: 0, kill_ms: 1500, finish_ms: 2000 },
      down_signal: 'SIGINT',
      max_death_tally: 9999,
      env: { GREETING: 'hello\nworld', EMPTY: '' },
      data: { 'app.conf': 'port=8080\n' },
      finish: { argv: ['true'] },
    });
    await engine.install(svc);
    const dir = fs.realpathSync(path.join(engine.scandir, 'web'));
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    expect(fs.existsSync(path.join(dir, 'down'))).toBe(true);
    expect(read('notification-fd')).toBe('3\n');
    expect(read('timeout-kill')).toBe('1500\n');
    expect(read('timeout-finish')).toBe('2000\n');
    expect(read('down-signal')).toBe('SIGINT\n');
    expect(read('max-death-tally')).toBe('4096\n');
    // The envdir in s6-envdir's default format, as s6-rc scripts read it: newlines as NULs on
    // the first line, an empty value a lone newline.
    expect(read('env/GREETING')).toBe('hello\0world\n');
    expect(read('env/EMPTY')).toBe('\n');
    expect(read('data/app.conf')).toBe('port=8080\n');
    expect(fs.statSync(path.join(dir, 'run')).mode & 0o111).toBeTruthy();
    expect(fs.statSync(path.join(dir, 'finish')).mode & 0o111).toBeTruthy();
    const st = (await engine.status())['web'];
    expect(st).toMatchObject({ name: 'web', type: 'longrun', wanted: 'down', state: 'down' });
    expect(st?.pid).toBeUndefined();
    await engine.uninstall('web');
  });

  test('up without readiness: the process runs with its env, working directory and data', async () => {
    const out = path.join(tmp, 'envout');
    await engine.install(
      longrun('envy', {
        run: sh(`{ echo "G=$GREETING"; echo "E=[\${EMPTY-unset}]"; echo "H=\${HOME-unset}"; pwd; cat data/app.conf; } > ${out}; exec sleep 1000`),
        env: { GREETING: 'hi there', EMPTY: '' },
        data: { 'app.conf': 'port=1\n' },
      }),
    );
    const before = Date.now();
    await engine.start('envy', T);
    const st = (await engine.status())['envy'];
    expect(st).toMatchObject({ wanted: 'up', state: 'up', restarts: 0 });
    // s6's TAI64N stamp read as UTC: neither before the start nor in the future (leap seconds counted).
    expect(Date.parse(st?.since as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(st?.since as string)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(alive(st?.pid as number)).toBe(true);
    const text = await eventually('the env file', () => (fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('port=1') ? fs.readFileSync(out, 'utf8') : undefined));
    const dir = fs.realpathSync(path.join(engine.scandir, 'envy'));
    expect(text).toBe(`G=hi there\nE=[]\nH=unset\n${dir}\nport=1\n`);
    // The down file follows what is wanted, so a restarted s6-supervise keeps the service up.
    expect(fs.existsSync(path.join(dir, 'down'))).toBe(false);
    await engine.stop('envy', T);
    expect(alive(st?.pid as number)).toBe(false);
    expect((await engine.status())['envy']).toMatchObject({ wanted: 'down', state: 'down', lastExit: { code: null, signal: 'SIGTERM' } });
    await engine.uninstall('envy');
  });

  test('up with readiness waits for the notification, and times out without it', async () => {
    await engine.install(longrun('ready', { run: sh('sleep 0.3; echo >&3; exec sleep 1000'), notification_fd: 3 }));
    const t0 = Date.now();
    await engine.start('ready', T);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await engine.status())['ready']).toMatchObject({ state: 'ready' });

    await engine.install(longrun('mute', { run: sh('exec sleep 1000'), notification_fd: 3 }));
    const err = await engine.start('mute', { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toMatch(/^mute: not ready within 400 ms/);
    // As s6-rc on timeout-up, and as the embedded engine: brought back down, reported failed.
    expect((err as Error).message).toMatch(/brought down$/);
    expect((await engine.status())['mute']).toMatchObject({ wanted: 'down', state: 'failed' });
    expect((await engine.status())['mute']?.pid).toBeUndefined();
    await engine.uninstall('mute');
    await engine.uninstall('ready');
  });

  test("stdout and stderr go to the service's s6-log, and a rename keeps it", async () => {
    await engine.install(longrun('talker', { run: sh('echo to-stdout; echo to-stderr >&2; exec sleep 1000') }));
    await engine.start('talker', T);
    const log = engine.logFile('talker');
    expect(log).toBe(openEngineLogFile(live, 'talker'));
    await eventually('both lines in the log', () => (fs.existsSync(log) && /to-stderr/.test(fs.readFileSync(log, 'utf8')) ? true : undefined));
    // s6-log stamps each line (TAI64N); the log source takes the stamp off and gives its time.
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^@[0-9a-f]{24} to-stdout\n@[0-9a-f]{24} to-stderr\n$/);
    const lines = await engine.log('talker').tail(10);
    expect(lines.map((l) => l.text)).toEqual(['to-stdout', 'to-stderr']);
    for (const l of lines) expect(Math.abs(Date.parse(l.at as string) - Date.now())).toBeLessThan(60_000);
    await engine.rename('talker', 'speaker', longrun('speaker', { run: sh('echo to-stdout; echo to-stderr >&2; exec sleep 1000') }));
    expect(engine.logFile('speaker')).toBe(log);
    await engine.uninstall('speaker');
    expect(fs.existsSync(log)).toBe(false);
  });

  test('a pipeline goes through s6-fdholder: ends retrieved from the holder, lines flow across restarts of either side and a rename, dropped with the last end', async () => {
    const holder = path.join(live, 'engine', 'fdholder');
    const held = (): string[] => spawnSync('s6-fdholder-list', ['s'], { cwd: holder, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
    const out = path.join(tmp, 'pipe-out');
    const src = (consumer: string) => longrun('pipe-src', { producer_for: consumer, run: sh('echo "line from $$"\nexec sleep 1000') });
    const dst = (name: string) => longrun(name, { consumer_for: ['pipe-src'], run: sh(`while IFS= read -r l; do echo "$l" >> '${out}'; done`) });
    const pidOf = async (n: string): Promise<number> => eventually(`${n} up`, async () => (await engine.status())[n]?.pid);
    const pipeOf = (pid: number, fd: number): string => fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    const arrived = (pid: number) => eventually(`the line of ${pid}`, () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes(`line from ${pid}\n`));

    await engine.install(src('pipe-dst'));
    expect(held()).toEqual(['pipe:rcform-r-pipe-dst', 'pipe:rcform-w-pipe-dst']);
    expect(fs.existsSync(path.join(live, 'engine', 'pipes'))).toBe(false);
    await engine.install(dst('pipe-dst'));
    // The holder is a service of the same s6-svscan, and not one of the live directory's.
    expect(fs.readdirSync(engine.scandir).filter((e) => e.startsWith('rcform@fdholder-'))).toHaveLength(1);
    expect(Object.keys(await engine.status())).not.toContain(expect.stringMatching(/fdholder/));
    await engine.start('pipe-dst', T);
    await engine.start('pipe-src', T);
    let consumer = await pidOf('pipe-dst');
    let producer = await pidOf('pipe-src');
    await arrived(producer);
    expect(pipeOf(consumer, 0)).toMatch(/^pipe:\[\d+\]$/);
    expect(pipeOf(producer, 1)).toBe(pipeOf(consumer, 0));

    // The consumer down: the producer restarts and writes into the held pipe, without SIGPIPE.
    await engine.stop('pipe-dst', T);
    await engine.stop('pipe-src', T);
    await engine.start('pipe-src', T);
    producer = await pidOf('pipe-src');
    await engine.start('pipe-dst', T);
    consumer = await pidOf('pipe-dst');
    await arrived(producer);
    expect((await engine.status())['pipe-src']).toMatchObject({ state: 'up', pid: producer, restarts: 0 });
    expect(pipeOf(consumer, 0)).toBe(pipeOf(producer, 1));

    // The producer restarts: the consumer reads on, the same process (no end-of-file).
    await engine.stop('pipe-src', T);
    await engine.start('pipe-src', T);
    producer = await pidOf('pipe-src');
    await arrived(producer);
    expect((await engine.status())['pipe-dst']).toMatchObject({ pid: consumer, restarts: 0 });

    // A rename of the consumer moves the pipe to its new identifiers; its process keeps reading.
    await engine.rename('pipe-dst', 'pipe-sink', dst('pipe-sink'));
    expect(held()).toEqual(['pipe:rcform-r-pipe-sink', 'pipe:rcform-w-pipe-sink']);
    await engine.update(src('pipe-sink'));
    await engine.stop('pipe-src', T);
    await engine.start('pipe-src', T);
    producer = await pidOf('pipe-src');
    await arrived(producer);
    expect((await engine.status())['pipe-sink']?.pid).toBe(consumer);

    await engine.uninstall('pipe-sink');
    expect(held()).toEqual(['pipe:rcform-r-pipe-sink', 'pipe:rcform-w-pipe-sink']); // pipe-src still writes into it
    await engine.uninstall('pipe-src');
    expect(fs.existsSync(holder)).toBe(false);
    expect(fs.readdirSync(engine.scandir).filter((e) => e.startsWith('rcform@'))).toEqual([]);
  }, 120000);

  test('a restarted fd holder fills itself with new pipes, and each end moves to them when it restarts', async () => {
    const holder = path.join(live, 'engine', 'fdholder');
    const held = (): string[] => spawnSync('s6-fdholder-list', ['s'], { cwd: holder, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
    const holderPid = (): number => Number(spawnSync('s6-svstat', ['-o', 'pid', holder], { encoding: 'utf8' }).stdout.trim());
    const out = path.join(tmp, 'refill-out');
    await engine.install(longrun('refill-src', { producer_for: 'refill-dst', run: sh('echo "line from $$"\nexec sleep 1000') }));
    await engine.install(longrun('refill-dst', { consumer_for: ['refill-src'], run: sh(`while IFS= read -r l; do echo "$l" >> '${out}'; done`) }));
    await engine.start('refill-dst', T);
    await engine.start('refill-src', T);
    const first = holderPid();
    expect(first).toBeGreaterThan(0);
    process.kill(first, 'SIGKILL');
    await eventually('the holder restarted and refilled', () => {
      const pid = holderPid();
      return pid > 0 && pid !== first && held().join(' ') === 'pipe:rcform-r-refill-dst pipe:rcform-w-refill-dst';
    });
    for (const n of ['refill-dst', 'refill-src']) await engine.stop(n, T);
    for (const n of ['refill-dst', 'refill-src']) await engine.start(n, T);
    const st = await engine.status();
    const [consumer, producer] = [st['refill-dst']?.pid as number, st['refill-src']?.pid as number];
    await eventually('the line through the new pipe', () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes(`line from ${producer}\n`));
    expect(fs.readlinkSync(`/proc/${producer}/fd/1`)).toBe(fs.readlinkSync(`/proc/${consumer}/fd/0`));
    await engine.uninstall('refill-src');
    await engine.uninstall('refill-dst');
    expect(fs.existsSync(holder)).toBe(false);
  }, 120000);

  test('the status file read directly agrees with s6-svstat in every state', async () => {
    // Polled: s6-supervise may write its status between the two reads.
    const agree = (n: string, cond: (s: SvStat) => boolean) =>
      eventually(`${n}: file and s6-svstat agree`, async () => {
        const [mine, tool] = [await engine.svstatOf(n), await engine.svstatTool(n)];
        return mine && tool && cond(tool) && JSON.stringify(mine) === JSON.stringify(tool) ? mine : undefined;
      });
    await engine.install(longrun('st-plain', { run: { argv: ['sleep', '1000'] } }));
    await agree('st-plain', (s) => !s.up && !s.wantedUp);
    await engine.start('st-plain', T);
    await agree('st-plain', (s) => s.up && s.pid > 0);
    await engine.stop('st-plain', T);
    await agree('st-plain', (s) => !s.up && s.signal === 'SIGTERM');
    await engine.install(longrun('st-ready', { run: sh('echo >&3; exec sleep 1000'), notification_fd: 3 }));
    await engine.start('st-ready', T);
    await agree('st-ready', (s) => s.ready);
    await engine.install(longrun('st-exit', { run: sh('exit 3') }));
    await engine.start('st-exit', T);
    await agree('st-exit', (s) => !s.up && s.wantedUp && s.exitCode === 3);
    for (const n of ['st-plain', 'st-ready', 'st-exit']) await engine.uninstall(n);
  });

  test('a crashed service is restarted by s6', async () => {
    await engine.install(longrun('crashy', { run: { argv: ['sleep', '1000'] } }));
    await engine.start('crashy', T);
    const pid = (await engine.status())['crashy']?.pid as number;
    process.kill(pid, 'SIGKILL');
    const st = await eventually('a new pid', async () => {
      const s = (await engine.status())['crashy'];
      return s?.state === 'up' && s.pid !== pid ? s : undefined;
    });
    expect(alive(st.pid as number)).toBe(true);
    expect(st.restarts).toBe(1);
    await engine.uninstall('crashy');
  });

  test('down with a stubborn process: SIGKILL after timeout-kill, and its children go too', async () => {
    const child = path.join(tmp, 'stubborn-child');
    await engine.install(
      longrun('stubborn', {
        run: sh(`trap '' TERM; sleep 1000 & echo $! > ${child}; while :; do sleep 1; done`),
        timeouts: { up_ms: 0, down_ms: 0, kill_ms: 500, finish_ms: 5000 },
      }),
    );
    await engine.start('stubborn', T);
    const pid = (await engine.status())['stubborn']?.pid as number;
    const childPid = await eventually('the child pid', () => (fs.existsSync(child) && fs.readFileSync(child, 'utf8').trim() ? Number(fs.readFileSync(child, 'utf8')) : undefined));
    await engine.stop('stubborn', T);
    expect(alive(pid)).toBe(false);
    expect(await pollUntil(() => !alive(childPid), 5000)).toBe(true);
    expect((await engine.status())['stubborn']).toMatchObject({ state: 'down', lastExit: { signal: 'SIGKILL' } });

    const err = await engine.start('stubborn', T).then(() => engine.stop('stubborn', { timeoutMs: 100 })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^stubborn: still running 100 ms after SIGTERM/);
    await engine.uninstall('stubborn');
  });

  test('reload sends the reload signal through s6-svc; an unsendable one is an error', async () => {
    const hup = path.join(tmp, 'hup');
    await engine.install(longrun('reloader', { run: sh(`trap 'echo reloaded >> ${hup}' HUP; while :; do sleep 0.1; done`) }));
    await engine.start('reloader', T);
    const pid = (await engine.status())['reloader']?.pid;
    // Give sh a moment to install the trap: a HUP before it would end the process.
    await new Promise((r) => setTimeout(r, 300));
    await engine.reload('reloader');
    await eventually('the reload marker', () => fs.existsSync(hup) || undefined);
    expect((await engine.status())['reloader']?.pid).toBe(pid);
    await engine.update(longrun('reloader', { run: sh('exec sleep 1000'), reload_signal: 'SIGSEGV' }));
    await expect(engine.reload('reloader')).rejects.toThrow(/^reloader: s6-svc cannot send reload signal SIGSEGV/);
    await engine.uninstall('reloader');
    await expect(engine.reload('reloader')).rejects.toThrow(/^reloader: not installed/);
  });

  test('rename keeps the same process, and a reopened engine knows the new name', async () => {
    await engine.install(longrun('old-name', { run: { argv: ['sleep', '1000'] } }));
    await engine.start('old-name', T);
    const pid = (await engine.status())['old-name']?.pid as number;
    await engine.rename('old-name', 'new-name', longrun('new-name', { run: { argv: ['sleep', '1000'] } }));
    const st = await engine.status();
    expect(st['old-name']).toBeUndefined();
    expect(st['new-name']).toMatchObject({ state: 'up', pid, restarts: 0 });
    expect(fs.existsSync(path.join(engine.scandir, 'old-name'))).toBe(false);
    // s6-svscan prunes what it no longer sees; the renamed service must survive that too.
    spawnSync('s6-svscanctl', ['-an', engine.scandir]);
    await new Promise((r) => setTimeout(r, 300));
    const reopened = await S6Engine.open(live);
    expect((await reopened.status())['new-name']).toMatchObject({ state: 'up', pid });
    expect(alive(pid)).toBe(true);
    await engine.uninstall('new-name');
  });

  test('uninstall leaves no process, supervisor, link or directory behind', async () => {
    await engine.install(longrun('gone', { run: sh('sleep 1000 & exec sleep 1000') }));
    await engine.start('gone', T);
    const pid = (await engine.status())['gone']?.pid as number;
    const dir = fs.realpathSync(path.join(engine.scandir, 'gone'));
    await engine.uninstall('gone');
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.join(engine.scandir, 'gone'))).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    // By working directory, not by name: the directory's id is unique to this test, while
    // "s6-supervise gone" could be another run of this suite on the same machine.
    const inDir = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cwdOf(p).startsWith(dir));
    expect(inDir).toEqual([]);
    expect((await engine.status())['gone']).toBeUndefined();
  });

  test("errors name the service and carry the s6 tool's message", async () => {
    await expect(engine.start('nope', T)).rejects.toThrow(/^nope: not installed/);
    fs.mkdirSync(path.join(tmp, 'operators'), { recursive: true });
    fs.symlinkSync(path.join(tmp, 'operators'), path.join(engine.scandir, 'theirs'));
    await expect(engine.install(longrun('theirs'))).rejects.toThrow(/^theirs: .*already exists in the scan directory and is not managed by rcform/);
    fs.rmSync(path.join(engine.scandir, 'theirs'));

    // Drift: someone unlinks the service behind rcform's back; s6-svc then reports it.
    await engine.install(longrun('drifted'));
    const dir = fs.realpathSync(path.join(engine.scandir, 'drifted'));
    fs.rmSync(path.join(engine.scandir, 'drifted'));
    spawnSync('s6-svscanctl', ['-an', engine.scandir]);
    await pollUntil(() => spawnSync('s6-svok', [dir]).status !== 0, 10000);
    const err = await engine.start('drifted', T).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).service).toBe('drifted');
    expect((err as Error).message).toMatch(/^drifted: s6-svc failed \(exit \d+\): s6-sv\w+: fatal: /);
    // Uninstalling a drifted service still cleans up what is left.
    await engine.uninstall('drifted');
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('oneshots run under s6-svscan through the oneshot runner: its own entry in the scan directory, not a service of the live directory, started again on a new run script', async () => {
    const runnerPid = (): number | undefined => {
      const r = spawnSync('s6-svstat', ['-o', 'pid', path.join(live, 'engine', 'oneshot-runner')], { encoding: 'utf8' });
      const pid = Number(r.stdout.trim());
      return r.status === 0 && pid > 0 ? pid : undefined;
    };
    const parentOf = (pid: number): number => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    };
    const out = path.join(tmp, 'runner-task.ppid');
    const task = oneshot('runner-task', { up: sh(`cut -d' ' -f4 /proc/$$/stat > ${out}; echo ran`) });
    await engine.runOneshot(task, 'up', T);
    const first = runnerPid() as number;
    expect(first).toBeGreaterThan(0);
    expect(Number(fs.readFileSync(out, 'utf8'))).toBe(first);
    // The runner is s6-svscan's service (its s6-supervise's child), and not one of ours.
    expect(parentOf(parentOf(first))).toBe(svscanPid);
    expect(fs.readdirSync(engine.scandir).filter((e) => e.startsWith('rcform@oneshots-'))).toHaveLength(1);
    expect(Object.keys(await engine.status())).not.toContain(expect.stringMatching(/oneshot/));
    expect(fs.readFileSync(path.join(live, 'engine', 'oneshot-runner', 'run'), 'utf8')).toContain("'n10' 's1000000' 't'");
    // Other log sizes at the next install: a new run script, and the runner started again on it.
    process.env['RCFORM_LOG_KEEP'] = '4';
    try {
      const reopened = await S6Engine.open(live);
      await reopened.runOneshot(task, 'up', T);
      expect(fs.readFileSync(path.join(live, 'engine', 'oneshot-runner', 'run'), 'utf8')).toContain("'n4' 's1000000' 't'");
      expect(runnerPid()).not.toBe(first);
      expect(alive(first)).toBe(false);
      expect(Number(fs.readFileSync(out, 'utf8'))).toBe(runnerPid());
    } finally {
      delete process.env['RCFORM_LOG_KEEP'];
    }
    expect((await engine.log('runner-task').tail(5)).map((l) => l.text)).toEqual(['ran', 'ran']);
  });

  test('oneshot state is recorded and reported', async () => {
    const db = longrun('x'); // only the name and type matter to setOneshotState
    await engine.setOneshotState({ ...db, name: 'migrate' } as never, true);
    expect((await engine.status())['migrate']).toMatchObject({ type: 'oneshot', wanted: 'up', state: 'up' });
    // Down is no record at all, as with the embedded engine.
    await engine.setOneshotState({ ...db, name: 'migrate' } as never, false);
    expect((await engine.status())['migrate']).toBeUndefined();
    await engine.setOneshotState({ ...db, name: 'migrate' } as never, true);
    await engine.forgetOneshot('migrate');
    expect((await engine.status())['migrate']).toBeUndefined();
  });
});

suite('s6 engine pipelines across a restart of s6-svscan', () => {
  test('after the whole tree is stopped and s6-svscan started again, the holder is back with its pipes and the line flows', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    const out = path.join(tmp, 'out');
    const holder = path.join(live, 'engine', 'fdholder');
    const held = (): string => spawnSync('s6-fdholder-list', ['s'], { cwd: holder, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort().join(' ');
    let engine = await S6Engine.start(live, {});
    try {
      const run = async (): Promise<void> => {
        await engine.start('dst', T);
        await engine.start('src', T);
        const pid = (await engine.status())['src']?.pid as number;
        await eventually(`the line of ${pid}`, () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes(`line from ${pid}\n`));
      };
      await engine.install(longrun('src', { producer_for: 'dst', run: sh('echo "line from $$"\nexec sleep 1000') }));
      await engine.install(longrun('dst', { consumer_for: ['src'], run: sh(`while IFS= read -r l; do echo "$l" >> '${out}'; done`) }));
      await run();
      await engine.shutdown();
      expect(scannerRunning(engine.scandir)).toBe(false);
      engine = await S6Engine.start(live, {});
      await eventually('the holder refilled', () => held() === 'pipe:rcform-r-dst pipe:rcform-w-dst');
      await run();
    } finally {
      await engine.shutdown();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);
});

suite('s6 engine on an operator-run s6-svscan', () => {
  test('--scandir uses the running s6-svscan and shutdown leaves it running; none running is an error', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const scandir = path.join(tmp, 'service');
    try {
      await expect(S6Engine.start(path.join(tmp, 'live'), { scandir })).rejects.toThrow(/no s6-svscan is running on/);
      const scanner = await startScanner(scandir, path.join(tmp, 'svscan.log'), 100);
      try {
        const engine = await S6Engine.start(path.join(tmp, 'live'), { scandir });
        await engine.install(longrun('theirs-app', { run: { argv: ['sleep', '1000'] } }));
        await engine.start('theirs-app', T);
        const pid = (await engine.status())['theirs-app']?.pid as number;
        expect(fs.lstatSync(path.join(scandir, 'theirs-app')).isSymbolicLink()).toBe(true);
        await engine.runOneshot(oneshot('theirs-task', { up: { argv: ['true'] } }), 'up', T);
        expect(fs.readdirSync(scandir).filter((e) => e.startsWith('rcform@oneshots-'))).toHaveLength(1);
        await engine.shutdown();
        // The oneshot runner goes with our services; the operator's s6-svscan is left as it was.
        expect(fs.readdirSync(scandir).filter((e) => e.startsWith('rcform@oneshots-'))).toEqual([]);
        expect(alive(pid)).toBe(false);
        expect(scannerRunning(scandir)).toBe(true);
        await engine.uninstall('theirs-app');
      } finally {
        await stopScanner(scandir, scanner.pid);
      }
      expect(alive(scanner.pid)).toBe(false);
      await expect(S6Engine.open(path.join(tmp, 'live'))).rejects.toThrow(/no s6-svscan is running on/);
      // What plan's refresh relies on: "not running" is EngineNotRunningError, not a crash.
      await expect(openEngine(path.join(tmp, 'live'), { kind: 's6', options: { scandir } })).rejects.toBeInstanceOf(EngineNotRunningError);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

suite('s6 engine through the CLI', () => {
  test('after s6-svscan is killed, starting it again finds what is installed, install adopts it; stop leaves nothing', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    fs.mkdirSync(path.join(tmp, 'src'));
    fs.writeFileSync(path.join(tmp, 'src', 'main.hcl'), 'longrun "www" {\n  run = ["sleep", "1031"]\n}\n');
    const rc = (args: string[]) => runInProcess([...args, '--live', live], { cwd: tmp });
    const ours = (comm: string): number[] =>
      fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm && fs.readlinkSync(`/proc/${p}/cwd`).startsWith(live + '/');
        } catch {
          return false;
        }
      });
    try {
      expect(await rc(['init', '--engine', 's6'])).toMatchObject({ code: 0 });
      expect(await rc(['apply', 'src', '--auto-approve'])).toMatchObject({ code: 0 });
      const svscan = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')).svscan_pid as number;
      const before = JSON.parse((await rc(['status', '--json'])).stdout).services[0].pid as number;
      process.kill(svscan, 'SIGKILL');
      expect(await pollUntil(() => !alive(svscan), 10000)).toBe(true);

      // The hint names what starts an s6 engine: init, not the embedded engine's supervise.
      const down = await rc(['status']);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`start it with "rcform init --live ${live}"`);
      expect(down.stderr).not.toContain('rcform supervise');

      // What apply (or init) does to a dead engine: a new s6-svscan over the same scan directory.
      // The services were there all along, and are found again.
      const engine = await S6Engine.start(live, {});
      expect(await engine.status()).toEqual({ www: expect.objectContaining({ state: 'up', pid: before }) });
      // A plan made while s6-svscan was down said "1 to install": install adopts the service as it
      // is, and a changed definition updates it in place; the process is not touched either way.
      const def = readState(live).services['www']?.definition as CompiledLongrun;
      await engine.install(def);
      await engine.install({ ...def, env: { ...def.env, ADDED: 'yes' } });
      expect(await engine.status()).toEqual({ www: expect.objectContaining({ state: 'up', pid: before }) });
      expect(ours('sleep')).toEqual([before]);
      // Running again, the engine answers the plan: nothing to install.
      expect(await rc(['plan', 'src', '-detailed-exitcode'])).toMatchObject({ code: 0 });
      await engine.close();

      expect(await rc(['supervise', '--stop'])).toMatchObject({ code: 0 });
      expect(await pollUntil(() => ours('s6-supervise').length === 0 && ours('s6-svscan').length === 0, 15000)).toBe(true);
      expect(alive(before)).toBe(false);
    } finally {
      const f = path.join(live, 'engine', 's6.json');
      if (fs.existsSync(f)) await stopScanner(JSON.parse(fs.readFileSync(f, 'utf8')).scandir, undefined);
      // Whatever a failure left: the orphaned supervisors first, so nothing restarts the service.
      for (const p of [...ours('s6-supervise'), ...ours('sleep')]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);

  test('init --engine s6 starts s6-svscan, status reads it, supervise --stop stops it', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    const live = path.join(tmp, 'live');
    try {
      const init = await runInProcess(['init', '--engine', 's6', '--live', live]);
      expect(init).toMatchObject({ code: 0 });
      expect(init.stdout).toMatch(/engine s6/);
      const pid = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')).svscan_pid as number;
      expect(alive(pid)).toBe(true);
      expect(await runInProcess(['status', '--live', live])).toMatchObject({ code: 0 });
      const stop = await runInProcess(['supervise', '--stop', '--live', live]);
      expect(stop).toMatchObject({ code: 0 });
      expect(await pollUntil(() => !alive(pid), 10000)).toBe(true);
    } finally {
      const f = path.join(live, 'engine', 's6.json');
      if (fs.existsSync(f)) await stopScanner(JSON.parse(fs.readFileSync(f, 'utf8')).scandir, undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

function cwdOf(pid: string): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}
