import { spawn } from 'node:child_process';
import { EngineError } from '../engine.js';

// Every s6 program is run through here so that a failure always reaches the user as an
// EngineError naming the service and carrying the tool's own message (s6 tools print
// "prog: fatal: reason" on stderr), never as a bare exit code.

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  signal?: AbortSignal;
  /** Exit codes that are not failures for this call (0 always is). */
  okCodes?: number[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs an s6 tool; rejects with EngineError(service, "<tool> failed: <message>") on failure, with
 * no service when the tool acts on the engine itself (s6-svscanctl).
 */
export function runTool(service: string | undefined, tool: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, signal: opts.signal, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    } catch (e) {
      reject(new EngineError(service, `cannot run ${tool}: ${(e as Error).message}`));
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(new EngineError(service, `${tool} interrupted`));
      else if (e.code === 'ENOENT') reject(new EngineError(service, `${tool} not found: is s6 installed (apt-get install s6)?`));
      else reject(new EngineError(service, `cannot run ${tool}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      const c = code ?? 128;
      if (c === 0 || opts.okCodes?.includes(c)) {
        resolve({ code: c, stdout, stderr });
        return;
      }
      if (opts.signal?.aborted) {
        reject(new EngineError(service, `${tool} interrupted`));
        return;
      }
      reject(new EngineError(service, toolMessage(tool, c, sig, stderr)));
    });
  });
}

export function toolMessage(tool: string, code: number, sig: NodeJS.Signals | null, stderr: string): string {
  const text = stderr.trim().split('\n').filter(Boolean).join('; ');
  const how = sig ? `killed by ${sig}` : `exit ${code}`;
  return text ? `${tool} failed (${how}): ${text}` : `${tool} failed (${how})`;
}

// s6-svc (2.11) can only send these signals; each has its own flag.
const SVC_SIGNAL_FLAGS: Record<string, string> = {
  SIGALRM: 'a',
  SIGABRT: 'b',
  SIGQUIT: 'q',
  SIGHUP: 'h',
  SIGKILL: 'k',
  SIGTERM: 't',
  SIGINT: 'i',
  SIGUSR1: '1',
  SIGUSR2: '2',
  SIGSTOP: 'p',
  SIGCONT: 'c',
  SIGWINCH: 'y',
};

/** The s6-svc flag that sends `signal` (a name like SIGHUP or HUP), or undefined if s6-svc cannot send it. */
export function svcSignalFlag(signal: string): string | undefined {
  const up = signal.toUpperCase();
  return SVC_SIGNAL_FLAGS[up.startsWith('SIG') ? up : `SIG${up}`];
}

export const SVC_SIGNALS = Object.keys(SVC_SIGNAL_FLAGS);
