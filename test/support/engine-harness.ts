import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledLongrun, CompiledOneshot } from '../../lang/compile/compiled-db.js';
import { groupMembers, procInfo } from '../../engine/embedded/proc.js';
import type { ServiceStatus } from '../../engine/engine.js';
import { buildDb, type ServiceSpec } from './compiled-fixture.js';

// Shared by the engine tests: definitions from the compiled fixture, polling, and a census of
// real processes so a test can say "exactly one" and "none left".

export function longrun(name: string, spec: Partial<CompiledLongrun> & { deps?: string[] } = {}, others: Record<string, ServiceSpec> = {}): CompiledLongrun {
  const db = buildDb({ ...others, [name]: { type: 'longrun', timeouts: { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 5000 }, ...spec } as ServiceSpec });
  return db.services[name] as CompiledLongrun;
}

export function oneshot(name: string, spec: Partial<CompiledOneshot> = {}): CompiledOneshot {
  return buildDb({ [name]: { type: 'oneshot', ...spec } as ServiceSpec }).services[name] as CompiledOneshot;
}

export function tempLive(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Some thread of the process still runs. A SIGKILLed Node process shows its main thread as a
 * zombie while its worker threads are still exiting, and those threads keep the shared file
 * table (a listening socket among it) open: "the leader is a zombie" is not yet "dead".
 */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => {
    const info = procInfo(Number(tid));
    return info !== undefined && info.state !== 'Z' && info.state !== 'X';
  });
}

/**
 * Live processes whose command line contains `marker` and whose working directory is under
 * `under` (a test's live directory: other worktrees run the same tests on this machine).
 */
export function processesWith(marker: string, under: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (!cmd.includes(marker) || !alive(Number(e))) continue;
    let cwd = '';
    try {
      cwd = fs.readlinkSync(`/proc/${e}/cwd`);
    } catch {
      continue;
    }
    if (cwd === under || cwd.startsWith(under + '/')) out.push(Number(e));
  }
  return out;
}

/** Last resort at the end of a test: nothing it started may survive. */
export function killGroups(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (groupMembers(pid).length > 0) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** The embedded supervisor's pid, from its pid file in the live directory. */
export function supervisorPid(live: string): number {
  return Number(fs.readFileSync(path.join(live, 'engine/supervisor.pid'), 'utf8').split(' ')[0]);
}

/** A service's status from the engine, its pid remembered in `seen` for teardown. */
export async function statusSeen(engine: { status(): Promise<Record<string, ServiceStatus>> }, name: string, seen: Set<number>): Promise<ServiceStatus> {
  const st = (await engine.status())[name];
  if (!st) throw new Error(`${name} not in status`);
  if (st.pid !== undefined) seen.add(st.pid);
  return st;
}

/** The service up again under a new pid (restarted after `oldPid` died), as `status` reports it. */
export function upAgain(status: (name: string) => Promise<ServiceStatus>, name: string, oldPid: number | undefined): Promise<ServiceStatus> {
  return waitFor(`${name} up again after ${String(oldPid)}`, async () => {
    const st = await status(name);
    return st.pid !== undefined && st.pid !== oldPid && st.state === 'up' ? st : undefined;
  });
}

/**
 * After an embedded-supervisor test: shut the supervisor down (or SIGKILL it when that fails),
 * kill every process group the test saw, and remove the live directory, so nothing is left.
 */
export async function endEmbedded(live: string, engine: { shutdown(): Promise<void> } | undefined, seen: Set<number>): Promise<void> {
  await engine?.shutdown().catch(() => undefined);
  try {
    const pid = supervisorPid(live);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    // no pid file: it exited cleanly
  }
  killGroups(seen);
  seen.clear();
  fs.rmSync(live, { recursive: true, force: true });
}
