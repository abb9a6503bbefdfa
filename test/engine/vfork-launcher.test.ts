import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { procInfo } from '../../engine/embedded/proc.js';
import type { LaunchHandlers, LaunchSpec } from '../../engine/embedded/spawner.js';
import { loadVforkAddon, VforkLauncher } from '../../engine/embedded/vfork-launcher.js';
import { accountProbe, withExtraGroup } from '../support/account-probe.js';
import { alive, killGroups, tempLive, waitFor } from '../support/engine-harness.js';

// rcform-vfork.node, the addon with which the embedded supervisor starts services in its own
// process, driven directly: real processes, their descriptors, sessions, signal dispositions,
// readiness and deaths as reported, beside Node's own child processes in the same process.

interface Outcome {
  pid?: number;
  failed?: string;
  events: string[];
  ready: boolean;
  exit?: { code: number | null; signal: string | null };
}

let dir: string;
let launcher: VforkLauncher;
const started = new Set<number>();
const outcomes: Outcome[] = [];

const addonPath = fileURLToPath(new URL('../../engine/embedded/rcform-vfork.node', import.meta.url));

function launch(spec: Partial<LaunchSpec> & { args: string[] }, file = 'sh'): Outcome {
  const o: Outcome = { ready: false, events: [] };
  outcomes.push(o);
  const log = path.join(dir, 'out.log');
  const handlers: LaunchHandlers = {
    spawned: (pid) => {
      o.pid = pid;
      o.events.push('spawned');
      started.add(pid);
    },
    failed: (m) => (o.failed = m),
    ready: () => {
      o.ready = true;
      o.events.push('ready');
    },
    exited: (code, signal) => {
      o.exit = { code, signal };
      o.events.push('exited');
    },
    orphaned: () => o.events.push('orphaned'),
  };
  launcher.launch({ file, cwd: dir, env: { PATH: '/usr/bin:/bin' }, stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: log }, { kind: 'a', path: log }], ...spec }, handlers);
  return o;
}

beforeEach(() => {
  dir = tempLive();
  // The build compiles it (npm run build; CI installs a C compiler): its absence is a failure here.
  const l = VforkLauncher.open();
  if (!l) throw new Error(`rcform-vfork.node cannot be loaded: ${loadVforkAddon().error}`);
  launcher = l;
});

afterEach(async () => {
  killGroups(started);
  // Reaped by the launcher, so that no zombie outlives the test.
  await waitFor('every launch reported dead', () => outcomes.every((o) => o.pid === undefined || o.exit !== undefined), 60_000);
  launcher.close();
  started.clear();
  outcomes.length = 0;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The descriptor numbers `ls /proc/PID/fd` wrote to a file, in order. */
function fdList(file: string): string {
  return fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number).sort((a, b) => a - b).join(' ');
}

describe('rcform-vfork.node', () => {
  test('many launches: each its own session, a child of this process, ready on its notification fd, killed', async () => {
    const all = Array.from({ length: 30 }, (_, i) =>
      launch({ args: ['-c', `echo started ${i}; echo >&3; exec sleep 3640`], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, `log${i}`) }, { kind: 'a', path: path.join(dir, `log${i}`) }, { kind: 'n' }] }),
    );
    // Synchronous: the pid is known when launch returns.
    expect(all.every((o) => o.pid !== undefined)).toBe(true);
    expect(launcher.stats.count).toBe(30);
    expect(launcher.stats.execMs).toBeGreaterThan(0);
    await waitFor('all ready', () => all.every((o) => o.ready), 60_000);
    const pids = all.map((o) => o.pid as number);
    expect(new Set(pids).size).toBe(30);
    expect(launcher.watched).toBe(30);
    for (const [i, pid] of pids.entries()) {
      expect(alive(pid)).toBe(true);
      expect(procInfo(pid)).toMatchObject({ ppid: process.pid, session: pid, pgrp: pid });
      expect(fs.readFileSync(path.join(dir, `log${i}`), 'utf8')).toBe(`started ${i}\n`);
    }
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor('all reported dead', () => all.every((o) => o.exit !== undefined), 60_000);
    for (const o of all) {
      expect(o.exit).toEqual({ code: null, signal: 'SIGKILL' });
      expect(o.events).toEqual(['spawned', 'ready', 'exited']);
    }
    expect(launcher.watched).toBe(0);
  });

  test('a clean environment, the working directory, default signal handling, and only the descriptors asked for', async () => {
    fs.mkdirSync(path.join(dir, 'wd'));
    const o = launch({
      cwd: path.join(dir, 'wd'),
      env: { PATH: '/usr/bin:/bin', ONLY: 'this one' },
      // ls alone in a child of the shell: a pipeline's pipes, or a redirection's saved descriptor,
      // would be the shell's for a moment.
      args: ['-c', 'pwd; env | sort; ls /proc/$$/fd'],
      stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, 'out.log') }, { kind: 'a', path: path.join(dir, 'out.log') }, undefined, { kind: 'n' }],
    });
    await waitFor('exit', () => o.exit);
    expect(o.exit).toEqual({ code: 0, signal: null });
    const lines = fs.readFileSync(path.join(dir, 'out.log'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe(path.join(dir, 'wd'));
    expect(lines.filter((l) => /^[A-Z_]+=/.test(l) && !/^(PWD|SHLVL|_)=/.test(l))).toEqual(['ONLY=this one', 'PATH=/usr/bin:/bin']);
    // Node's own descriptors (its event loop, its inherited ones) do not reach the service; the
    // hole at 3 is closed and the notification pipe is at 4.
    expect(lines.filter((l) => /^\d+$/.test(l)).join(' ')).toBe('0 1 2 4');
    // Node ignores SIGPIPE and blocks signals in places: the service starts with neither. Read
    // by the launched program of itself: a shell's mask read by its child is the shell's while it
    // forks (dash blocks every signal around a fork), fffffffe7ffbfeff one time in a few.
    const m = launch({ args: ['-E', '^Sig(Ign|Blk)', '/proc/self/status'], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, 'mask.log') }, { kind: 'a', path: path.join(dir, 'mask.log') }] }, 'grep');
    await waitFor('exit', () => m.exit);
    expect(fs.readFileSync(path.join(dir, 'mask.log'), 'utf8').trim().split('\n')).toEqual([expect.stringMatching(/^SigBlk:\s*0+$/), expect.stringMatching(/^SigIgn:\s*0+$/)]);
  });

  (process.getuid?.() === 0 ? test : test.skip)('another account: its uid and gid, no supplementary groups, descriptors opened before the switch (needs root)', async () => {
    const probe = accountProbe(dir);
    const o = withExtraGroup(() => launch(probe.spec));
    await waitFor('exit', () => o.exit);
    expect(o.exit).toEqual({ code: 0, signal: null });
    probe.check();
  });

  test('descriptors inherited without close-on-exec by the launching process do not reach the service', () => {
    // A Node process with descriptors 200 and 300 inherited, not close-on-exec (Node marks only
    // low ones at start-up): it launches `ls` of the service's fds and waits for its death.
    const script = `
      const fs = require('fs');
      const flags = (fd) => parseInt(/flags:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8);
      const inherited = [200, 300].filter((fd) => (flags(fd) & 0o2000000) === 0);
      const m = require(${JSON.stringify(addonPath)});
      m.setup((kind, pid, code) => { if (kind === 2) { process.stdout.write(JSON.stringify({ inherited, code })); m.release(); } });
      const r = m.launch('sh', ['sh', '-c', 'ls /proc/$$/fd; exit 0'], '/', ['PATH=/usr/bin:/bin'], ['0', 'r', '/dev/null', '1', 'a', ${JSON.stringify(path.join(dir, 'fds'))}, '2', 'a', '/dev/null']);
      if (r[0] <= 0) throw new Error('launch failed: ' + r);
    `;
    const r = spawnSync('bash', ['-c', 'exec 200</dev/null 300</dev/null; exec "$0" -e "$1"', process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { inherited: number[]; code: number; fds: string };
    expect(out.inherited).toEqual([200, 300]);
    expect(out.code).toBe(0);
    expect(fdList(path.join(dir, 'fds'))).toBe('0 1 2');
  });

  test('exit codes and signals; a readiness just before the death is always reported before it', async () => {
    const quick = Array.from({ length: 20 }, (_, i) =>
      launch({ args: ['-c', `echo >&5; exit ${i + 1}`], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: '/dev/null' }, { kind: 'a', path: '/dev/null' }, undefined, undefined, { kind: 'n' }] }),
    );
    const termed = launch({ args: ['-c', 'exec sleep 3641'] });
    await waitFor('sleep started', () => fs.readFileSync(`/proc/${termed.pid}/cmdline`, 'utf8').startsWith('sleep'));
    process.kill(termed.pid as number, 'SIGTERM');
    await waitFor('all exited', () => [...quick, termed].every((o) => o.exit), 60_000);
    quick.forEach((o, i) => {
      expect(o.exit).toEqual({ code: i + 1, signal: null });
      expect(o.events).toEqual(['spawned', 'ready', 'exited']);
    });
    expect(termed.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(termed.events).toEqual(['spawned', 'exited']);
  });

  test('what cannot be started is an error naming the program, and the launcher carries on', async () => {
    fs.writeFileSync(path.join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    const missing = launch({ args: [] }, '/nonexistent/rcform-program');
    const noPath = launch({ args: [] }, 'rcform-no-such-program');
    const denied = launch({ args: [] }, path.join(dir, 'not-executable'));
    const badDir = launch({ cwd: path.join(dir, 'absent'), args: ['-c', 'true'] });
    const badLog = launch({ args: ['-c', 'true'], stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: path.join(dir, 'no/such/dir/log') }, { kind: 'a', path: '/dev/null' }] });
    const nul = launch({ args: ['-c', 'true\0'] });
    expect(missing.failed).toBe('cannot run /nonexistent/rcform-program: ENOENT');
    expect(noPath.failed).toBe('cannot run rcform-no-such-program: ENOENT');
    expect(denied.failed).toBe(`cannot run ${path.join(dir, 'not-executable')}: EACCES`);
    expect(badDir.failed).toBe('cannot run sh: chdir failed: ENOENT');
    expect(badLog.failed).toBe('cannot run sh: open failed: ENOENT');
    expect(nul.failed).toMatch(/NUL byte/);
    expect(launcher.watched).toBe(0);
    // A PATH search goes on past a directory where the program is not executable, as execvp does.
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'rcform-prog'), '#!/bin/sh\nexit 9\n', { mode: 0o644 });
    fs.mkdirSync(path.join(dir, 'bin2'));
    fs.writeFileSync(path.join(dir, 'bin2', 'rcform-prog'), '#!/bin/sh\nexit 4\n', { mode: 0o755 });
    const searched = launch({ args: [], env: { PATH: `${dir}/bin:${dir}/bin2:/usr/bin:/bin` } }, 'rcform-prog');
    await waitFor('exit', () => searched.exit);
    expect(searched.exit).toEqual({ code: 4, signal: null });
  });

  test("Node's own child processes in the same process: neither side takes the other's exit statuses", async () => {
    const nodeExits: (number | null)[] = [];
    const ours: Outcome[] = [];
    for (let i = 0; i < 15; i++) {
      ours.push(launch({ args: ['-c', `exit ${i}`] }));
      const c = spawn('sh', ['-c', `exit ${i + 100}`], { stdio: 'ignore' });
      c.on('exit', (code) => (nodeExits[i] = code));
      // spawnSync waits for its own child in a loop of its own, with SIGCHLD arriving for ours.
      expect(spawnSync('sh', ['-c', `exit ${i + 50}`]).status).toBe(i + 50);
    }
    await waitFor('all exited', () => ours.every((o) => o.exit) && nodeExits.filter((c) => c !== undefined).length === 15, 60_000);
    ours.forEach((o, i) => expect(o.exit).toEqual({ code: i, signal: null }));
    expect(nodeExits).toEqual(Array.from({ length: 15 }, (_, i) => i + 100));
  });

  test('services outlive the process that launched them: reparented, still running', async () => {
    const pidFile = path.join(dir, 'pid');
    const script = `
      const m = require(${JSON.stringify(addonPath)});
      m.setup(() => {});
      const r = m.launch('sleep', ['sleep', '3642'], '/', ['PATH=/usr/bin:/bin'], ['0', 'r', '/dev/null', '1', 'a', '/dev/null', '2', 'a', '/dev/null']);
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(r[0]));
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 60_000 });
    expect(r.signal).toBe('SIGKILL');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(alive(pid)).toBe(true);
      expect(procInfo(pid)?.ppid).not.toBe(r.pid);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});
