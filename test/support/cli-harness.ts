import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Io } from '../../cli/command.js';
import { runCli } from '../../cli/run.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(PROJECT_ROOT, 'dist/cli/main.js');
export const SHARED = path.resolve(PROJECT_ROOT, '../shared');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (fast) with captured streams. */
export async function runInProcess(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  if (opts.stdin !== undefined) stdin.end(opts.stdin);
  else stdin.end();
  const io: Io = { stdout, stderr, stdin, env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? process.cwd(), color: false };
  const code = await runCli(argv, io);
  return { code, stdout: out, stderr: err };
}

/** Runs the built CLI as a real child process, as a user would. */
export function runProcess(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...argv], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The "# address ..." lines of a human plan, sorted: one per drift entry and one per change. */
export const planLines = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => /^\s+# (longrun|oneshot)\./.test(l))
    .map((l) => l.trim())
    .sort();
