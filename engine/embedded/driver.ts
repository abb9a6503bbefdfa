import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../lang/user-error.js';
import type { EngineDriver } from '../driver.js';
import { EngineNotRunningError } from '../engine.js';
import { EmbeddedEngine } from './client.js';
import { engineLayout } from './layout.js';
import { tailLines } from './log-file.js';

// The embedded supervisor as an engine kind: rcform's own, in Node, started detached by init (or
// in the foreground by `rcform supervise`), reached over its socket. It takes no options.

const CLI_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');
const START_TIMEOUT_MS = 15_000;

type NoOptions = Record<string, never>;

export const embeddedDriver: EngineDriver<NoOptions, undefined> = {
  kind: 'embedded',
  summary: 'embedded (Node only, the default)',
  initFlags: [],
  optionsSchema: { type: 'object', additionalProperties: false },
  configure: () => ({ options: {}, start: undefined }),
  reconfigure: () => undefined,
  start: (liveDir) => startDetached(liveDir),
  open: (liveDir) => EmbeddedEngine.connect(liveDir),
  async openStarted(liveDir) {
    await startDetached(liveDir);
    return EmbeddedEngine.connect(liveDir);
  },
  describe(liveDir) {
    const start = `"rcform init --live ${liveDir}"`;
    return {
      name: `the embedded supervisor of ${liveDir}`,
      short: 'embedded supervisor',
      start,
      hint: `start it with ${start} (detached) or "rcform supervise --live ${liveDir}" (in the foreground)`,
    };
  },
  async shutdown(liveDir) {
    let engine: EmbeddedEngine;
    try {
      engine = await EmbeddedEngine.connect(liveDir);
    } catch (err) {
      if (err instanceof EngineNotRunningError) return `No supervisor is running for ${liveDir}.`;
      throw err;
    }
    try {
      await engine.shutdown();
    } catch (err) {
      // It may drop the connection as it exits, before the answer is read.
      if (!(err instanceof EngineNotRunningError)) throw err;
    }
    return `Supervisor for ${liveDir} stopped; every service is down.`;
  },
  async foreground(liveDir, env) {
    // Loaded only here: every command opens engines through this module, one runs a supervisor.
    const { Supervisor } = await import('./supervisor.js');
    return Supervisor.start(liveDir, env);
  },
  log: (liveDir, _options, name) => EmbeddedEngine.logOf(liveDir, name),
};

/** Starts the supervisor detached in its own session, its stdio to its log, unless one answers already. */
async function startDetached(liveDir: string): Promise<void> {
  if (await supervisorAnswers(liveDir)) return;
  const layout = engineLayout(liveDir);
  fs.mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  const out = fs.openSync(layout.supervisorLog, 'a', 0o600);
  // It outlives the command that started it.
  const child = spawn(process.execPath, [CLI_MAIN, 'supervise', '--live', path.resolve(liveDir)], { detached: true, stdio: ['ignore', out, out], env: process.env });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
    if (await supervisorAnswers(liveDir).catch(() => false)) return;
    if (exited !== undefined) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  const tail = tailLines(layout.supervisorLog, 5).join('\n  ');
  throw new EngineStartError(`the supervisor for ${liveDir} did not start${tail ? `:\n  ${tail}` : ''}`);
}

export class EngineStartError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'EngineStartError';
  }
}

/**
 * A supervisor answers a ping on the socket. A connection alone proves nothing: a killed
 * supervisor's listening socket lives on in a child it was starting until that child's exec, and
 * accepts connections nobody will ever answer.
 */
async function supervisorAnswers(liveDir: string): Promise<boolean> {
  let e: EmbeddedEngine;
  try {
    e = await EmbeddedEngine.connect(liveDir);
  } catch (err) {
    if (err instanceof EngineNotRunningError) return false;
    throw err;
  }
  try {
    await e.request({ op: 'ping' });
    return true;
  } catch (err) {
    if (err instanceof EngineNotRunningError) return false;
    throw err;
  } finally {
    await e.close();
  }
}
