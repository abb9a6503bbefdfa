import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acquireLock, forceUnlock, inspectLock, lockAddon, LockError, LockHeldByLiveProcessError, LockHeldError, readLockInfo, type LockInfo } from '../../state/lock.js';
import { fileLocker } from '../../state/locker.js';
import { isUserError } from '../../lang/user-error.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/lock-child.js');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function startChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing`)));
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));

describe('state lock', () => {
  test('three processes racing for the lock: exactly one wins, every round', async () => {
    const ROUNDS = 20;
    const RACERS = 3;
    const control = path.join(dir, 'control');
    fs.mkdirSync(control);
    const racers = Array.from({ length: RACERS }, () => startChild(['race', dir, String(ROUNDS)]));
    for (let r = 0; r < ROUNDS; r++) {
      fs.writeFileSync(path.join(control, `round-${r}.go`), '');
      const results = await until(() => {
        const files = racers.map((c) => path.join(control, `round-${r}.${c.pid}`));
        return files.every((f) => fs.existsSync(f)) && files.map((f) => fs.readFileSync(f, 'utf8'));
      }, `round ${r} results`);
      const won = results.filter((x) => x.startsWith('won '));
      expect(won).toHaveLength(1);
      // Every loser was told who holds the lock: the winner.
      const winnerId = (won[0] as string).slice(4);
      for (const x of results.filter((x) => x.startsWith('lost '))) expect(x).toBe(`lost ${winnerId}`);
      expect(readLockInfo(dir)?.ID).toBe(winnerId);
      fs.writeFileSync(path.join(control, `round-${r}.end`), '');
      await until(() => fs.existsSync(path.join(control, `round-${r}.released`)), `round ${r} release`);
      expect(readLockInfo(dir)).toBeUndefined();
    }
    await Promise.all(racers.map(exited));
  }, 180_000);

  test('three processes taking and releasing the lock over and over are never inside it together', async () => {
    // Each release removes the lock file while a waiter may have it open: the waiter that then
    // locks the removed file must see it is no longer the lock, or two would hold it at once.
    const racers = Array.from({ length: 3 }, () => startChild(['mutex', dir, '100']));
    await Promise.all(racers.map(exited));
    expect(racers.map((c) => c.exitCode)).toEqual([0, 0, 0]);
    expect(fs.existsSync(path.join(dir, 'inside'))).toBe(false);
    expect(readLockInfo(dir)).toBeUndefined();
  }, 180_000);

  test('a held lock is an error that shows its info; --lock-timeout waits for its release', async () => {
    const first = await acquireLock(dir, { operation: 'apply', info: 'plan.out' });
    const err = await acquireLock(dir, { operation: 'state rm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    const held = err as LockHeldError;
    expect(isUserError(held) && held.kind).toBe('conflict');
    expect(held.info).toEqual(first.info);
    for (const field of ['ID', 'Path', 'Operation', 'Who', 'Version', 'Created', 'PID', 'Info'] as const) {
      expect(held.message).toContain(`${field}:`);
      expect(held.message).toContain(String(first.info[field]));
    }
    setTimeout(() => first.release(), 300);
    const second = await acquireLock(dir, { operation: 'state rm', timeoutMs: 20_000 });
    expect(readLockInfo(dir)?.ID).toBe(second.info.ID);
    second.release();
    second.release(); // idempotent
    expect(readLockInfo(dir)).toBeUndefined();
  }, 60_000);

  test('a holder killed with -9 leaves no lock: the next taker gets it at once and reports the info left behind', async () => {
    const child = startChild(['hold', dir]);
    const info = JSON.parse(await firstLine(child)) as LockInfo;
    expect(info.PID).toBe(child.pid);
    expect(readLockInfo(dir)?.ID).toBe(info.ID);
    child.kill('SIGKILL');
    await exited(child);
    // The file is still there with the dead holder's info, but a free kernel lock is no lock.
    expect(fs.existsSync(path.join(dir, 'state.lock'))).toBe(true);
    expect(inspectLock(dir)).toEqual({ held: false, info });
    expect(readLockInfo(dir)).toBeUndefined();
    const next = await acquireLock(dir, { operation: 'apply', timeoutMs: 0 });
    expect(next.abandoned).toEqual(info);
    expect(readLockInfo(dir)?.ID).toBe(next.info.ID);
    next.release();
    expect(fs.existsSync(path.join(dir, 'state.lock'))).toBe(false);
  }, 60_000);

  test('force-unlock cannot break a lock held by a running process, and clears what a dead one left', async () => {
    const locker = fileLocker(dir);
    const held = await locker.acquire({ operation: 'apply' });
    await expect(locker.forceUnlock('not-the-id')).rejects.toThrow(LockError);
    const refused = await locker.forceUnlock(held.info.ID).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockHeldByLiveProcessError);
    expect((refused as LockHeldByLiveProcessError).kind).toBe('conflict');
    expect((refused as Error).message).toMatch(/cannot be broken by another process; nothing was unlocked/);
    expect((refused as Error).message).toContain(`PID:       ${process.pid} (running)`);
    expect((await locker.holder())?.ID).toBe(held.info.ID);
    await held.release();
    await held.release(); // idempotent
    expect(await locker.holder()).toBeUndefined();
    await expect(locker.forceUnlock(held.info.ID)).rejects.toThrow(/not locked/);

    // A holder in another process, as a real crash leaves it.
    const child = startChild(['hold', dir]);
    const info = JSON.parse(await firstLine(child)) as LockInfo;
    await expect(forceUnlock(dir, info.ID)).rejects.toThrow(LockHeldByLiveProcessError);
    expect(readLockInfo(dir)?.ID).toBe(info.ID);
    child.kill('SIGKILL');
    await exited(child);
    await expect(forceUnlock(dir, 'not-the-id')).rejects.toThrow(/not that of the last lock left in it/);
    expect((await forceUnlock(dir, info.ID)).ID).toBe(info.ID);
    expect(fs.existsSync(path.join(dir, 'state.lock'))).toBe(false);
  }, 60_000);

  test('the lock is not inherited across exec: a child the holder starts keeps nothing once the holder lets go', async () => {
    const held = await acquireLock(dir, { operation: 'apply' });
    // Detached and outliving the holder's hold, as the embedded supervisor does.
    const sleeper = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    children.push(sleeper);
    const fds = fs.readdirSync(`/proc/${sleeper.pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${sleeper.pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(fds).not.toContain(path.join(dir, 'state.lock'));
    held.release();
    const other = startChild(['hold', dir]);
    const info = JSON.parse(await firstLine(other)) as LockInfo;
    expect(info.PID).toBe(other.pid);
    expect(sleeper.exitCode).toBeNull();
  }, 60_000);

  test('the lock descriptor is close-on-exec', () => {
    const a = lockAddon();
    const fd = a.open(path.join(dir, 'state.lock'), true);
    try {
      expect(fd).toBeGreaterThanOrEqual(0);
      expect(a.cloexec(fd)).toBe(1);
    } finally {
      a.close(fd);
    }
  });

  test('the holder releases the lock when it gets SIGTERM or SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const child = startChild(['hold', dir]);
      await firstLine(child);
      expect(readLockInfo(dir)).toBeDefined();
      child.kill(signal);
      await exited(child);
      expect(child.signalCode).toBe(signal);
      expect(readLockInfo(dir)).toBeUndefined();
    }
  }, 60_000);
});
