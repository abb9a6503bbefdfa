import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { procInfo } from '../../../engine/embedded/proc.js';
import { Spawner, spawnerBinary, type LaunchHandlers, type LaunchSpec } from '../../../engine/embedded/spawner.js';
import { accountProbe, withExtraGroup } from '../../support/account-probe.js';
import { alive, killGroups, tempLive, waitFor } from '../../support/engine-harness.js';

// rcform-spawner, the vfork helper the embedded supervisor starts services with, driven directly:
// real processes, their descriptors, sessions, environment, readiness and deaths as reported.

interface Outcome {
  pid?: number;
  failed?: string;
  ready: boolean;
  exit?: { code: number | null; signal: string | null };
  orphaned?: boolean;
}

let dir: string;
let spawner: Spawner;
const started = new Set<number>();
let deaths = 0;

function launch(spec: Partial<LaunchSpec> & { args: string[] }, file = 'sh'): Outcome {
  const o: Outcome = { ready: false };
  const log = path.join(dir, 'out.log');
  const handlers: LaunchHandlers = {
    spawned: (pid) => {
      o.pid = pid;
      started.add(pid);
    },
    failed: (m) => (o.failed = m),
    ready: () => (o.ready = true),
    exited: (code, signal) => (o.exit = { code, signal }),
    orphaned: () => (o.orphaned = true),
  };
  spawner.launch({ file, cwd: dir, env: { PATH: '/usr/bin:/bin' }, stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: log }, { kind: 'a', path: log }], ...spec }, handlers);
  return o;
}

beforeEach(() => {
  dir = tempLive();
  const binary = spawnerBinary({});
  // The build compiles it (npm run build; CI installs a C compiler): its absence is a failure here.
  if (!binary) throw new Error('rcform-spawner was not built (npm run build needs a C compiler)');
  deaths = 0;
  spawner = new Spawner(binary, () => deaths++);
});

afterEach(async () => {
  await spawner.close();
  killGroups(started);
  started.clear();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('rcform-spawner', () => {
  test('many launches at once: each its own session, a child of the helper, ready on its notification fd', async () => {
    const all = Array.from({ length: 30 }, (_, i) =>
      launch({ args: ['-c', `echo started ${i}; echo >&3; exec sleep 3620`], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, `log${i}`) }, { kind: 'a', path: path.join(dir, `log${i}`) }, { kind: 'n' }] }),
    );
    await waitFor('all ready', () => all.every((o) => o.ready), 60_000);
    const pids = all.map((o) => o.pid as number);
    expect(new Set(pids).size).toBe(30);
    // The kernel's share of each launch is timed by the helper and reported with the pid.
    expect(spawner.stats.count).toBe(30);
    expect(spawner.stats.execMs).toBeGreaterThan(0);
    for (const [i, pid] of pids.entries()) {
      expect(alive(pid)).toBe(true);
      const info = procInfo(pid);
      expect(info?.ppid).toBe(spawner.pid);
      expect(info?.session).toBe(pid);
      expect(info?.pgrp).toBe(pid);
      expect(fs.readFileSync(path.join(dir, `log${i}`), 'utf8')).toBe(`started ${i}\n`);
    }
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor('all reported dead', () => all.every((o) => o.exit !== undefined));
    for (const o of all) expect(o.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(deaths).toBe(0);
  });

  test('a clean environment, the working directory, and no descriptor beyond those asked for', async () => {
    fs.mkdirSync(path.join(dir, 'wd'));
    const o = launch({ cwd: path.join(dir, 'wd'), env: { PATH: '/usr/bin:/bin', ONLY: 'this one' }, args: ['-c', 'pwd; env | sort; ls /proc/$$/fd; exit 0'] });
    await waitFor('exit', () => o.exit);
    expect(o.exit).toEqual({ code: 0, signal: null });
    const lines = fs.readFileSync(path.join(dir, 'out.log'), 'utf8').split('\n');
    expect(lines[0]).toBe(path.join(dir, 'wd'));
    expect(lines.filter((l) => /^[A-Z_]+=/.test(l) && !/^(PWD|SHLVL|_)=/.test(l))).toEqual(['ONLY=this one', 'PATH=/usr/bin:/bin']);
    // The shell's own: 0, 1, 2, nothing of the helper's nor anything its parents let through.
    // (ls alone in a child of the shell: a pipeline's pipes, or a redirection's saved descriptor,
    // would be the shell's for a moment.)
    expect(lines.filter((l) => /^\d+$/.test(l)).join(' ')).toBe('0 1 2');
  });

  (process.getuid?.() === 0 ? test : test.skip)('another account: its uid and gid, no supplementary groups, descriptors opened before the switch (needs root)', async () => {
    const probe = accountProbe(dir);
    // The helper's groups are those it started with.
    await spawner.close();
    spawner = withExtraGroup(() => new Spawner(spawnerBinary({}) as string, () => deaths++));
    const o = launch(probe.spec);
    await waitFor('exit', () => o.exit);
    expect(o.exit).toEqual({ code: 0, signal: null });
    probe.check();
  });

  test('exit codes, and a readiness that comes before the death is reported before it', async () => {
    const o = launch({ args: ['-c', 'echo >&5; exit 7'], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: '/dev/null' }, { kind: 'a', path: '/dev/null' }, undefined, undefined, { kind: 'n' }] });
    await waitFor('exit', () => o.exit);
    expect(o).toMatchObject({ ready: true, exit: { code: 7, signal: null } });
  });

  test('what cannot be started is an error naming the program, and the helper carries on', async () => {
    const missing = launch({ args: [] }, '/nonexistent/rcform-program');
    const noPath = launch({ args: [] }, 'rcform-no-such-program');
    const badDir = launch({ cwd: path.join(dir, 'absent'), args: ['-c', 'true'] });
    const badLog = launch({ args: ['-c', 'true'], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, 'no/such/dir/log') }, { kind: 'a', path: '/dev/null' }] });
    await waitFor('all answered', () => [missing, noPath, badDir, badLog].every((o) => o.failed !== undefined || o.pid !== undefined));
    expect(missing.failed).toBe('cannot run /nonexistent/rcform-program: ENOENT');
    expect(noPath.failed).toBe('cannot run rcform-no-such-program: ENOENT');
    expect(badDir.failed).toBe('cannot run sh: chdir failed: ENOENT');
    expect(badLog.failed).toBe('cannot run sh: open failed: ENOENT');
    const ok = launch({ args: ['-c', 'exit 0'] });
    await waitFor('exit', () => ok.exit);
    expect(ok.exit).toEqual({ code: 0, signal: null });
  });

  test('closing it leaves what it started running', async () => {
    const o = launch({ args: ['-c', 'exec sleep 3621'] });
    await waitFor('spawned', () => o.pid);
    const helper = spawner.pid as number;
    await spawner.close();
    expect(alive(helper)).toBe(false);
    expect(alive(o.pid)).toBe(true);
    expect(deaths).toBe(0);
  });
});
