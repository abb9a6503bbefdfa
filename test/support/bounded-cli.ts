import { spawnSync } from 'node:child_process';
import { CLI, PROJECT_ROOT } from './cli-harness.js';

// The CLI as a CI job runs it on someone else's input: a real process with a bounded heap and a
// deadline, so a test of hostile input fails (out of memory, timed out) instead of taking the
// machine with it.

export interface BoundedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export function runBounded(argv: string[], opts: { cwd?: string; input?: string; heapMb?: number; timeoutMs?: number } = {}): BoundedResult {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${opts.heapMb ?? 512}`, CLI, ...argv], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: '1', RCFORM_DEBUG: '1' },
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 90_000,
    killSignal: 'SIGKILL',
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** One line saying how a run ended, for assertion messages. */
export function ending(r: BoundedResult): string {
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.code}: ${r.stderr.slice(0, 400)}`;
}
