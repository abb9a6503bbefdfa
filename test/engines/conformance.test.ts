import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError, type Engine, type ServiceStatus } from '../../engine/engine.js';
import { engineDrivers, openEngine, registerEngineDriver, shutdownEngine } from '../../engine/open-engine.js';
import type { EngineKind } from '../../state/state-types.js';
import { planLines, type CliResult } from '../support/cli-harness.js';
import { alive, oneshot } from '../support/engine-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { longrun } from '../support/longrun-fixture.js';
import { S6_MISSING, warnS6Missing } from '../support/s6-available.js';
import { inprocDriver } from '../support/engines/inproc/driver.js';

// One table of scenarios, run unchanged against every engine: what apply relies on must behave the
// same whether the supervisor is rcform's own or real s6. Engine-specific details (files, tools,
// adoption) stay in each engine's own tests. The engines are the registry's: every driver it holds
// runs the whole table, the test-only third one included.

// A third engine is one folder and this one line (docs/engine.md, "Adding an engine").
registerEngineDriver(inprocDriver);

/** Why an engine cannot run here (its programs are not installed), by kind. */
const MISSING: Readonly<Record<EngineKind, string | null>> = { s6: S6_MISSING };
/**
 * Engines the CLI half cannot drive, and why. The inproc engine's supervisor lives in the process
 * that started it, and each CLI command is a process of its own.
 */
const NO_CLI: Readonly<Record<EngineKind, string>> = { inproc: 'its supervisor lives in the process that starts it, and every CLI command is a process of its own' };
const ENGINES = engineDrivers().map((d) => ({ kind: d.kind, missing: MISSING[d.kind] ?? null }));
/**
 * Scenarios an engine cannot pass by what it is, and why. The inproc engine's supervised side is
 * the process that started it, here the test itself: that a oneshot's parent is not the asker is
 * exactly what it does not give.
 */
const NOT_FOR: Readonly<Record<EngineKind, Readonly<Record<string, string>>>> = {
  inproc: { 'a oneshot runs on the supervised side: up and down with its env and input, output in its log; a missing down does nothing': 'its supervised side is the process that started it' },
};

const sh = (body: string) => ({ script: `#!/bin/sh\n${body}\n` });
const OPEN_ENGINE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../engine/open-engine.js');
const INPROC_DRIVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/engines/inproc/driver.js');
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
  kind: EngineKind;
  tmp: string;
  st(name: string): Promise<ServiceStatus | undefined>;
}

const scenarios: [string, (c: Ctx) => Promise<void>][] = [
  ['install is down; up runs the process; stop leaves it gone', async ({ engine, st }) => {
    await engine.install(longrun('basic', { run: { argv: ['sleep', '1000'] } }));
    expect(await st('basic')).toMatchObject({ type: 'longrun', wanted: 'down', state: 'down' });
    // Never run: no last exit to show (a zero wait status is not "exit 0").
    expect((await st('basic'))?.lastExit).toBeUndefined();
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
  ['finish exiting 125 is a failure for good: no restart, and a start waiting for readiness fails at once', async ({ engine, st, tmp }) => {
    const runs = path.join(tmp, 'doomed.runs');
    await engine.install(
      longrun('doomed', {
        run: sh(`echo run >> ${runs}; echo "cannot listen: address in use" >&2; exit 98`),
        finish: sh('[ "$1" != 98 ] || exit 125'),
        notification_fd: 3,
        timeouts: { up_ms: 60_000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 },
      }),
    );
    const failed = await engine.start('doomed', { timeoutMs: 60_000 }).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(failed).not.toBe('started');
    // It did not wait for timeout_up to run out.
    expect(failed).not.toMatch(/timeout|timed out/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.readFileSync(runs, 'utf8')).toBe('run\n');
    expect((await st('doomed'))?.pid).toBeUndefined();
    await engine.uninstall('doomed');
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
  ['a pipeline (two producers into one consumer) survives the restart of either side', async ({ engine, st, tmp }) => {
    const out = path.join(tmp, 'pipe.out');
    const producer = (name: string, tag: string) =>
      longrun(name, { producer_for: 'sink', run: sh(`i=0; while :; do i=$((i+1)); echo "${tag} $i"; sleep 0.05; done`) });
    await engine.install(longrun('sink', { consumer_for: ['left', 'right'], run: sh(`while read -r l; do echo "$l" >> ${out}; done`) }));
    await engine.install(producer('left', 'L'));
    await engine.install(producer('right', 'R'));
    for (const n of ['sink', 'left', 'right']) await engine.start(n, T);
    const count = (tag: string): number => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith(`${tag} `)).length : 0);
    const flows = async (what: string): Promise<void> => {
      const [l, r] = [count('L'), count('R')];
      await eventually(what, async () => (count('L') >= l + 3 && count('R') >= r + 3 ? true : undefined));
    };
    await flows('lines from both producers');
    const [sink1, left1, right1] = [await st('sink'), await st('left'), await st('right')];

    // The consumer dies: the producers never notice (no SIGPIPE), and the flow resumes.
    process.kill(sink1?.pid as number, 'SIGKILL');
    await eventually('the consumer back', async () => {
      const x = await st('sink');
      return x?.state === 'up' && x.pid !== sink1?.pid ? x : undefined;
    });
    await flows('lines after the consumer restarted');
    expect(await st('left')).toMatchObject({ pid: left1?.pid, restarts: 0 });
    expect(await st('right')).toMatchObject({ pid: right1?.pid, restarts: 0 });

    // A producer dies: the consumer does not see end-of-file, and the new producer's lines arrive.
    const sink2 = await st('sink');
    process.kill(left1?.pid as number, 'SIGKILL');
    await eventually('the producer back', async () => {
      const x = await st('left');
      return x?.state === 'up' && x.pid !== left1?.pid ? x : undefined;
    });
    await flows('lines after a producer restarted');
    expect((await st('sink'))?.pid).toBe(sink2?.pid);
    expect(alive(right1?.pid)).toBe(true);
    for (const n of ['left', 'right', 'sink']) await engine.uninstall(n);
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
  ['the service directory is as s6-rc makes it: the script reads env/ with s6-envdir, data/ is a tree', async ({ engine, st, tmp }) => {
    const out = path.join(tmp, 'sdir.out');
    // A clean environment first: what the script prints comes from env/, not from its own environment.
    const readEnv = HAS_S6_ENVDIR ? `env -i PATH="$PATH" s6-envdir env sh -c 'printf "%s|%s|%s\\n" "$GREETING" "$EMPTY" "$LINES"'` : 'echo without s6-envdir';
    const run = sh(`${readEnv} > ${out}; echo "\${#BIG}" >> ${out}; find data -type f | sort >> ${out}; cat data/rules/uid/0/env/WHO >> ${out}; exec sleep 1000`);
    // BIG: past the 4095 bytes a plain s6-envdir keeps of a value.
    const env = { GREETING: 'hello world', EMPTY: '', LINES: 'a\nb', BIG: 'x'.repeat(5000) };
    await engine.install(longrun('sdir', { run, env, data: { 'rules/uid/0/env/WHO': 'root\n', 'rules/ip4/127.0.0.1_32/allow': '', conf: 'x\n' } }));
    await engine.start('sdir', T);
    const seen = (): Promise<string> => eventually('the script\'s output', async () => (fs.existsSync(out) && fs.readFileSync(out, 'utf8').endsWith('root\n') ? fs.readFileSync(out, 'utf8') : undefined));
    expect(await seen()).toBe(`${HAS_S6_ENVDIR ? 'hello world||a\nb' : 'without s6-envdir'}\n5000\ndata/conf\ndata/rules/ip4/127.0.0.1_32/allow\ndata/rules/uid/0/env/WHO\nroot\n`);
    // An update replaces the tree: a file left out is gone at the next start.
    fs.rmSync(out);
    await engine.update(longrun('sdir', { run, env, data: { 'rules/uid/0/env/WHO': 'root\n' } }));
    await engine.stop('sdir', T);
    await engine.start('sdir', T);
    expect((await seen()).split('\n').filter((l) => l.startsWith('data/'))).toEqual(['data/rules/uid/0/env/WHO']);
    await engine.uninstall('sdir');
  }],
  ['lock_fd: the process gets the service\'s lock file on that descriptor, as s6-supervise hands it over', async ({ engine, st }) => {
    await engine.install(longrun('locked', { lock_fd: 5, run: { argv: ['sleep', '1000'] } }));
    await engine.start('locked', T);
    const pid = (await st('locked'))?.pid as number;
    expect(fs.readlinkSync(`/proc/${pid}/fd/5`)).toMatch(/\/service-lock$/);
    await engine.uninstall('locked');
  }],
  ['every service leads a session of its own (s6 dropped nosetsid in 2.11; rcform has none)', async ({ engine, st }) => {
    await engine.install(longrun('leader', { run: { argv: ['sleep', '1000'] } }));
    await engine.start('leader', T);
    const pid = (await st('leader'))?.pid as number;
    // /proc/PID/stat: pid (comm) state ppid pgrp session ...
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    expect({ pgrp: Number(fields[2]), session: Number(fields[3]) }).toEqual({ pgrp: pid, session: pid });
    await engine.uninstall('leader');
  }],
];

const HAS_S6_ENVDIR = spawnSync('sh', ['-c', 'command -v s6-envdir'], { stdio: 'ignore' }).status === 0;

/** Switching account needs root (CI runs as root); elsewhere these are reported skipped. */
const rootScenarios: [string, (c: Ctx) => Promise<void>][] = [
  ['user: script-form run and finish run as that account, though it cannot reach the live directory', async ({ engine, st }) => {
    // Somewhere nobody can write, outside the 0700 live directory and its parents.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-nobody-'));
    fs.chmodSync(out, 0o777);
    try {
      await engine.install(
        longrun('asnobody', {
          user: 'nobody',
          run: sh(`id -un > ${out}/run.who; exec sleep 1000`),
          finish: sh(`id -un > ${out}/finish.who`),
        }),
      );
      await engine.start('asnobody', T);
      const who = path.join(out, 'run.who');
      await eventually('run wrote its account', async () => (fs.existsSync(who) && fs.readFileSync(who, 'utf8') !== '' ? true : undefined));
      expect(fs.readFileSync(who, 'utf8')).toBe('nobody\n');
      expect(await st('asnobody')).toMatchObject({ state: 'up' });
      await engine.stop('asnobody', T);
      const finishWho = path.join(out, 'finish.who');
      await eventually('finish wrote its account', async () => (fs.existsSync(finishWho) && fs.readFileSync(finishWho, 'utf8') !== '' ? true : undefined));
      expect(fs.readFileSync(finishWho, 'utf8')).toBe('nobody\n');
      await engine.uninstall('asnobody');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }],
  ['a oneshot runs on the supervised side: up and down with its env and input, output in its log; a missing down does nothing', async ({ engine, tmp }) => {
    const ppid = path.join(tmp, 'task.ppid');
    const answer = path.join(tmp, 'task.answer');
    const task = oneshot('task', {
      env: { GREETING: 'hello' },
      input: { prompt: 'Token', secret: true },
      up: sh(`cut -d' ' -f4 /proc/$$/stat > ${ppid}; echo "up $GREETING"; IFS= read -r a; printf '%s' "$a" > ${answer}`),
      down: sh('echo "down $GREETING" >&2'),
    });
    const spawned: number[] = [];
    const r = await engine.runOneshot(task, 'up', { timeoutMs: 20000, input: 'sesame\n', onSpawned: (pid) => spawned.push(pid) });
    expect(r.code).toBe(0);
    // Its parent is the engine's side (the supervisor, or s6's oneshot runner), not this process.
    expect(spawned).toHaveLength(1);
    expect(Number(fs.readFileSync(ppid, 'utf8'))).not.toBe(process.pid);
    expect(fs.readFileSync(answer, 'utf8')).toBe('sesame');
    await engine.runOneshot(task, 'down', { timeoutMs: 20000 });
    const lines = await engine.log('task').tail(10);
    expect(lines.map((l) => l.text)).toEqual(['up hello', 'down hello']);
    // Both engines know when: s6-log's stamp, the embedded supervisor's look at the log after the run.
    for (const l of lines) expect(Math.abs(Date.parse(l.at ?? 'none') - Date.now())).toBeLessThan(60_000);
    expect(await engine.log('task').exists()).toBe(true);
    // The operator's answer reaches stdin only: never the log.
    expect(lines.map((l) => l.text).join('\n')).not.toContain('sesame');
    await expect(engine.runOneshot(oneshot('nodown', { up: { argv: ['true'] } }), 'down', { timeoutMs: 20000 })).resolves.toEqual({ code: 0, durationMs: 0 });
  }],
  ['a oneshot that fails, or outlives its timeout, rejects naming the service; its group is gone and its output is in the log', async ({ engine, tmp }) => {
    const err = await engine.runOneshot(oneshot('broken', { up: sh('echo "cannot migrate: no database" >&2; exit 3') }), 'up', { timeoutMs: 20000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toBe('broken: up exited with code 3');
    expect((await engine.log('broken').tail(5)).map((l) => l.text)).toEqual(['cannot migrate: no database']);
    const child = path.join(tmp, 'slow.child');
    const pids: number[] = [];
    const slow = oneshot('slow', { up: sh(`sleep 1000 & echo $! > ${child}; echo waiting; wait`) });
    const timedOut = await engine.runOneshot(slow, 'up', { timeoutMs: 700, onSpawned: (p) => pids.push(p) }).catch((e: unknown) => e);
    expect((timedOut as Error).message).toBe('slow: up timed out after 700 ms; its process group was killed');
    expect(alive(pids[0])).toBe(false);
    expect(alive(Number(fs.readFileSync(child, 'utf8')))).toBe(false);
    expect((await engine.log('slow').tail(5)).map((l) => l.text)).toEqual(['waiting']);
    // An abort (Ctrl-C twice) kills the run too, and is answered once its group is gone.
    const abort = new AbortController();
    const started: number[] = [];
    const interrupted = engine.runOneshot(oneshot('stuck', { up: sh('exec sleep 1000') }), 'up', { timeoutMs: 0, signal: abort.signal, onSpawned: (p) => (started.push(p), abort.abort()) }).catch((e: unknown) => e);
    expect(((await interrupted) as Error).message).toBe('stuck: up interrupted');
    expect(alive(started[0])).toBe(false);
    // A name that would lead its log's path out of the engine's directory is refused on the engine's side too.
    await expect(engine.runOneshot(oneshot('../../../escape-oneshot', { up: { argv: ['true'] } }), 'up', { timeoutMs: 5000 })).rejects.toThrow(/refused before anything was run: "\.\.\/\.\.\/\.\.\/escape-oneshot" is not a valid service name/);
    expect(fs.existsSync(path.join(tmp, '..', 'escape-oneshot'))).toBe(false);
  }],
  ['a longrun\'s log: tail with times, and follow from where the tail ended', async ({ engine }) => {
    await engine.install(longrun('talker', { run: sh('echo one; echo two >&2; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done') }));
    await engine.start('talker', T);
    const log = engine.log('talker');
    // The embedded supervisor's clock looks at the log each second: give it one.
    await eventually('timed lines', async () => {
      const t = await log.tail(100);
      return t.some((l) => l.text === 'tick 3') && t.every((l) => l.at !== undefined) ? t : undefined;
    });
    const tail = await log.tail(100);
    expect(tail.slice(0, 2).map((l) => l.text)).toEqual(['one', 'two']);
    for (const l of tail) expect(Math.abs(Date.parse(l.at as string) - Date.now())).toBeLessThan(60_000);
    const stop = new AbortController();
    let head: string[] = [];
    const followed: string[] = [];
    const following = log.follow(2, (t) => (head = t.map((l) => l.text)), {
      signal: stop.signal,
      onLine: (l) => {
        followed.push(l.text);
        if (followed.length >= 5) stop.abort();
      },
    });
    await following;
    expect(head).toHaveLength(2);
    const n = (text: string): number => Number(text.split(' ')[1]);
    // Every line once, in order, the first right after the tail's last.
    const seq = [...head, ...followed].slice(0, 7).map(n);
    expect(seq).toEqual(Array.from({ length: 7 }, (_, k) => (seq[0] as number) + k));
    await engine.uninstall('talker');
    expect(await engine.log('nobody-wrote-this').exists()).toBe(false);
  }],
  ['a oneshot run outlives its asker; stopCutOffRun stops what is left of it, with or without the pid the asker recorded', async ({ engine, kind, tmp }) => {
    const live = path.join(tmp, 'live');
    // The asker, in a process of its own, SIGKILLed as an apply can be once the run has begun.
    const asker = (name: string): { child: ReturnType<typeof spawn>; pid: Promise<number> } => {
      // The registry of that process has the test-only engine only by the same one line.
      const code = `const { openEngine, registerEngineDriver } = await import(${JSON.stringify(OPEN_ENGINE)});
        registerEngineDriver((await import(${JSON.stringify(INPROC_DRIVER)})).inprocDriver);
        const e = await openEngine(process.argv[1], { kind: process.argv[2] });
        await e.runOneshot(JSON.parse(process.argv[3]), 'up', { timeoutMs: 0, onSpawned: (pid) => console.log(pid) });`;
      const svc = oneshot(name, { up: sh('exec sleep 1000') });
      const child = spawn(process.execPath, ['--input-type=module', '-e', code, live, kind, JSON.stringify(svc)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const pid = new Promise<number>((resolve, reject) => {
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(Number(out.trim()));
        });
        child.on('exit', () => reject(new Error(`the asker exited before the run began: ${out}`)));
      });
      return { child, pid };
    };
    const kill = async (child: ReturnType<typeof spawn>): Promise<void> => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    };
    const first = asker('orphan');
    const pid = await first.pid;
    await kill(first.child);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid)).toBe(true);
    // No pid recorded (the asker died before its journal had it): the engine's side knows the run.
    expect(await engine.stopCutOffRun('orphan', {})).toEqual({ found: 'running', pid });
    expect(alive(pid)).toBe(false);
    expect(await engine.stopCutOffRun('orphan', { pid })).toEqual({ found: 'ended', pid });
    expect(await engine.stopCutOffRun('never-ran', {})).toEqual({ found: 'unknown' });
    const second = asker('orphan2');
    const pid2 = await second.pid;
    await kill(second.child);
    expect(await engine.stopCutOffRun('orphan2', { pid: pid2 })).toEqual({ found: 'running', pid: pid2 });
    expect(alive(pid2)).toBe(false);
  }],
  ['accounts are checked where the services run: a known one passes, an unknown user or group is named', async ({ engine }) => {
    const problems = await engine.checkAccounts([{}, { user: 'root' }, { user: 'no-such-user-rcform' }, { group: 'no-such-group-rcform' }]);
    expect(problems[0]).toBeNull();
    // root is known everywhere; switching to it needs root, which the engine's side may not have.
    expect(problems[1] === null || /needs root/.test(problems[1] as string)).toBe(true);
    expect(problems.slice(2)).toEqual(['unknown user "no-such-user-rcform"', 'unknown group "no-such-group-rcform"']);
    // A oneshot run as an unknown account is refused before anything runs.
    await expect(engine.runOneshot(oneshot('ghost', { user: 'no-such-user-rcform', up: { argv: ['true'] } }), 'up', { timeoutMs: 20000 })).rejects.toThrow('ghost: unknown user "no-such-user-rcform"');
  }],
];
const asRoot = process.getuid?.() === 0;

// ---- The operator's view: the real CLI, a live directory of its own per scenario --------------
// init → plan → apply as an operator runs them, with things done behind rcform's back through the
// supervisor's own means, and failures. What must hold is what a user sees: plans, exit codes,
// errors naming the service and the step, the state and journal left behind, and real processes.

interface Op extends CliOperator {
  write(hcl: string): void;
  /** Stops a service the way an operator would by hand, without rcform. */
  stopBehindBack(name: string): Promise<void>;
  /** Takes a service away from the supervisor, without rcform. */
  removeBehindBack(name: string): Promise<void>;
}

const RUNNING = ['up', 'ready', 'starting'];
const both = (r: CliResult): string => `${r.stdout}\n${r.stderr}`;
const readFile = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${both(r)}`);
  expect(r.stderr).toBe('');
  return r;
}

function cycleHcl(root: string, v: 1 | 2): string {
  const db = `
longrun "db" {
  run             = ["sh", "-c", "printf '\\\\n' >&3; exec sleep 1000"]
  notification_fd = 3
}
`;
  if (v === 1) {
    return `${db}
longrun "web" {
  depends_on = [longrun.db]
  env        = { GREETING = "hello" }
  data       = { "page.html" = "<h1>page</h1>" }
  run        = ["sh", "-c", "cat data/page.html > ${root}/web.out; echo $GREETING >> ${root}/web.out; exec sleep 1001"]
}

longrun "worker" {
  run = ["sleep", "1002"]
}

longrun "spare" {
  down = true
  run  = ["sleep", "1003"]
}

oneshot "setup" {
  up = ["sh", "-c", "echo set up > ${root}/setup.out"]
}
`;
  }
  return `${db}
longrun "web" {
  depends_on = [longrun.db]
  env        = { GREETING = "hello" }
  data       = { "page.html" = "<h1>page</h1>" }
  run        = ["sh", "-c", "cat data/page.html > ${root}/web.out; echo $GREETING >> ${root}/web.out; exec sleep 1004"]
}

moved {
  from = longrun.worker
  to   = longrun.jobs
}

longrun "jobs" {
  run = ["sleep", "1002"]
}

longrun "spare" {
  down = false
  run  = ["sleep", "1003"]
}

longrun "extra" {
  run = ["sleep", "1005"]
}
`;
}

function failuresHcl(root: string, fixed: boolean): string {
  return `
longrun "fine" {
  run = ["sleep", "1020"]
}

oneshot "prepare" {
  up = ["sh", "-c", "echo prepared > ${root}/prepare.out"]
}

longrun "nope" {
  run = ${fixed ? '["sleep", "1021"]' : '["/nonexistent/rcform-test-program", "--serve"]'}
}

longrun "dep" {
  depends_on = [longrun.nope]
  run        = ["sleep", "1022"]
}

longrun "mute" {
  run             = ["sh", "-c", "echo mute started; ${fixed ? "printf '\\\\n' >&3; " : ''}exec sleep 1023"]
  notification_fd = 3
  timeout_up      = "${fixed ? '60s' : '1500ms'}"
}

longrun "after" {
  depends_on = [longrun.mute]
  run        = ["sleep", "1024"]
}
`;
}

const cliScenarios: [string, (o: Op) => Promise<void>][] = [
  ['init → plan --out → apply PLANFILE → edit → plan shows exactly the edits → apply it → nothing left to do', async (o) => {
    o.write(cycleHcl(o.root, 1));
    expect(ok(o.rc(['init', '--engine', o.kind])).stdout).toContain(`engine ${o.kind}`);
    let r = ok(o.rc(['plan', 'src', '--out', 'v1.plan']));
    expect(r.stdout).toContain('# longrun.spare will be installed and left down because it is new (down = true)');
    expect(r.stdout).toMatch(/^Plan: 5 to install, /m);
    ok(o.rc(['apply', 'v1.plan']));

    let st = o.status();
    expect(st['db']?.state).toBe('ready');
    expect(st['web']?.state).toBe('up');
    expect(st['worker']?.state).toBe('up');
    expect(st['spare']?.state).toBe('down');
    expect(st['setup']?.state).toBe('up');
    for (const n of ['db', 'web', 'worker']) expect(alive(st[n]?.pid)).toBe(true);
    expect(readFile(path.join(o.root, 'setup.out'))).toBe('set up\n');
    // The run script found its data file in its working directory and its env.
    await eventually('web.out', async () => readFile(path.join(o.root, 'web.out'))?.endsWith('hello\n') || undefined);
    expect(readFile(path.join(o.root, 'web.out'))).toBe('<h1>page</h1>hello\n');
    const { web: web1, worker: worker1, db: db1 } = st;

    o.write(cycleHcl(o.root, 2));
    r = ok(o.rc(['plan', 'src', '--out', 'v2.plan']));
    expect(planLines(r.stdout)).toEqual(
      [
        '# longrun.extra will be installed and started because it is new',
        '# longrun.spare will be updated in place and started because down changed to false',
        '# longrun.web will be restarted because run changed',
        '# longrun.worker has moved to longrun.jobs because a moved block renames worker to jobs',
        '# oneshot.setup will be stopped and removed because it is no longer in the source',
      ].sort(),
    );
    expect(r.stdout).toMatch(/^Plan: 1 to install, 1 to start, 1 to restart, 0 to reload, 0 to update, 1 to rename, 0 to stop, 1 to remove\.$/m);
    fs.rmSync(path.join(o.root, 'web.out'));
    ok(o.rc(['apply', 'v2.plan']));

    st = o.status();
    expect(Object.keys(st).sort()).toEqual(['db', 'extra', 'jobs', 'spare', 'web']);
    expect(st['jobs']?.pid).toBe(worker1?.pid);
    expect(st['db']?.pid).toBe(db1?.pid);
    expect(st['web']?.pid).not.toBe(web1?.pid);
    expect(alive(web1?.pid)).toBe(false);
    for (const n of ['db', 'web', 'jobs', 'spare', 'extra']) expect(alive(st[n]?.pid)).toBe(true);
    expect(fs.readFileSync(`/proc/${st['web']?.pid}/cmdline`, 'utf8').split('\0')).toContain('1004');
    await eventually('web.out rewritten by the restarted web', async () => readFile(path.join(o.root, 'web.out'))?.endsWith('hello\n') || undefined);

    r = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(both(r)).toMatch(/^No changes\./);
    expect(r.code).toBe(0);
  }],
  ['drift: a killed service is restarted by the supervisor; one stopped or removed behind rcform\'s back is drift that apply repairs', async (o) => {
    o.write(['a', 'b', 'c'].map((n, k) => `longrun "${n}" {\n  run = ["sleep", "${1010 + k}"]\n}\n`).join('\n'));
    ok(o.rc(['init', '--engine', o.kind]));
    ok(o.rc(['apply', 'src', '--auto-approve']));
    const st0 = o.status();
    for (const n of ['a', 'b', 'c']) expect(alive(st0[n]?.pid)).toBe(true);

    // SIGKILL: the supervisor's job, not rcform's. A new process, a restart counted, no drift.
    process.kill(st0['a']?.pid as number, 'SIGKILL');
    const a = await eventually('a restarted', async () => {
      const s = o.status()['a'];
      return s?.state === 'up' && s.pid !== st0['a']?.pid && alive(s.pid) ? s : undefined;
    });
    expect(a.restarts).toBeGreaterThanOrEqual(1);
    let r = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(both(r)).toMatch(/^No changes\./);
    expect(r.code).toBe(0);

    await o.stopBehindBack('b');
    expect(alive(st0['b']?.pid)).toBe(false);
    await o.removeBehindBack('c');
    expect(alive(st0['c']?.pid)).toBe(false);
    r = o.rc(['plan', 'src', '-detailed-exitcode', '--out', 'drift.plan']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Note: the engine reports services that differ from the live state');
    expect(planLines(r.stdout)).toEqual(
      [
        '# longrun.b: recorded up, but the engine reports it down',
        '# longrun.b will be started because recorded up, but the engine reports it down',
        '# longrun.c: recorded up, but the engine does not know it',
        '# longrun.c will be installed and started because the engine does not know it',
      ].sort(),
    );
    ok(o.rc(['apply', 'drift.plan']));
    const st = o.status();
    for (const n of ['a', 'b', 'c']) {
      expect(st[n]?.state).toBe('up');
      expect(alive(st[n]?.pid)).toBe(true);
    }
    expect(st['a']?.pid).toBe(a.pid);
    r = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(both(r)).toMatch(/^No changes\./);
    expect(r.code).toBe(0);
  }],
  ['engine stopped: plan and apply refuse to guess what runs; init starts it again, which brings back what was up, and nothing runs twice', async (o) => {
    o.write(`
longrun "svc" {
  run = ["sleep", "1030"]
}

longrun "idle" {
  down = true
  run  = ["sleep", "1031"]
}

oneshot "once" {
  up = ["sh", "-c", "echo ran >> ${o.root}/once.out"]
}
`);
    ok(o.rc(['init', '--engine', o.kind]));
    // A fresh live directory has nothing to bring back: apply starts its engine itself.
    ok(o.rc(['supervise', '--stop']));
    ok(o.rc(['apply', 'src', '--auto-approve']));
    const svc0 = o.status()['svc'];
    expect(alive(svc0?.pid)).toBe(true);
    expect(readFile(path.join(o.root, 'once.out'))).toBe('ran\n');

    ok(o.rc(['supervise', '--stop']));
    await eventually('svc down with its engine', async () => (alive(svc0?.pid) ? undefined : true));
    const stateFile = path.join(o.live, 'state.json');
    const state0 = fs.readFileSync(stateFile, 'utf8');

    let r = o.rc(['plan', 'src', '--out', 'p.plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: the (embedded supervisor|s6-svscan) of .* is not running, so what runs cannot be known; start it with "rcform init --live .*" \(it brings back the services that were up\), then plan again; or plan from the state alone with --refresh=false\n$/);
    expect(fs.existsSync(path.join(o.root, 'p.plan'))).toBe(false);
    // A plan from the state alone can be made and reviewed, but nothing applies while the engine is stopped.
    ok(o.rc(['plan', 'src', '--refresh=false', '--out', 'p.plan']));
    for (const args of [['apply', 'p.plan'], ['apply', 'src', '--auto-approve'], ['apply', 'src', '--auto-approve', '--refresh=false', '--replace', 'longrun.svc'], ['destroy', '--auto-approve', '--refresh=false']]) {
      r = o.rc(args);
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toMatch(/is not running, so what runs cannot be known.*start it with "rcform init --live /);
    }
    // Nothing was done: no engine, no process, the state and the oneshot's effects as they were.
    expect(o.rc(['status']).code).toBe(1);
    expect(fs.readFileSync(stateFile, 'utf8')).toBe(state0);
    expect(readFile(path.join(o.root, 'once.out'))).toBe('ran\n');

    r = ok(o.rc(['init', '--engine', o.kind]));
    expect(r.stdout).toMatch(/is already initialised \(.*\); nothing was changed in the state; its (embedded supervisor|s6-svscan) was not running and has been started\.\n$/);
    expect(fs.readFileSync(stateFile, 'utf8')).toBe(state0);
    let svc1: ServiceStatus | undefined;
    if (o.kind === 'embedded') {
      // The embedded supervisor's clean stop keeps what each service wanted: svc comes back.
      svc1 = await eventually('svc brought back by its engine', async () => {
        const s = o.status()['svc'];
        return s && s.state === 'up' && alive(s.pid) ? s : undefined;
      });
      expect(svc1.pid).not.toBe(svc0?.pid);
      r = o.rc(['plan', 'src', '-detailed-exitcode']);
      expect(both(r)).toMatch(/^No changes\./);
      expect(r.code).toBe(0);
    } else {
      // s6's clean stop wrote every service's down file (docs/engine-s6.md): svc comes back down,
      // and now that the engine can be asked, the plan says so and starts it.
      await eventually('svc supervised again, down', async () => (o.status()['svc']?.state === 'down' ? true : undefined));
      r = o.rc(['plan', 'src', '-detailed-exitcode']);
      expect(r.code).toBe(2);
      expect(planLines(r.stdout)).toEqual(['# longrun.svc will be started because recorded up, but the engine reports it down', '# longrun.svc: recorded up, but the engine reports it down']);
    }
    expect(o.status()['idle']?.state).toBe('down');
    ok(o.rc(['apply', 'src', '--auto-approve']));
    const svc2 = o.status()['svc'];
    expect(alive(svc2?.pid)).toBe(true);
    if (svc1) expect(svc2?.pid).toBe(svc1.pid);
    r = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(both(r)).toMatch(/^No changes\./);
    // The oneshot ran once, whatever the engine went through.
    expect(readFile(path.join(o.root, 'once.out'))).toBe('ran\n');
    expect(ok(o.rc(['init'])).stdout).toMatch(/; nothing was changed\.\n$/);
  }],
  ['failures: a run that cannot start and one never ready stop apply with the service and the step; state, journal and re-plan tell the truth', async (o) => {
    o.write(failuresHcl(o.root, false));
    ok(o.rc(['init', '--engine', o.kind]));
    ok(o.rc(['plan', 'src', '--out', 'f.plan']));
    const r = o.rc(['apply', 'f.plan']);
    expect(r.code).toBe(1);
    const out = both(r);
    expect(out).toMatch(/longrun\.nope: start failed: nope: cannot run \/nonexistent\/rcform-test-program/);
    expect(out).toMatch(/longrun\.mute: start failed: mute: not ready .*1500 ms/);
    expect(out).toContain('not started: longrun.dep: start');
    expect(out).toContain('not started: longrun.after: start');
    expect(out).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace

    // What did start runs; what failed is down, not retried behind the operator's back.
    const st = o.status();
    expect(st['fine']?.state).toBe('up');
    expect(alive(st['fine']?.pid)).toBe(true);
    expect(readFile(path.join(o.root, 'prepare.out'))).toBe('prepared\n');
    for (const n of ['nope', 'mute']) {
      expect(st[n]).toMatchObject({ wanted: 'down', state: 'failed' });
      expect(st[n]?.pid).toBeUndefined();
    }
    for (const n of ['dep', 'after']) expect(st[n]).toMatchObject({ wanted: 'down', state: 'down' });

    // The state records every install and the starts that happened, nothing more.
    const state = JSON.parse(fs.readFileSync(path.join(o.live, 'state.json'), 'utf8')) as { services: Record<string, { observed?: { state: string } }> };
    expect(Object.keys(state.services).sort()).toEqual(['after', 'dep', 'fine', 'mute', 'nope', 'prepare']);
    expect(state.services['fine']?.observed?.state).toBe('up');
    expect(state.services['prepare']?.observed?.state).toBe('up');
    for (const n of ['nope', 'mute', 'dep', 'after']) expect(RUNNING).not.toContain(state.services[n]?.observed?.state);
    const journalDir = path.join(o.live, 'journal');
    const last = fs.readdirSync(journalDir).filter((f) => f.endsWith('.jsonl')).sort().at(-1) as string;
    const records = fs.readFileSync(path.join(journalDir, last), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step_id?: string; outcome?: string; error?: string });
    const endOf = (id: string) => records.find((x) => x.type === 'step-end' && x.step_id === id);
    expect(endOf('start:fine')?.outcome).toBe('ok');
    expect(endOf('start:nope')).toMatchObject({ outcome: 'failed', error: expect.stringContaining('nope: cannot run') });
    expect(endOf('start:mute')).toMatchObject({ outcome: 'failed', error: expect.stringContaining('mute: not ready') });
    expect(endOf('start:dep')).toBeUndefined();
    expect(records.at(-1)).toMatchObject({ type: 'apply-end', outcome: 'failed' });

    // A re-plan shows exactly what is left: the four starts, nothing for what worked. They were
    // installed and never started, so the state says down as the engine does: no drift.
    let p = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(p.code).toBe(2);
    expect(p.stdout).not.toMatch(/differ from the live state/);
    expect(planLines(p.stdout).filter((l) => l.includes(' will be '))).toEqual(
      ['after', 'dep', 'mute', 'nope'].map((n) => `# longrun.${n} will be started because it is installed but not running`),
    );

    // Fixed in the source, one apply converges.
    o.write(failuresHcl(o.root, true));
    ok(o.rc(['apply', 'src', '--auto-approve']));
    const fixed = o.status();
    for (const n of ['fine', 'nope', 'dep', 'mute', 'after']) expect(alive(fixed[n]?.pid)).toBe(true);
    expect(fixed['mute']?.state).toBe('ready');
    expect(fixed['fine']?.pid).toBe(st['fine']?.pid);
    p = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(both(p)).toMatch(/^No changes\./);
    expect(p.code).toBe(0);
  }],
];

function operator(kind: EngineKind): Op {
  const o = cliOperator(kind, 'rcform-conf-');
  const { root, live } = o;
  const withEngine = async (fn: (e: Engine) => Promise<void>): Promise<void> => {
    const e = await openEngine(live, { kind });
    try {
      await fn(e);
    } finally {
      await e.close();
    }
  };
  return {
    ...o,
    write: (hcl) => fs.writeFileSync(path.join(root, 'src', 'main.hcl'), hcl),
    async stopBehindBack(name) {
      if (kind === 's6') {
        // s6's own tool on the scan directory entry: the supervisor is told, rcform is not.
        const { scandir } = JSON.parse(fs.readFileSync(path.join(live, 'engine', 's6.json'), 'utf8')) as { scandir: string };
        const r = spawnSync('s6-svc', ['-wD', '-T', '30000', '-d', path.join(scandir, name)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`s6-svc -d ${name}: ${r.stderr}`);
      } else {
        await withEngine((e) => e.stop(name, { timeoutMs: 30000 }));
      }
    },
    removeBehindBack: (name) => withEngine((e) => e.uninstall(name)),
  };
}


warnS6Missing('engine conformance suite (s6 half)');

test('the suite runs every engine the registry holds, the test-only one included', () => {
  expect(ENGINES.map((e) => e.kind)).toEqual(['embedded', 's6', 'inproc']);
});

for (const { kind, missing } of ENGINES) {
  if (missing) {
    test.skip(`conformance on the ${kind} engine skipped: ${missing}`, () => {});
    continue;
  }
  describe(`engine conformance: ${kind}`, () => {
    const ctx = {} as Ctx;
    beforeAll(async () => {
      ctx.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
      ctx.kind = kind;
      ctx.engine = await openEngine(path.join(ctx.tmp, 'live'), { kind }, { autostart: true });
      ctx.st = async (name) => (await ctx.engine.status())[name];
    }, 30000);
    afterAll(async () => {
      await ctx.engine?.close();
      // What `rcform supervise --stop` runs: every service down, the engine's processes gone.
      if (ctx.tmp) await shutdownEngine(path.join(ctx.tmp, 'live'), { kind });
      fs.rmSync(ctx.tmp, { recursive: true, force: true });
    }, 60000);
    for (const [name, run] of scenarios) {
      const why = NOT_FOR[kind]?.[name];
      if (why) test.skip(`${name}: not for the ${kind} engine: ${why}`, () => {});
      else test(name, () => run(ctx), 60000);
    }
    for (const [name, run] of rootScenarios) {
      const why = NOT_FOR[kind]?.[name];
      if (why) test.skip(`${name}: not for the ${kind} engine: ${why}`, () => {});
      else if (asRoot) test(name, () => run(ctx), 60000);
      else test.skip(`${name}: skipped, switching account needs root`, () => {});
    }
  });
}

for (const { kind, missing } of ENGINES) {
  const why = missing ?? NO_CLI[kind];
  if (why) {
    test.skip(`CLI conformance on the ${kind} engine skipped: ${why}`, () => {});
    continue;
  }
  describe(`CLI conformance: ${kind}`, () => {
    let o: Op;
    beforeEach(() => {
      o = operator(kind);
    });
    afterEach(() => endCliOperator(o), 120_000);
    for (const [name, run] of cliScenarios) test(name, () => run(o), 300_000);
  });
}
