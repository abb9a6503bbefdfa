import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acquireLock, forceUnlock, LockError, LockHeldError, readLockInfo, type LockInfo } from '../../state/lock.js';

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

  test('a held lock is an error that shows its info; --lock-timeout waits for its release', async () => {
    const first = await acquireLock(dir, { operation: 'apply', info: 'plan.out' });
    const err = await acquireLock(dir, { operation: 'state rm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    const held = err as LockHeldError;
    expect(held.stale).toBe(false);
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

  test('a lock left by a killed process is reported as stale with its info, and not broken', async () => {
    const child = startChild(['hold', dir]);
    const info = JSON.parse(await firstLine(child)) as LockInfo;
    expect(info.PID).toBe(child.pid);
    child.kill('SIGKILL');
    await exited(child);
    const err = (await acquireLock(dir, { operation: 'apply', timeoutMs: 60_000 }).catch((e: unknown) => e)) as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.stale).toBe(true);
    expect(err.info.ID).toBe(info.ID);
    expect(err.message).toMatch(/no longer exists/);
    expect(err.message).toContain(`rcform force-unlock ${info.ID}`);
    expect(readLockInfo(dir)?.ID).toBe(info.ID);
  }, 60_000);

  test('force-unlock needs the matching ID', async () => {
    const held = await acquireLock(dir, { operation: 'apply' });
    expect(() => forceUnlock(dir, 'not-the-id')).toThrow(LockError);
    expect(readLockInfo(dir)?.ID).toBe(held.info.ID);
    expect(forceUnlock(dir, held.info.ID).ID).toBe(held.info.ID);
    expect(readLockInfo(dir)).toBeUndefined();
    // The old holder's release must not remove a lock someone else took since.
    const next = await acquireLock(dir, { operation: 'apply' });
    held.release();
    expect(readLockInfo(dir)?.ID).toBe(next.info.ID);
    next.release();
    expect(() => forceUnlock(dir, next.info.ID)).toThrow(/not locked/);
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
