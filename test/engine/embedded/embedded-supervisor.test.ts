import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, type Engine, type ServiceStatus } from '../../../engine/engine.js';
import { EmbeddedEngine } from '../../../engine/embedded/client.js';
import { groupMembers, procInfo } from '../../../engine/embedded/proc.js';
import { engineLayout, servicePaths } from '../../../engine/embedded/layout.js';
import { openEngine, startEngine } from '../../../engine/open-engine.js';
import { alive, endEmbedded, longrun, processesWith, statusSeen, supervisorPid as harnessSupervisorPid, tempLive, upAgain, waitFor } from '../../support/engine-harness.js';

// The embedded supervisor as it runs for real: started detached by startEngine, driven through
// the Engine client, supervising real processes. Each test has its own live directory and
// leaves no process behind.

let live: string;
let engine: Engine;
const seenPids = new Set<number>();

const status = (name: string): Promise<ServiceStatus> => statusSeen(engine, name, seenPids);
const supervisorPid = (): number => harnessSupervisorPid(live);

async function up(svc: Parameters<Engine['install']>[0]): Promise<ServiceStatus> {
  await engine.install(svc);
  await engine.start(svc.name, { timeoutMs: 10_000 });
  return status(svc.name);
}

beforeEach(async () => {
  live = tempLive();
  engine = await openEngine(live, { kind: 'embedded' }, { autostart: true });
});

afterEach(() => endEmbedded(live, engine as EmbeddedEngine, seenPids));

describe('embedded supervisor', () => {
  test('a longrun killed with SIGKILL is restarted within about a second, and the death is recorded', async () => {
    const first = await up(longrun('svc', { run: { argv: ['sleep', '3600'] } }));
    expect(first.state).toBe('up');
    expect(alive(first.pid)).toBe(true);
    const killedAt = Date.now();
    process.kill(first.pid as number, 'SIGKILL');
    const back = await upAgain(status, 'svc', first.pid);
    // The throttle is one second after the previous spawn; generous bound for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(alive(back.pid)).toBe(true);
    expect(back.restarts).toBe(1);
    expect(back.lastExit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  test('environment is clean plus env, working directory defaults to the service directory with its data files', async () => {
    const st = await up(
      longrun('envsvc', {
        env: { GREETING: 'hi there' },
        data: { 'conf.txt': 'from data\n' },
        run: { script: '#!/bin/sh\nenv | sort\ncat data/conf.txt\nexec sleep 3600\n' },
      }),
    );
    const log = path.join(live, 'engine/logs/envsvc/current');
    const text = await waitFor('log', () => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('from data') ? fs.readFileSync(log, 'utf8') : undefined));
    expect(text).toContain('GREETING=hi there');
    expect(text).not.toContain('HOME=');
    expect(text).toContain(`PWD=${path.join(live, 'engine/services/envsvc')}`);
    expect(alive(st.pid)).toBe(true);
  });

  test('lock_fd: the service holds a lock; while a process of an earlier instance keeps it, no new instance runs', async () => {
    const log = path.join(live, 'leftovers');
    const leftovers = (): number[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map(Number) : []);
    // Each instance leaves a sleep behind that left its process group (setsid), so neither a
    // death nor a stop ends it, and it keeps the lock descriptor it inherited.
    const svc = longrun('locker', { lock_fd: 5, run: { script: `#!/bin/sh\nsetsid sleep 3600 & echo $! >> ${log}\nexec sleep 3600\n` } });
    try {
      const first = await up(svc);
      const inode = fs.statSync(servicePaths(engineLayout(live), 'locker').lock).ino;
      const held = (): boolean => fs.readFileSync('/proc/locks', 'utf8').split('\n').some((l) => / FLOCK /.test(l) && l.includes(`:${inode} `));
      expect(held()).toBe(true);
      const [one] = await waitFor('the first leftover', () => (leftovers().length === 1 ? leftovers() : undefined));

      // A death: the restart finds the lock held, fails, and is tried again every second until it is free.
      process.kill(first.pid as number, 'SIGKILL');
      await waitFor('a refused restart', async () => ((await status('locker')).state === 'failed' ? true : undefined));
      expect(alive(one)).toBe(true);
      expect(held()).toBe(true);
      process.kill(one as number, 'SIGKILL');
      const back = await upAgain(status, 'locker', first.pid);
      expect(back.state).toBe('up');

      // An explicit start while the lock is held is refused, with the reason.
      const [, two] = await waitFor('the second leftover', () => (leftovers().length === 2 ? leftovers() : undefined));
      await engine.stop('locker', { timeoutMs: 10_000 });
      expect(alive(two)).toBe(true);
      await expect(engine.start('locker', { timeoutMs: 10_000 })).rejects.toThrow("the service's lock (lock_fd) is still held by a process of an earlier instance, which outlived it");
    } finally {
      for (const pid of leftovers()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('readiness comes from a newline on notification_fd; start waits for it', async () => {
    await engine.install(longrun('notify', { notification_fd: 5, run: { script: '#!/bin/sh\nsleep 0.4\necho >&5\nexec sleep 3600\n' } }));
    const starting = engine.start('notify', { timeoutMs: 10_000 });
    const early = await waitFor('spawn', async () => {
      const st = await status('notify');
      return st.pid !== undefined ? st : undefined;
    });
    expect(early.state).toBe('starting');
    await starting;
    const st = await status('notify');
    expect(st.state).toBe('ready');
    expect(st.pid).toBe(early.pid);
  });

  test('timeout_up: a service that never notifies fails the start and is brought down', async () => {
    await engine.install(longrun('mute', { notification_fd: 3, run: { argv: ['sleep', '3600'] } }));
    const err = await engine.start('mute', { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toMatch(/mute: not ready after 400 ms/);
    const st = await waitFor('down', async () => {
      const s = await status('mute');
      return s.pid === undefined ? s : undefined;
    });
    expect(st.state).toBe('failed');
    expect(st.wanted).toBe('down');
  });

  test('down: a process ignoring SIGTERM is killed after timeout_kill, with its grandchildren', async () => {
    const pidFile = path.join(live, 'grandchild.pid');
    const st = await up(
      longrun('stubborn', {
        timeouts: { up_ms: 0, down_ms: 0, kill_ms: 300, finish_ms: 5000 },
        run: { script: `#!/bin/sh\ntrap '' TERM\nsh -c "trap '' TERM; sleep 3600" &\necho $! > ${pidFile}\nwhile :; do sleep 1; done\n` },
      }),
    );
    const grandchild = await waitFor('grandchild', () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() ? Number(fs.readFileSync(pidFile, 'utf8')) : undefined));
    expect(alive(grandchild)).toBe(true);
    await engine.stop('stubborn', { timeoutMs: 10_000 });
    expect(alive(st.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(groupMembers(st.pid as number)).toEqual([]);
    expect((await status('stubborn')).state).toBe('down');
  });

  test('timeout_kill of 0 means no SIGKILL: stop gives up at its own timeout and the service keeps running', async () => {
    // Ready only once the trap is set: a stop sent before it would simply kill the shell.
    const st = await up(longrun('patient', { notification_fd: 3, timeouts: { up_ms: 0, down_ms: 0, kill_ms: 0, finish_ms: 5000 }, run: { script: "#!/bin/sh\ntrap '' TERM\necho >&3\nwhile :; do sleep 1; done\n" } }));
    const err = await engine.stop('patient', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/patient: still running after 300 ms/);
    expect(alive(st.pid)).toBe(true);
    process.kill(-(st.pid as number), 'SIGKILL');
    await waitFor('down after SIGKILL', async () => (await status('patient')).state === 'down');
  });

  test('finish runs after each death with the exit code, and a pipeline survives the restart of its consumer', async () => {
    const out = path.join(live, 'finish.out');
    const producer = longrun('producer', { producer_for: 'consumer', run: { script: '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "line $i"; sleep 0.05; done\n' } });
    const consumer = longrun('consumer', {
      consumer_for: ['producer'],
      run: { argv: ['cat'] },
      finish: { script: `#!/bin/sh\necho "finish $1 $2" >> ${out}\n` },
    });
    const c1 = await up(consumer);
    const p1 = await up(producer);
    const log = path.join(live, 'engine/logs/consumer/current');
    const lines = (): number => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('line ')).length : 0);
    await waitFor('flow', () => lines() >= 3);
    process.kill(c1.pid as number, 'SIGKILL');
    const c2 = await waitFor('consumer back', async () => {
      const st = await status('consumer');
      return st.pid !== undefined && st.pid !== c1.pid ? st : undefined;
    });
    const before = lines();
    await waitFor('flow after restart', () => lines() >= before + 5);
    // The producer never noticed: same process, no restart.
    const p2 = await status('producer');
    expect(p2.pid).toBe(p1.pid);
    expect(p2.restarts).toBe(0);
    expect(alive(c2.pid)).toBe(true);
    expect(fs.readFileSync(out, 'utf8')).toBe('finish 256 9\n');
  });

  test('rename and update keep the process running', async () => {
    const st = await up(longrun('old', { run: { argv: ['sleep', '3600'] } }));
    await engine.rename('old', 'new', longrun('new', { run: { argv: ['sleep', '3600'] } }));
    const renamed = await status('new');
    expect(renamed.pid).toBe(st.pid);
    expect((await engine.status())['old']).toBeUndefined();
    await engine.update(longrun('new', { run: { argv: ['sleep', '7200'] }, env: { X: '1' } }));
    expect((await status('new')).pid).toBe(st.pid);
    expect(fs.existsSync(path.join(live, 'engine/services/new/definition.json'))).toBe(true);
    expect(fs.existsSync(path.join(live, 'engine/services/old'))).toBe(false);
  });

  test('reload sends reload_signal to the process', async () => {
    const marker = path.join(live, 'reloaded');
    await up(longrun('hup', { reload_signal: 'SIGUSR1', run: { script: `#!/bin/sh\ntrap 'echo yes > ${marker}' USR1\nwhile :; do sleep 0.1; done\n` } }));
    await waitFor('trap installed', () => fs.existsSync(path.join(live, 'engine/logs/hup/current')));
    await new Promise((r) => setTimeout(r, 200));
    await engine.reload('hup');
    await waitFor('reload seen', () => fs.existsSync(marker));
    expect((await status('hup')).restarts).toBe(0);
  });

  test('an unknown user is a clear error at install, before anything starts', async () => {
    const err = await engine.install(longrun('ghost', { user: 'no-such-user-rcform' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toBe('ghost: unknown user "no-such-user-rcform"');
    expect((await engine.status())['ghost']).toBeUndefined();
  });

  // Switching user needs root; as another user the account check above still runs.
  (process.getuid?.() === 0 ? test : test.skip)('user and group: run and finish scripts run as that account, data readable (needs root)', async () => {
    const out = path.join(live, 'finish-id');
    fs.writeFileSync(out, '');
    fs.chmodSync(out, 0o666);
    fs.chmodSync(live, 0o755);
    const st = await up(
      longrun('asnobody', {
        user: 'nobody',
        data: { 'x.txt': 'readable\n' },
        run: { script: '#!/bin/sh\necho "uid=$(id -u) gid=$(id -g)"\ncat data/x.txt\nexec sleep 3600\n' },
        finish: { script: `#!/bin/sh\nid -u >> ${out}\n` },
      }),
    );
    const log = path.join(live, 'engine/logs/asnobody/current');
    const text = await waitFor('log', () => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('readable') ? fs.readFileSync(log, 'utf8') : undefined));
    expect(text).toContain('uid=65534 gid=65534');
    await engine.stop('asnobody', { timeoutMs: 10_000 });
    expect(alive(st.pid)).toBe(false);
    expect(fs.readFileSync(out, 'utf8')).toBe('65534\n');
  });

  test('the control socket is owner-only, in an owner-only directory', async () => {
    expect(fs.statSync(path.join(live, 'engine/supervise.sock')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(live, 'engine')).mode & 0o777).toBe(0o700);
  });

  test('uninstall stops the service and removes its directory', async () => {
    const st = await up(longrun('gone', { run: { argv: ['sleep', '3600'] } }));
    await engine.uninstall('gone');
    expect(alive(st.pid)).toBe(false);
    expect((await engine.status())['gone']).toBeUndefined();
    expect(fs.existsSync(path.join(live, 'engine/services/gone'))).toBe(false);
  });

  test('uninstall of a service caught between a death and its restart (inside finish) stops it for good', async () => {
    const ghostLog = path.join(live, 'ghost.log');
    const timeouts = { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 1000 };
    await up(longrun('ghost', { timeouts, working_dir: live, run: { argv: ['/bin/sh', '-c', 'date +%s%N >> ghost.log; exit 1'] }, finish: { argv: ['sleep', '3608'] } }));
    // Dead and inside finish: neither running nor stopping, yet wanted up.
    await waitFor('inside finish', () => processesWith('sleep 3608', live).length > 0);
    await engine.uninstall('ghost');
    expect(processesWith('sleep 3608', live)).toEqual([]);
    expect((await engine.status())['ghost']).toBeUndefined();
    const lines = fs.readFileSync(ghostLog, 'utf8');
    // Past the one-second restart throttle and the finish timeout: a respawn would have written.
    await new Promise((r) => setTimeout(r, 2500));
    expect(fs.readFileSync(ghostLog, 'utf8')).toBe(lines);
    expect(processesWith('sleep 3608', live)).toEqual([]);
    // And the clean stop has nothing left to wait for.
    const sup = supervisorPid();
    await (engine as EmbeddedEngine).shutdown();
    await waitFor('supervisor exit', () => !alive(sup));
  });

  test('a SIGKILLed supervisor, started again, adopts what runs: exactly one instance of each service', async () => {
    const a = await up(longrun('adopt-a', { run: { argv: ['sleep', '3601'] } }));
    const b = await up(longrun('adopt-b', { notification_fd: 3, run: { script: '#!/bin/sh\necho >&3\nexec sleep 3602\n' } }));
    // Wanted down and down: must stay down.
    await engine.install(longrun('adopt-c', { run: { argv: ['sleep', '3603'] } }));
    // Dies while no supervisor watches: the next one restarts it, and says so.
    const d = await up(longrun('adopt-d', { run: { argv: ['sleep', '3610'] } }));
    // The status files name each process by pid and start time (the start time is read a moment
    // after the launch, once the exec is done), so that a reused pid is not taken for it.
    for (const s of [a, b, d]) {
      await waitFor(`${s.name}'s start time in its status file`, () => {
        const saved = JSON.parse(fs.readFileSync(servicePaths(engineLayout(live), s.name).status, 'utf8')) as { pid?: number; starttime?: number };
        return saved.pid === s.pid && saved.starttime !== undefined && saved.starttime === procInfo(s.pid as number)?.starttime;
      });
    }
    const oldSupervisor = supervisorPid();
    process.kill(oldSupervisor, 'SIGKILL');
    await waitFor('old supervisor dead', () => !alive(oldSupervisor));
    process.kill(d.pid as number, 'SIGKILL');
    await waitFor('adopt-d dead', () => !alive(d.pid));
    await engine.close();
    await startEngine(live, { kind: 'embedded' });
    engine = await openEngine(live, { kind: 'embedded' });
    const all = await engine.status();
    expect(all['adopt-a']).toMatchObject({ pid: a.pid, state: 'up', adopted: true, restarts: 0 });
    expect(all['adopt-b']).toMatchObject({ pid: b.pid, state: 'ready', adopted: true });
    expect(all['adopt-c']).toMatchObject({ state: 'down', wanted: 'down' });
    expect(all['adopt-a']!.restartedOnRecovery).toBeUndefined();
    const dBack = await upAgain(status, 'adopt-d', d.pid);
    expect(dBack).toMatchObject({ restartedOnRecovery: true, restarts: 1 });
    expect(dBack.adopted).toBeUndefined();
    expect(processesWith('sleep 3610', live)).toEqual([dBack.pid]);
    expect(processesWith('sleep 3601', live)).toEqual([a.pid]);
    expect(processesWith('sleep 3602', live)).toEqual([b.pid]);
    expect(processesWith('sleep 3603', live)).toEqual([]);
    // Adopted means supervised: a death is noticed and the service restarted.
    process.kill(a.pid as number, 'SIGKILL');
    const back = await waitFor('adopted service restarted', async () => {
      const st = await status('adopt-a');
      return st.pid !== undefined && st.pid !== a.pid ? st : undefined;
    });
    expect(back.adopted).toBeUndefined();
    expect(back.restarts).toBe(1);
    expect(processesWith('sleep 3601', live)).toEqual([back.pid]);
    // And a stop through the new supervisor takes the adopted process down for good.
    await engine.stop('adopt-b', { timeoutMs: 10_000 });
    expect(processesWith('sleep 3602', live)).toEqual([]);
  });

  test('a supervisor whose live directory is removed stops its services and exits', async () => {
    const st = await up(longrun('orphaned', { run: { argv: ['sleep', '3607'] } }));
    const sup = supervisorPid();
    fs.rmSync(live, { recursive: true, force: true });
    await waitFor('supervisor exit', () => !alive(sup));
    expect(alive(st.pid)).toBe(false);
    expect(fs.existsSync(live)).toBe(false);
  });

  test('the clean stop of a supervisor with nothing to stop answers before it closes the connection', async () => {
    for (let round = 0; round < 3; round++) {
      const sup = supervisorPid();
      await (engine as EmbeddedEngine).shutdown();
      await waitFor('supervisor exit', () => !alive(sup));
      await startEngine(live, { kind: 'embedded' });
      engine = await openEngine(live, { kind: 'embedded' });
    }
  });

  test('a second supervisor for the same live directory refuses to start', async () => {
    const { Supervisor } = await import('../../../engine/embedded/supervisor.js');
    await expect(Supervisor.start(live)).rejects.toThrow(/already running/);
  });

  test('the clean stop brings services down dependents first, then the supervisor exits', async () => {
    const order = path.join(live, 'order');
    const finish = (n: string) => ({ script: `#!/bin/sh\necho ${n} >> ${order}\n` });
    // A finish script is killed at finish_ms; on a machine at load 50 a shell can take seconds to start.
    const timeouts = { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 60_000 };
    const base = longrun('base', { timeouts, run: { argv: ['sleep', '3604'] }, finish: finish('base') });
    const mid = longrun('mid', { timeouts, deps: ['base'], run: { argv: ['sleep', '3605'] }, finish: finish('mid') }, { base: { type: 'longrun' } });
    const top = longrun('top', { timeouts, deps: ['mid'], run: { argv: ['sleep', '3606'] }, finish: finish('top') }, { base: { type: 'longrun' }, mid: { type: 'longrun', deps: ['base'] } });
    for (const s of [base, mid, top]) await up(s);
    const sup = supervisorPid();
    await (engine as EmbeddedEngine).shutdown();
    expect(fs.readFileSync(order, 'utf8')).toBe('top\nmid\nbase\n');
    for (const m of ['sleep 3604', 'sleep 3605', 'sleep 3606']) expect(processesWith(m, live)).toEqual([]);
    await waitFor('supervisor exit', () => !alive(sup));
    expect(fs.existsSync(path.join(live, 'engine/supervise.sock'))).toBe(false);
    // What was wanted up comes back with the next supervisor.
    await startEngine(live, { kind: 'embedded' });
    engine = await openEngine(live, { kind: 'embedded' });
    await waitFor('back up', async () => (await status('top')).state === 'up');
    expect(processesWith('sleep 3606', live).length).toBe(1);
  });
});
