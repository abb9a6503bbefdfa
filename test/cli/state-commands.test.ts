import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Io } from '../../cli/command.js';
import { runCli } from '../../cli/run.js';
import { JournalWriter } from '../../state/journal.js';
import { liveLayout } from '../../state/live-dir.js';
import { acquireLock, inspectLock, readLockInfo, type LockInfo } from '../../state/lock.js';
import { createStateFile, readState } from '../../state/state-file.js';
import { runProcess } from '../support/cli-harness.js';
import { db, longrun, oneshot, stateOf } from '../support/plan-fixtures.js';

const LOCK_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/lock-child.js');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  const compiled = db([
    longrun('web', { dependencies: ['db'], env: { PASSWORD: 'hunter2-secret' }, sensitive_paths: ['env.PASSWORD'] }),
    longrun('db'),
    oneshot('mount@data', { address: 'oneshot.mount["data"]' }),
  ]);
  createStateFile(dir, { ...stateOf(compiled), lineage: randomUUID(), serial: 0, journal_seq: 0 });
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const rc = (...argv: string[]) => runProcess([...argv, '--live', dir]);

function holdLockInChild(): Promise<{ child: ChildProcess; info: LockInfo }> {
  const child = spawn(process.execPath, [LOCK_CHILD, 'hold', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c) => {
      buf += c;
      if (buf.includes('\n')) resolve({ child, info: JSON.parse(buf.split('\n')[0] as string) as LockInfo });
    });
    child.on('exit', () => reject(new Error('lock holder exited early')));
  });
}

describe('rcform state list / show', () => {
  test('list prints sorted addresses, filters, and has a JSON view', () => {
    const r = rc('state', 'list');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('longrun.db\nlongrun.web\noneshot.mount["data"]\n');
    expect(rc('state', 'list', 'oneshot').stdout).toBe('oneshot.mount["data"]\n');
    expect(rc('state', 'list', 'oneshot.mount').stdout).toBe('oneshot.mount["data"]\n');
    const j = JSON.parse(rc('state', 'list', '-json').stdout) as { serial: number; services: Array<{ address: string; name: string; desired: string }> };
    expect(j.serial).toBe(0);
    expect(j.services.map((s) => s.name)).toEqual(['db', 'web', 'mount@data']);
    expect(j.services[1]).toMatchObject({ address: 'longrun.web', desired: 'up' });
  }, 60_000);

  test('show prints one service, by address or by name, with sensitive values masked', () => {
    const r = rc('state', 'show', 'longrun.web');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# longrun.web');
    expect(r.stdout).toMatch(/desired: +up/);
    expect(r.stdout).toContain('/usr/bin/web');
    expect(r.stdout).toContain('(sensitive)');
    expect(r.stdout).not.toContain('hunter2');
    expect(rc('state', 'show', 'mount@data').stdout).toContain('# oneshot.mount["data"]');
    const j = rc('state', 'show', 'web', '-json');
    expect(j.stdout).not.toContain('hunter2');
    expect((JSON.parse(j.stdout) as { service: { definition: { env: Record<string, string> } } }).service.definition.env['PASSWORD']).toBe('(sensitive)');
    const missing = rc('state', 'show', 'longrun.nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: no service "longrun\.nope" in the live state at .*\n$/);
  }, 60_000);

  test('a torn state.json is reported with the file and the problem, never used', () => {
    const file = liveLayout(dir).state;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 100));
    for (const argv of [['state', 'list'], ['state', 'rm', 'longrun.web']]) {
      const r = rc(...argv);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`Error: ${file}: not valid JSON at line`);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
  }, 60_000);

  test('no live state: a clear error pointing at init', () => {
    const r = runProcess(['state', 'list', '--live', path.join(dir, 'none')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/none: no (such live directory|live state here); run "rcform init --live .*none" first/);
  }, 60_000);

  test('a live directory without state.json: the error says which init to run', () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty, { mode: 0o700 });
    for (const args of [['state', 'list'], ['state', 'rm', 'web']]) {
      const r = runProcess([...args, '--live', empty]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 1, stderr: `Error: ${empty}/state.json: no live state here; run "rcform init --live ${empty}" first\n` });
    }
  }, 60_000);
});

describe('rcform state rm', () => {
  test('forgets services, bumps the serial, keeps the lineage; unknown addresses remove nothing', () => {
    const before = readState(dir);
    const bad = rc('state', 'rm', 'longrun.web', 'longrun.nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no service "longrun.nope"');
    expect(readState(dir).serial).toBe(0);
    expect(rc('state', 'rm', '-dry-run', 'longrun.web').stdout).toContain('Would remove longrun.web');
    expect(readState(dir).serial).toBe(0);
    const r = rc('state', 'rm', 'longrun.web', 'oneshot.mount["data"]');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed longrun.web');
    expect(r.stdout).toContain('Successfully removed 2 services');
    const after = readState(dir);
    expect(Object.keys(after.services)).toEqual(['db']);
    expect(after.serial).toBe(1);
    expect(after.lineage).toBe(before.lineage);
    expect(readLockInfo(dir)).toBeUndefined();
  }, 60_000);

  test('folds a crashed apply\'s journal records first, so they are not lost', async () => {
    const j = await JournalWriter.open(dir, { foldedSeq: 0 });
    const extra = { ...readState(dir).services['db']!, address: 'longrun.cache', definition: longrun('cache') };
    await j.append({ type: 'step-end', step_id: '1', action: 'install', service: 'cache', outcome: 'ok', change: { op: 'put', entry: extra } });
    await j.close();
    expect(rc('state', 'list').stdout).toContain('longrun.cache');
    expect(readState(dir).services['cache']).toBeUndefined(); // list never writes
    expect(rc('state', 'rm', 'longrun.web').code).toBe(0);
    const after = readState(dir);
    expect(Object.keys(after.services).sort()).toEqual(['cache', 'db', 'mount@data']);
    expect(after.journal_seq).toBe(1);
  }, 60_000);
});

describe('the lock, through the CLI', () => {
  test('a held lock: the command fails showing the holder; --lock-timeout waits for it', async () => {
    const lock = await acquireLock(dir, { operation: 'apply', info: 'plan.out' });
    const r = rc('state', 'rm', 'longrun.web');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the state is locked by another operation');
    expect(r.stderr).toContain(`ID:        ${lock.info.ID}`);
    expect(r.stderr).toContain('Operation: apply');
    expect(readState(dir).services['web']).toBeDefined();
    // plan too: its holder is alive and may be changing the state right now.
    const plan = rc('plan', '--destroy', '--refresh=false');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('the state is locked by another operation');
    expect(plan.stdout).toBe('');
    // -lock=false lets a read-only command look anyway.
    expect(rc('state', 'list', '-lock=false').code).toBe(0);
    expect(rc('state', 'list').code).toBe(1);
    // Released while the command waits.
    const child = spawn(process.execPath, [path.join(path.dirname(LOCK_CHILD), '../../cli/main.js'), 'state', 'rm', 'longrun.web', '--live', dir, '--lock-timeout=60s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    await new Promise((r) => setTimeout(r, 300));
    lock.release();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('Removed longrun.web');
  }, 60_000);

  test('a holder killed with -9 leaves no lock: the next command runs and reports the info it left; force-unlock has nothing to break', async () => {
    const { child, info } = await holdLockInChild();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readLockInfo(dir)).toBeUndefined();

    const wrong = rc('force-unlock', 'not-the-id', '--force');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`is not locked, and the lock ID "not-the-id" is not that of the last lock left in it ("${info.ID}")`);
    const noTty = rc('force-unlock', info.ID);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/no terminal to ask on; run it with --force/);

    // The first command to take the lock says what the dead holder left, and goes on.
    const plan = rc('plan', '--destroy', '--refresh=false');
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/^Warning: the last operation to take the state lock ended without releasing it \(a crash or kill -9\)/);
    expect(plan.stderr).toContain(`ID:        ${info.ID}`);
    expect(plan.stderr).toContain('Operation: test hold');
    expect(plan.stderr).toContain(`PID:       ${info.PID} (not running)`);
    expect(plan.stderr).not.toContain('force-unlock');
    expect(plan.stdout).toContain('Plan: 0 to install, 0 to restart, 0 to reload, 0 to update, 0 to stop, 3 to remove.');
    expect(fs.existsSync(path.join(dir, 'state.lock'))).toBe(false);
    const rm = rc('state', 'rm', 'longrun.web');
    expect(rm.code).toBe(0);
    expect(rm.stderr).toBe('');
    const gone = rc('force-unlock', info.ID, '--force');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('is not locked; nothing to unlock');

    // force-unlock right after a crash clears the info instead, and says the lock was already gone.
    const second = await holdLockInChild();
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));
    const ok = rc('force-unlock', second.info.ID, '--force');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('successfully unlocked');
    expect(ok.stdout).toContain(`pid ${second.info.PID}, which is no longer running, had already ended with it`);
    expect(fs.existsSync(path.join(dir, 'state.lock'))).toBe(false);
  }, 60_000);

  test('force-unlock cannot break a lock whose holder runs; on a terminal it asks before clearing a dead holder\'s info', async () => {
    const { child, info } = await holdLockInChild();
    const refused = rc('force-unlock', info.ID, '--force');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the state lock is held by a running process, and a local lock cannot be broken by another process; nothing was unlocked');
    expect(refused.stderr).toContain(`PID:       ${info.PID} (running)`);
    expect(refused.stderr).toContain(`kill ${info.PID}`);
    const wrong = rc('force-unlock', 'not-the-id', '--force');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`does not match the current lock's ID "${info.ID}"`);
    expect(readLockInfo(dir)?.ID).toBe(info.ID);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const run = async (answer: string) => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (c) => (out += c));
      stderr.on('data', (c) => (err += c));
      stdin.end(answer);
      const io: Io = { stdin, stdout, stderr, env: process.env, cwd: process.cwd(), color: false };
      const code = await runCli(['force-unlock', info.ID, '--live', dir], io);
      return { code, out, err };
    };
    const no = await run('y\n');
    expect(no.code).toBe(1);
    expect(no.out).toContain("Only 'yes' will be accepted");
    expect(no.out).toContain('not running');
    expect(no.err).toContain('cancelled');
    expect(inspectLock(dir).info?.ID).toBe(info.ID);
    const yes = await run('yes\n');
    expect(yes.code).toBe(0);
    expect(inspectLock(dir)).toEqual({ held: false });
  }, 60_000);
});
