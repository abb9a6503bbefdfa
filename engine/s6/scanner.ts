import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../engine.js';
import { MIN_SIZED_MAX_SERVICES, stackKbFor } from './capacity.js';
import { runTool } from './s6-tools.js';

// The s6-svscan behind an s6 engine: either the operator's (already running on a scan directory,
// typically as PID 1) or one that rcform starts for the live directory and can stop again.


/** True when a process reads the FIFO: the way s6-svok tells a live supervisor from a stale directory. */
export function fifoHasReader(fifo: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return false;
  }
  fs.closeSync(fd);
  return true;
}

export function scannerRunning(scandir: string): boolean {
  return fifoHasReader(path.join(scandir, '.s6-svscan', 'control'));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` with a growing interval (5 ms to 100 ms) until it holds or `timeoutMs` passes. */
export async function pollUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
}

export interface StartedScanner {
  scandir: string;
  pid: number;
}

/**
 * Starts s6-svscan on `scandir`, detached from the caller (its own session, stdio to `logFile`) so
 * that it outlives `rcform init`. The file descriptor limit is raised to the hard limit first: s6-svscan
 * holds two descriptors per logged service; and the stack limit when -c needs more than the usual
 * 8 MB (about 100 bytes per slot, so only past some 40,000). The environment is PATH only, which
 * services inherit. `maxServices` is -c: see capacity.ts for how it is sized.
 */
export async function startScanner(scandir: string, logFile: string, maxServices = MIN_SIZED_MAX_SERVICES): Promise<StartedScanner> {
  fs.mkdirSync(scandir, { recursive: true, mode: 0o755 });
  const log = fs.openSync(logFile, 'a', 0o600);
  let child;
  try {
    const script = [
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null',
      's=$(ulimit -s); [ "$s" = unlimited ] || [ "$s" -ge "$3" ] || ulimit -s "$3" 2>/dev/null',
      'exec s6-svscan -c "$1" -- "$2"',
    ].join('; ');
    child = spawn('/bin/sh', ['-c', script, 'sh', String(maxServices), scandir, String(stackKbFor(maxServices))], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
  } finally {
    fs.closeSync(log);
  }
  const pid = child.pid;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 128));
  child.on('error', () => (exited = 127));
  child.unref();
  const up = await pollUntil(() => exited !== null || scannerRunning(scandir), 15000);
  if (!up || exited !== null || pid === undefined) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('; ') : '';
    throw new EngineError(undefined, `s6-svscan did not start on ${scandir}${tail ? `: ${tail}` : exited === 127 ? ': is s6 installed (apt-get install s6)?' : ''}`);
  }
  return { scandir, pid };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops an s6-svscan and its supervision tree: `s6-svscanctl -t` makes every s6-supervise bring its
 * service down (down-signal, then SIGKILL after timeout-kill) and exit, loggers last, then s6-svscan
 * exits. Callers bring stubborn services down first (see S6Engine.shutdown) because a service with
 * no timeout-kill that ignores its down-signal would keep its supervisor, and so s6-svscan, alive.
 */
export async function stopScanner(scandir: string, pid: number | undefined, timeoutMs = 30000): Promise<void> {
  if (!scannerRunning(scandir)) return;
  await runTool(undefined, 's6-svscanctl', ['-t', scandir], { okCodes: [100] });
  const gone = await pollUntil(() => (pid !== undefined ? !alive(pid) : !scannerRunning(scandir)), timeoutMs);
  if (!gone) throw new EngineError(undefined, `s6-svscan on ${scandir} did not exit within ${timeoutMs} ms`);
}
