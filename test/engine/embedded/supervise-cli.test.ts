import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../../../engine/embedded/client.js';
import { CLI, runProcess } from '../../support/cli-harness.js';
import { alive, killGroups, longrun, tempLive, waitFor } from '../../support/engine-harness.js';

// `rcform supervise` in the foreground, as a container entry point runs it, with `rcform status`,
// `rcform logs` and the clean stop from other processes.

let live: string;
let sup: ChildProcess | undefined;
const pids = new Set<number>();

function startForeground(env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'supervise', '--live', live], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return child;
}

async function connect(): Promise<EmbeddedEngine> {
  return waitFor('supervisor socket', () => EmbeddedEngine.connect(live).catch(() => undefined));
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

beforeEach(() => {
  live = tempLive();
  // What `rcform init` leaves before it starts the supervisor: supervise refuses a bare directory.
  fs.mkdirSync(path.join(live, 'engine'), { mode: 0o700 });
});
afterEach(async () => {
  if (sup && sup.exitCode === null && sup.signalCode === null) {
    sup.kill('SIGTERM');
    await exited(sup);
  }
  sup = undefined;
  killGroups(pids);
  pids.clear();
  fs.rmSync(live, { recursive: true, force: true });
});

describe('rcform supervise, status, logs', () => {
  test('logs rotate by size and `rcform logs -n` reads across them; status --json comes from the engine', async () => {
    sup = startForeground({ RCFORM_LOG_MAX_BYTES: '4000', RCFORM_LOG_KEEP: '2' });
    const engine = await connect();
    await engine.install(longrun('chatty', { run: { script: '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "chatty line $i padding padding padding padding"; sleep 0.002; done\n' } }));
    await engine.start('chatty', { timeoutMs: 10_000 });
    const logDir = path.join(live, 'engine/logs/chatty');
    await waitFor('second rotation', () => fs.existsSync(path.join(logDir, 'current.2')), 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.existsSync(path.join(logDir, 'current.3'))).toBe(false);
    const logs = runProcess(['logs', 'chatty', '-n', '3', '--live', live]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(logs.stdout).toMatch(/^chatty line \d+/);

    const st = runProcess(['status', '--json', '--live', live]);
    expect(st.code).toBe(0);
    const parsed = JSON.parse(st.stdout) as { engine: string; services: { name: string; state: string; pid: number }[] };
    expect(parsed.engine).toBe('embedded');
    expect(parsed.services).toEqual([expect.objectContaining({ name: 'chatty', state: 'up', wanted: 'up' })]);
    pids.add(parsed.services[0]!.pid);
    const human = runProcess(['status', '--live', live]);
    expect(human.stdout).toMatch(/^SERVICE\s+TYPE\s+WANTED\s+STATE\s+PID/);
    expect(human.stdout).toMatch(/chatty\s+longrun\s+up\s+up\s+\d+/);
    await engine.close();

    const stop = runProcess(['supervise', '--stop', '--live', live]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('stopped');
    expect(await exited(sup)).toBe(0);
    expect(alive(parsed.services[0]!.pid)).toBe(false);
  });

  test('`rcform logs -f` follows what the service writes until interrupted', async () => {
    sup = startForeground();
    const engine = await connect();
    await engine.install(longrun('ticker', { run: { script: '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done\n' } }));
    await engine.start('ticker', { timeoutMs: 10_000 });
    pids.add((await engine.status())['ticker']!.pid as number);
    await engine.close();
    await waitFor('first tick', () => fs.existsSync(path.join(live, 'engine/logs/ticker/current')));
    const follower = spawn(process.execPath, [CLI, 'logs', 'ticker', '-f', '-n', '1', '--live', live], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const first = Number(/tick (\d+)/.exec(await waitFor('first line', () => (out.includes('\n') ? out : undefined)))![1]);
    await waitFor('followed lines', () => out.includes(`tick ${first + 5}\n`));
    follower.kill('SIGINT');
    expect(await exited(follower)).toBe(0);
  });

  test('SIGTERM to a foreground supervisor is the clean stop', async () => {
    sup = startForeground();
    const engine = await connect();
    await engine.install(longrun('svc', { run: { argv: ['sleep', '3600'] } }));
    await engine.start('svc', { timeoutMs: 10_000 });
    const pid = (await engine.status())['svc']!.pid as number;
    pids.add(pid);
    await engine.close();
    sup.kill('SIGTERM');
    expect(await exited(sup)).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  test('status without a supervisor is a one-line error; --stop without one is a no-op', () => {
    const st = runProcess(['status', '--live', live]);
    expect(st.code).toBe(1);
    expect(st.stderr.trim().split('\n')).toHaveLength(1);
    expect(st.stderr).toContain('no supervisor is running');
    const stop = runProcess(['supervise', '--stop', '--live', live]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('No supervisor is running');
  });
});
