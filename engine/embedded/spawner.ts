import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

// The supervisor's side of rcform-spawner (spawner.c): services are started by that small helper
// with vfork, not by Node's spawn(), which forks the whole supervisor with the event loop blocked
// throughout (docs/engine.md#spawning, and the figures in docs/benchmarks.md).
// Requests and replies are pipelined; a supervisor keeps a few helpers (one per core), so that
// a layer of starts has several vforks and execs under way at once.

/** How a descriptor of the new process is opened: by the helper, from a path, or a notification pipe. */
export type StdioSlot = { kind: 'r' | 'a' | 'w' | 'l'; path: string } | { kind: 'n' };

export interface LaunchSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Index = descriptor number in the new process; a hole is a closed descriptor. 0–2 are required. */
  stdio: (StdioSlot | undefined)[];
  /** The account it runs as (resolved ids of its `user` and `group`); the launcher's own when unset. */
  uid?: number;
  gid?: number;
  /**
   * The launch record: a file the new process writes its pid into (launch-record.ts) before it
   * execs, so that it is on disk before the program runs, even if the launcher dies meanwhile.
   */
  record?: string;
}

/** What becomes of a launch. `spawned` or `failed` comes first; then `ready` (if ever) before `exited`. */
export interface LaunchHandlers {
  spawned(pid: number): void;
  failed(message: string): void;
  ready(): void;
  exited(code: number | null, signal: NodeJS.Signals | null): void;
  /** The helper died while the process ran: it runs on, nobody's child, and no exit will be reported. */
  orphaned(): void;
}

/** What starts the supervisor's services: a spawner helper, or Node itself. */
export interface Launcher {
  readonly alive: boolean;
  launch(spec: LaunchSpec, handlers: LaunchHandlers): void;
  /** Launches answered; their whole cost to the supervisor; of that, the kernel's vfork and exec. */
  readonly stats: { count: number; ms: number; execMs: number };
}

/** How many helpers a supervisor keeps: RCFORM_SPAWNERS, else one per core, at most four. */
export function spawnerCount(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['RCFORM_SPAWNERS']);
  if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
  return Math.min(4, Math.max(1, os.availableParallelism()));
}

/** Where the build puts the helper (scripts: npm run build); undefined when it was not built. */
export function spawnerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // RCFORM_SPAWNER=node keeps Node's spawn(): for comparison in benchmarks, and a way out.
  if (env['RCFORM_SPAWNER'] === 'node') return undefined;
  const file = fileURLToPath(new URL('./rcform-spawner', import.meta.url));
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

const errnoNames = new Map(Object.entries(os.constants.errno as Record<string, number>).map(([k, v]) => [v, k]));
const signalNames = new Map(Object.entries(os.constants.signals as Record<string, number>).map(([k, v]) => [v, k as NodeJS.Signals]));

// What the helper takes and reports, in one form.

/**
 * A launch as the C side takes it, C strings all: argv (the file first), the environment as
 * NAME=VALUE, and the descriptors as flat [fd, kind, path] triples. Undefined when any of them
 * holds a NUL byte, which no C string can.
 */
function launchStrings(spec: LaunchSpec): { argv: string[]; env: string[]; slots: string[] } | undefined {
  const argv = [spec.file, ...spec.args];
  const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  const slots: string[] = [];
  spec.stdio.forEach((s, fd) => {
    if (s) slots.push(String(fd), s.kind, s.kind === 'n' ? '' : s.path);
  });
  if (spec.record !== undefined) slots.push('-1', 'p', spec.record);
  if ([spec.cwd, ...argv, ...env, ...slots].some((f) => f.includes('\0'))) return undefined;
  return { argv, env, slots };
}

/**
 * The strings of a launch a launcher is asked for, or undefined once its handlers are told why it
 * cannot be made: the launcher is closed (`closed` says how), or a string holds a NUL byte.
 */
export function acceptedLaunch(spec: LaunchSpec, handlers: LaunchHandlers, closed: string | undefined): ReturnType<typeof launchStrings> {
  if (closed !== undefined) {
    handlers.failed(closed);
    return undefined;
  }
  const c = launchStrings(spec);
  if (!c) handlers.failed(nulByteMessage(spec.file));
  return c;
}

/** A uid or gid as the helper reads it: decimal, or empty for its own. */
const idField = (id: number | undefined): string => (id === undefined ? '' : String(id));

const nulByteMessage = (file: string): string => `cannot run ${file}: an argument or environment value contains a NUL byte`;

/** A launch that failed at step `what` (open, pipe, dup, chdir, exec, fork...) with errno `errno`. */
export function launchFailure(file: string, errno: number, what: string): string {
  const code = errnoNames.get(errno) ?? `errno ${errno}`;
  if (what === 'lock' && errno === os.constants.errno.EWOULDBLOCK) return `cannot run ${file}: the service's lock (lock_fd) is still held by a process of an earlier instance, which outlived it`;
  return what === 'exec' ? `cannot run ${file}: ${code}` : `cannot run ${file}: ${what} failed: ${code}`;
}

/** A death as the C side reports it: an exit code, or -1 and the number of the killing signal. */
export function reportExit(h: LaunchHandlers | undefined, code: number, signal: number): void {
  h?.exited(code < 0 ? null : code, code < 0 ? (signalNames.get(signal) ?? 'SIGKILL') : null);
}

interface Pending {
  handlers: LaunchHandlers;
  file: string;
  t0: number;
}

export class Spawner implements Launcher {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly byPid = new Map<number, LaunchHandlers>();
  private buf = '';
  private gone = false;
  private closing = false;
  /**
   * Launches answered; the time from request to pid (the whole cost of a spawn to the
   * supervisor); and of that, the vfork and exec as the helper timed them (the kernel's share).
   */
  readonly stats = { count: 0, ms: 0, execMs: 0 };

  /**
   * Starts the helper. If it dies while in use, every process it still watched is told it is
   * orphaned, every launch not yet answered that it failed, then `onDeath`.
   */
  constructor(binary: string, private readonly onDeath: () => void, guardFd?: number) {
    // Its own session: a Ctrl-C in the terminal of a foreground `rcform supervise` is the
    // supervisor's to handle (a clean stop), and must not kill the helper under it. It holds the
    // supervisor's launch guard (launch-guard.ts) at descriptor 3 for as long as it lives.
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit', ...(guardFd !== undefined ? [guardFd] : [])], detached: true });
    this.child.stdin?.on('error', () => {});
    this.child.stdout?.setEncoding('latin1');
    this.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    this.child.on('error', () => this.died());
    this.child.on('exit', () => this.died());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** Launches asked for and not yet answered: the supervisor sends the next one to the least busy helper. */
  get inFlight(): number {
    return this.pending.size;
  }

  launch(spec: LaunchSpec, handlers: LaunchHandlers): void {
    const c = acceptedLaunch(spec, handlers, this.gone ? 'the spawner is gone' : undefined);
    if (!c) return;
    const id = this.nextId++;
    const fields = [String(id), spec.cwd, idField(spec.uid), idField(spec.gid), spec.file, String(c.argv.length), ...c.argv, String(c.env.length), ...c.env, String(c.slots.length / 3), ...c.slots];
    this.pending.set(id, { handlers, file: spec.file, t0: performance.now() });
    this.child.stdin?.write(fields.join('\0') + '\0');
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.onLine(line.split(' '));
    }
  }

  private onLine(f: string[]): void {
    switch (f[0]) {
      case 'P': {
        const p = this.take(Number(f[1]));
        if (!p) return;
        const pid = Number(f[2]);
        this.stats.execMs += Number(f[3]) / 1000;
        this.byPid.set(pid, p.handlers);
        p.handlers.spawned(pid);
        return;
      }
      case 'E': {
        const p = this.take(Number(f[1]));
        if (!p) return;
        p.handlers.failed(launchFailure(p.file, Number(f[2]), f[3] as string));
        return;
      }
      case 'R':
        this.byPid.get(Number(f[1]))?.ready();
        return;
      case 'X': {
        const pid = Number(f[1]);
        const h = this.byPid.get(pid);
        this.byPid.delete(pid);
        reportExit(h, Number(f[2]), Number(f[3]));
        return;
      }
    }
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.stats.count++;
    this.stats.ms += performance.now() - p.t0;
    return p;
  }

  private died(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.closing) return;
    const orphans = [...this.byPid.values()];
    const launches = [...this.pending.values()].map((p) => p.handlers);
    this.byPid.clear();
    this.pending.clear();
    this.onDeath();
    for (const h of orphans) h.orphaned();
    for (const h of launches) h.failed('the spawner died before it answered');
  }

  /** Ends the helper (its input closes); services it started keep running. */
  close(): Promise<void> {
    this.closing = true;
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin?.end();
    });
  }
}
