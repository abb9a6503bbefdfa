import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledOneshot } from '../lang/compile/compiled-db.js';
import { AccountError, checkAccount } from './accounts.js';
import { DEFAULT_PATH, EngineError } from './engine.js';
import { openLogFd } from './embedded/log-file.js';
import { signalGroup } from './embedded/proc.js';

// Oneshots run from the applying process, as s6-rc runs them (through its oneshot runner), not
// under the supervisor: up or down, with a clean environment plus the definition's `env`, in
// their own process group so a timeout kills everything they started. The operator's answer to
// `input` reaches the process through its stdin only: never argv, environment or the log.

export interface OneshotOptions {
  /** Where stdout and stderr are appended (serviceLogFile in engine/open-engine.ts). */
  logFile: string;
  /** Milliseconds; 0 = no limit. */
  timeoutMs: number;
  /** The operator's answer, for a definition with `input`. */
  input?: string | Buffer;
  signal?: AbortSignal;
}

export interface OneshotResult {
  code: number;
  durationMs: number;
}

/** Runs the oneshot's `up` or `down`; resolves on exit 0, rejects with EngineError otherwise. A missing `down` is a no-op. */
export async function runOneshot(svc: CompiledOneshot, direction: 'up' | 'down', opts: OneshotOptions): Promise<OneshotResult> {
  const command = direction === 'up' ? svc.up : svc.down;
  const started = Date.now();
  if (!command) return { code: 0, durationMs: 0 };
  if (svc.input && direction === 'up' && opts.input === undefined) throw new EngineError(svc.name, `needs input ("${svc.input.prompt}") and none was given`);
  let account;
  try {
    account = checkAccount(svc.user, svc.group);
  } catch (err) {
    throw err instanceof AccountError ? new EngineError(svc.name, err.message) : err;
  }
  let tmpDir: string | undefined;
  let argv: string[];
  if ('argv' in command) argv = command.argv;
  else {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-oneshot-'));
    const file = path.join(tmpDir, direction);
    fs.writeFileSync(file, command.script, { mode: 0o700 });
    if (account.uid !== undefined) fs.chownSync(tmpDir, account.uid, account.gid ?? -1), fs.chownSync(file, account.uid, account.gid ?? -1);
    argv = [file];
  }
  const logFd = openLogFd(opts.logFile);
  const feedsInput = direction === 'up' && opts.input !== undefined;
  try {
    return await new Promise<OneshotResult>((resolve, reject) => {
      const [file, ...args] = argv;
      const child = spawn(file as string, args, {
        env: { PATH: DEFAULT_PATH, ...svc.env },
        stdio: [feedsInput ? 'pipe' : 'ignore', logFd, logFd],
        detached: true,
        ...(account.uid !== undefined ? { uid: account.uid } : {}),
        ...(account.gid !== undefined ? { gid: account.gid } : {}),
      });
      let why: string | undefined;
      const kill = (reason: string): void => {
        why ??= reason;
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      };
      const timer = opts.timeoutMs > 0 ? setTimeout(() => kill(`${direction} timed out after ${opts.timeoutMs} ms; its process group was killed`), opts.timeoutMs) : undefined;
      const onAbort = (): void => kill(`${direction} interrupted`);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (err) => {
        cleanup();
        reject(new EngineError(svc.name, `cannot run ${direction} (${file}): ${err.message}`));
      });
      if (feedsInput && child.stdin) {
        child.stdin.on('error', () => {}); // it may exit without reading
        child.stdin.end(opts.input);
      }
      child.on('exit', (code, signal) => {
        cleanup();
        // Whatever it left behind in its group goes with it.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        const durationMs = Date.now() - started;
        if (why) reject(new EngineError(svc.name, why));
        else if (code === 0) resolve({ code, durationMs });
        else reject(new EngineError(svc.name, `${direction} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`));
      });
    });
  } finally {
    fs.closeSync(logFd);
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
