import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { EngineError } from '../engine.js';
import { fifoHasReader } from './scanner.js';
import { runTool } from './s6-tools.js';
import { SVSTATUS_SIZE } from './s6-status.js';

// s6-supervise's interface is files: commands are bytes written to supervise/control, and every
// change of state is one byte written to each listener's FIFO in the event/ fifodir. `s6-svc -wU`
// is that and nothing more, in three processes (s6-svc, s6-svlisten1, s6-ftrigrd) forked from the
// applying process; the engine does the same in-process, with the same order that makes it
// race-free: subscribe first, then send the command, then read the status file, then events.

/** What a transition waits for, as s6-svc's -wu, -wU, -wd and -wD do. */
export type Goal = 'up' | 'ready' | 'down' | 'finished';

export type Outcome = 'reached' | 'timeout' | 'permanent-failure' | 'supervisor-exited';

interface State {
  up: boolean;
  ready: boolean;
  finishing: boolean;
}

function reached(goal: Goal, s: State): boolean {
  switch (goal) {
    case 'up':
      return s.up;
    case 'ready':
      return s.up && s.ready;
    case 'down':
      return !s.up;
    case 'finished':
      return !s.up && !s.finishing;
  }
}

/**
 * The part of supervise/status a wait needs, or null when it is not s6 2.11's layout. s6-supervise
 * opens supervise/control before it first writes the status file: a supervisor listening with no
 * status yet has never run the service, which is down.
 */
function readState(dir: string): State | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(dir, 'supervise', 'status'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && fifoHasReader(path.join(dir, 'supervise', 'control')) ? { up: false, ready: false, finishing: false } : null;
  }
  if (buf.length !== SVSTATUS_SIZE) return null;
  const pid = buf.readBigUInt64BE(24);
  const flags = buf[34] as number;
  const finishing = (flags & 2) !== 0;
  const up = pid !== 0n && !finishing;
  return { up, ready: up && (flags & 8) !== 0, finishing };
}

/** Applies one event byte (s6-supervise(8): s start, u up, U ready, d died, D down and finish done, O permanent failure, x exiting). */
function apply(s: State, ev: string): State {
  switch (ev) {
    case 'u':
      return { up: true, ready: false, finishing: false };
    case 'U':
      return { up: true, ready: true, finishing: false };
    case 'd':
      return { up: false, ready: false, finishing: true };
    case 'D':
      return { up: false, ready: false, finishing: false };
    default:
      return s;
  }
}

interface Addon {
  mkfifo(file: string, mode: number): number;
}

let addon: Addon | null | undefined;

/** mkfifo(2) through rcform-s6.node (engine/s6/fifo.c), or the mkfifo program where it was not built. */
function makeFifo(file: string): void {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('./rcform-s6.node') as Addon;
    } catch {
      addon = null;
    }
  }
  if (addon) {
    const err = addon.mkfifo(file, 0o600);
    if (err !== 0) throw Object.assign(new Error(`mkfifo ${file}: errno ${err}`), { errno: err });
    return;
  }
  const r = spawnSync('mkfifo', ['-m', '0600', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo ${file}: ${r.error?.message ?? r.stderr.trim()}`);
}

/** A listener's FIFO in a fifodir, named as s6's own listeners name theirs ("ftrig1:@" and 31 characters), which is what s6-supervise writes to. */
class Subscription {
  private events = '';
  private wake: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly fifo: string,
    private readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.events += chunk.toString('latin1');
      this.wake?.();
    });
    // A read error ends the subscription; the wait then ends on its deadline.
    socket.on('error', () => undefined);
  }

  static open(fifodir: string): Subscription {
    const id = randomBytes(16).toString('hex').slice(0, 31);
    const fifo = path.join(fifodir, `ftrig1:@${id}`);
    // Made and opened under a name s6-supervise does not write to, then renamed into place: a
    // listener's FIFO without a reader is one s6-supervise removes when it next notifies, and it
    // may notify between a mkfifo and the open.
    const making = path.join(fifodir, `rcform:@${id}`);
    makeFifo(making);
    let fd: number;
    try {
      // Read and write: the open does not wait for a writer, and no writer closing ends the stream.
      fd = fs.openSync(making, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      fs.renameSync(making, fifo);
    } catch (err) {
      fs.rmSync(making, { force: true });
      throw err;
    }
    return new Subscription(fifo, new net.Socket({ fd, readable: true, writable: false }));
  }

  /** Events received since the last call. */
  take(): string {
    const e = this.events;
    this.events = '';
    return e;
  }

  /** Resolves on the next event, or at once if some are waiting. */
  next(): Promise<void> {
    if (this.events) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  interrupt(): void {
    this.wake?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    fs.rmSync(this.fifo, { force: true });
  }
}

/** Writes to a control FIFO, as s6-svc and s6-svscanctl do; false when no process reads it. */
function writeFifo(fifo: string, bytes: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    fs.writeSync(fd, bytes);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Writes commands to a service's supervise/control. When no s6-supervise reads it, s6-svc itself
 * is run with the same command, so that the error is s6's own ("supervisor not listening").
 */
export async function sendControl(service: string, dir: string, commands: string): Promise<void> {
  if (!writeFifo(path.join(dir, 'supervise', 'control'), commands)) await runTool(service, 's6-svc', [`-${commands}`, dir]);
}

/** Commands to s6-svscan (`a` rescan, `an` rescan and drop supervisors of removed entries), as s6-svscanctl sends them. */
export async function svscanControl(scandir: string, commands: string): Promise<void> {
  if (!writeFifo(path.join(scandir, '.s6-svscan', 'control'), commands)) await runTool(undefined, 's6-svscanctl', [`-${commands}`, scandir]);
}

/**
 * `s6-svc -w<goal> -T timeoutMs -<command> dir`, in-process (a timeout of 0 waits for ever, as
 * -T 0 does). Resolves with how the wait ended; an abort (Ctrl-C) rejects, naming the service.
 */
export async function transition(service: string, dir: string, command: string, goal: Goal, timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
  if (readState(dir) === null) {
    // No supervisor (sendControl fails with s6-svc's message), or another s6's status layout,
    // which s6-svc's waiting half (s6-svwait) knows how to read.
    await sendControl(service, dir, command);
    const flag = { up: 'u', ready: 'U', down: 'd', finished: 'D' }[goal];
    const res = await runTool(service, 's6-svc', [`-w${flag}`, '-T', String(timeoutMs), dir], { okCodes: [1, 99, 111], ...(signal ? { signal } : {}) });
    return res.code === 0 ? 'reached' : res.code === 1 ? 'permanent-failure' : 'timeout';
  }
  const sub = Subscription.open(path.join(dir, 'event'));
  try {
    await sendControl(service, dir, command);
    let state = readState(dir) ?? { up: false, ready: false, finishing: false };
    // The timer itself says when the time is up: it may fire a little before Date.now() reaches
    // the same instant (timers keep their own clock), and a wait that then slept again would never end.
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            sub.interrupt();
          }, timeoutMs)
        : undefined;
    const onAbort = (): void => sub.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      if (reached(goal, state)) return 'reached';
      for (;;) {
        // One event at a time, as s6-svlisten1 reads them: a service that came up and died at once
        // was up, whatever followed in the same read.
        for (const ev of sub.take()) {
          if (ev === 'x') return 'supervisor-exited';
          if (ev === 'O' && (goal === 'up' || goal === 'ready')) return 'permanent-failure';
          state = apply(state, ev);
          if (reached(goal, state)) return 'reached';
        }
        if (signal?.aborted) throw new EngineError(service, 'interrupted');
        if (timedOut) return 'timeout';
        await sub.next();
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    sub.close();
  }
}

