import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { CompiledOneshot } from '../lang/compile/compiled-db.js';
import { AccountError, checkAccount } from './accounts.js';
import { servicePathProblems } from './safe-names.js';
import { DEFAULT_PATH, EngineError } from './engine.js';
import { openLogFd } from './embedded/log-file.js';
import { groupGone, procInfo, signalGroup } from './embedded/proc.js';

// A oneshot's process, on the supervised side: the embedded supervisor and the s6 engine's
// oneshot runner (engine/s6/oneshot-runner.ts) call this when asked over their socket, as
// s6-rc's s6rc-oneshot-runner runs s6-rc-oneshot-run under s6-sudod. Up or down, with a clean
// environment plus the definition's `env`, in their own process group so a timeout kills
// everything they started. The operator's answer to `input` reaches the process through its
// stdin only: never argv, environment or the log.

export interface OneshotOptions {
  /** Where stdout and stderr are appended. */
  logFile: string;
  /**
   * A logger that stdout and stderr go through instead, reading them on its stdin for the run (s6:
   * `s6-log ... t DIR`, so each line carries its TAI64N stamp like a longrun's; logFile is then the
   * `current` it writes).
   */
  logger?: string[];
  /** Milliseconds; 0 = no limit. */
  timeoutMs: number;
  /** The operator's answer, for a definition with `input`. */
  input?: string | Buffer;
  signal?: AbortSignal;
  /** Told the pid (its process group's id) and its start time as soon as it runs: the journal keeps them for a crash. */
  onSpawned?(pid: number, starttime?: number): void;
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
  // Its name makes its log's path, its env keys its environment: checked whatever produced them.
  const unsafe = servicePathProblems(svc);
  if (unsafe.length > 0) throw new EngineError(String(svc.name), `refused before anything was run: ${unsafe.join('; ')}`);
  if (svc.input && direction === 'up' && opts.input === undefined) throw new EngineError(svc.name, `needs input ("${svc.input.prompt}") and none was given`);
  let account;
  try {
    account = checkAccount(svc.user, svc.group);
  } catch (err) {
    throw err instanceof AccountError ? new EngineError(svc.name, err.message) : err;
  }
  let scriptFd: number | undefined;
  let argv: string[];
  if ('argv' in command) argv = command.argv;
  else {
    scriptFd = unnamedScript(command.script, account);
    argv = [`/proc/self/fd/${SCRIPT_FD}`];
  }
  const logger = opts.logger !== undefined ? startLogger(opts.logger) : undefined;
  const logFd = logger ? undefined : openLogFd(opts.logFile);
  const out = logger ? logger.input : (logFd as number);
  const feedsInput = direction === 'up' && opts.input !== undefined;
  let runPid: number | undefined;
  try {
    const result = new Promise<OneshotResult>((resolve, reject) => {
      const [file, ...args] = argv;
      const child = spawn(file as string, args, {
        env: { PATH: DEFAULT_PATH, ...svc.env },
        stdio: [feedsInput ? 'pipe' : 'ignore', out, out, ...(scriptFd !== undefined ? [scriptFd] : [])],
        detached: true,
        ...(account.uid !== undefined ? { uid: account.uid } : {}),
        ...(account.gid !== undefined ? { gid: account.gid } : {}),
      });
      runPid = child.pid;
      if (child.pid !== undefined) opts.onSpawned?.(child.pid, procInfo(child.pid)?.starttime);
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
        reject(new EngineError(svc.name, `cannot run ${direction} (${scriptFd !== undefined ? 'its script' : file}): ${err.message}`));
      });
      if (feedsInput && child.stdin) {
        child.stdin.on('error', () => {}); // it may exit without reading
        child.stdin.end(opts.input);
      }
      child.on('exit', (code, signal) => {
        cleanup();
        const durationMs = Date.now() - started;
        if (why) reject(new EngineError(svc.name, why));
        else if (code === 0) resolve({ code, durationMs });
        else reject(new EngineError(svc.name, `${direction} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`));
      });
    });
    // Whatever the outcome, its output is in the log before the step ends (apply's failure summary reads it).
    await result.catch(() => undefined);
    // Whatever it left behind in its group goes with it, and is gone before the run is answered.
    if (runPid !== undefined && signalGroup(runPid, 'SIGKILL')) await groupGone(runPid);
    if (logger) await logger.done();
    return await result;
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd);
    if (scriptFd !== undefined) fs.closeSync(scriptFd);
  }
}

/** The logger of one run. It ends at end of file: once the oneshot's group is gone. */
function startLogger(argv: string[]): { input: Writable; done(): Promise<void> } {
  const [file, ...args] = argv;
  const child = spawn(file as string, args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  child.on('error', () => undefined);
  const input = child.stdin as Writable;
  input.on('error', () => undefined);
  return {
    input,
    done: async () => {
      input.destroy();
      await exited;
    },
  };
}

/** The descriptor the oneshot's script is on in its process, executed through /proc/self/fd. */
const SCRIPT_FD = 3;
/** Linux's O_TMPFILE (with O_DIRECTORY, as open(2) requires); Node does not export it. */
const O_TMPFILE = 0o20200000;

/**
 * The script as a file with no name, open read-only: a script can hold sensitive values, and an
 * apply killed while it runs must leave no copy behind (docs/security.md). O_TMPFILE where the
 * file system has it; else a file in a fresh owner-only directory, both removed before the
 * script starts. Read-only, since a file open for writing cannot be executed (ETXTBSY).
 */
function unnamedScript(script: string, account: { uid?: number; gid?: number }): number {
  let fd: number;
  let dir: string | undefined;
  try {
    fd = fs.openSync(os.tmpdir(), O_TMPFILE | fs.constants.O_RDWR, 0o700);
  } catch {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-oneshot-'));
    fd = fs.openSync(path.join(dir, 'script'), 'wx+', 0o700);
  }
  try {
    fs.writeFileSync(fd, script);
    fs.fchmodSync(fd, 0o700);
    // The service's account reads the file when it runs it: its owner, as with the service directories.
    if (account.uid !== undefined) fs.fchownSync(fd, account.uid, account.gid ?? -1);
    return fs.openSync(`/proc/self/fd/${fd}`, 'r');
  } finally {
    fs.closeSync(fd);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
