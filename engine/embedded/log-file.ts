import fs from 'node:fs';
import path from 'node:path';
import { readLogTimes, timesFileOf, writtenBy, type LogClock } from './log-times.js';

// Per-service logs are plain files the service writes to directly (O_APPEND), not through the
// supervisor, so a service keeps logging while the supervisor is down and after it is adopted.
// Rotation is therefore copy-and-truncate: current → current.1 → … → current.KEEP. A line written
// between the copy and the truncation can be lost; that is the price of not sitting in the path.

export interface LogPolicy {
  maxBytes: number;
  keep: number;
}

export function logPolicyFromEnv(env: NodeJS.ProcessEnv): LogPolicy {
  const num = (v: string | undefined, dflt: number): number => {
    const n = Number(v);
    return v !== undefined && v !== '' && Number.isInteger(n) && n > 0 ? n : dflt;
  };
  return { maxBytes: num(env['RCFORM_LOG_MAX_BYTES'], 1024 * 1024), keep: num(env['RCFORM_LOG_KEEP'], 3) };
}

/** Opens (creating) a log file for appending; the caller passes the fd to a child and closes its own copy. */
export function openLogFd(file: string): number {
  const flags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;
  try {
    // The directory exists on every start but the first: try the open alone (one system call
    // on the path of every up transition), and create the directory only when it is missing.
    return fs.openSync(file, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  return fs.openSync(file, flags, 0o600);
}

/**
 * Rotates `file` when it has grown past the policy's size. Returns whether it rotated. `clock`
 * (log-times.ts) is given the size seen, and each generation's times move with it.
 */
export function rotateIfNeeded(file: string, policy: LogPolicy, clock?: LogClock): boolean {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return false;
  }
  clock?.sample(file, size);
  if (size <= policy.maxBytes) return false;
  const move = (from: string, to: string): void => {
    try {
      fs.renameSync(from, to);
    } catch {
      // That generation does not exist yet.
    }
  };
  for (let i = policy.keep - 1; i >= 1; i--) {
    move(`${file}.${i}`, `${file}.${i + 1}`);
    move(timesFileOf(`${file}.${i}`), timesFileOf(`${file}.${i + 1}`));
  }
  fs.copyFileSync(file, `${file}.1`);
  move(timesFileOf(file), timesFileOf(`${file}.1`));
  fs.truncateSync(file, 0);
  clock?.restarted(file);
  return true;
}

/** The files of a log, oldest first: s6-log's archives (@TAI64N.s, named in time order), current.N (higher is older), then `current`. */
export function logGenerations(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = entries
    .filter((e) => e.startsWith(base + '.') && /^\d+$/.test(e.slice(base.length + 1)))
    .map((e) => Number(e.slice(base.length + 1)))
    .sort((a, b) => b - a)
    .map((n) => path.join(dir, `${base}.${n}`));
  const s6 = entries.filter((e) => /^@[0-9a-f]{24}\.[su]$/.test(e)).sort().map((e) => path.join(dir, e));
  return entries.includes(base) ? [...s6, ...rotated, file] : [...s6, ...rotated];
}

/** The last `n` lines across the log's generations; `current` is what `file` holds, when the caller has read it already. */
export function tailLines(file: string, n: number, current?: string): string[] {
  return tailLinesTimed(file, n, current).map((l) => l.line);
}

/**
 * tailLines with, for each line, the time by which it was written when the log keeps a clock
 * (log-times.ts; the embedded engine's logs), else undefined.
 */
export function tailLinesTimed(file: string, n: number, current?: string): Array<{ line: string; at?: string }> {
  const out: Array<{ line: string; at?: string }> = [];
  if (n <= 0) return out;
  const gens = logGenerations(file);
  if (current !== undefined && !gens.includes(file)) gens.push(file);
  for (const gen of gens.reverse()) {
    let text: string;
    try {
      text = gen === file && current !== undefined ? current : fs.readFileSync(gen, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const samples = readLogTimes(gen);
    const parts = text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    const lines: Array<{ line: string; at?: string }> = [];
    let end = 0;
    for (const line of parts) {
      end += Buffer.byteLength(line) + 1;
      const at = samples.length > 0 ? writtenBy(samples, end) : undefined;
      lines.push(at !== undefined ? { line, at } : { line });
    }
    out.unshift(...lines);
    if (out.length >= n) break;
  }
  return out.slice(-n);
}
