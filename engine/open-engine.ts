import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../state/state-types.js';
import type { Engine, ServiceLog } from './engine.js';
import { EmbeddedEngine, SupervisorUnavailableError } from './embedded/client.js';
import { engineLayout } from './embedded/layout.js';
import { tailLines } from './embedded/log-file.js';
import { S6Engine } from './s6/s6-engine.js';
import { UserError } from '../lang/user-error.js';

// The one place that knows which engines exist: everything else talks to an Engine.

const CLI_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const START_TIMEOUT_MS = 15_000;

export class EngineStartError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'EngineStartError';
  }
}

export interface StartEngineOptions {
  /** s6 only: -c of the s6-svscan rcform starts (engine/s6/capacity.ts). */
  maxServices?: number;
}

/** Makes sure the live directory's engine is running (starting the embedded supervisor detached if needed). Idempotent. */
export async function startEngine(liveDir: string, config: EngineConfig, opts: StartEngineOptions = {}): Promise<void> {
  switch (config.kind) {
    case 'embedded': {
      if (await supervisorAnswers(liveDir)) return;
      const layout = engineLayout(liveDir);
      fs.mkdirSync(layout.root, { recursive: true, mode: 0o700 });
      const out = fs.openSync(layout.supervisorLog, 'a', 0o600);
      // Detached in its own session, stdio to its log: it outlives the command that started it.
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
    case 's6': {
      // Uses the s6-svscan on config.scandir, or starts one for the live directory (engine/s6/).
      const e = await S6Engine.start(liveDir, config, opts.maxServices !== undefined ? { maxServices: opts.maxServices } : {});
      await e.close();
      return;
    }
    default:
      throw new EngineStartError(`the ${config.kind} engine is not available in this build`);
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
    if (err instanceof SupervisorUnavailableError) return false;
    throw err;
  }
  try {
    await e.request({ op: 'ping' });
    return true;
  } catch (err) {
    if (err instanceof SupervisorUnavailableError) return false;
    throw err;
  } finally {
    await e.close();
  }
}

export interface OpenEngineOptions {
  /**
   * Start the engine first when it is not running (default false: plan and status must not start
   * a daemon as a side effect; apply passes true, or calls startEngine itself).
   */
  autostart?: boolean;
}

/** Whether the live directory's engine runs, without starting it. */
export async function engineRunning(liveDir: string, config: EngineConfig): Promise<boolean> {
  try {
    const e = await openEngine(liveDir, config, { autostart: false });
    await e.close();
    return true;
  } catch (err) {
    if (err instanceof SupervisorUnavailableError) return false;
    throw err;
  }
}

/**
 * The process that must run for the engine to supervise anything, as an operator knows it
 * ("the embedded supervisor of /run/rcform"), and how to start it again.
 */
export function engineProcessOf(liveDir: string, config: EngineConfig): { name: string; short: string; start: string } {
  const init = `"rcform init --live ${liveDir}"`;
  switch (config.kind) {
    case 'embedded':
      return { name: `the embedded supervisor of ${liveDir}`, short: 'embedded supervisor', start: init };
    case 's6':
      // A scan directory of the operator's own is theirs to start; rcform only starts its own.
      return config.scandir
        ? { name: `the s6-svscan on ${config.scandir} (the s6 engine of ${liveDir})`, short: `s6-svscan on ${config.scandir}`, start: `"s6-svscan ${config.scandir}"` }
        : { name: `the s6-svscan of ${liveDir} (the s6 engine)`, short: 's6-svscan', start: init };
    default:
      return { name: `the ${String(config.kind)} engine of ${liveDir}`, short: `${String(config.kind)} engine`, start: init };
  }
}

/**
 * The hint after "not running": how engineProcessOf says to start it, and for the embedded
 * supervisor also in the foreground (`rcform supervise` refuses an s6 live directory).
 */
export function engineStartHint(liveDir: string, config: EngineConfig): string {
  const { start } = engineProcessOf(liveDir, config);
  if (config.kind === 'embedded') return `start it with ${start} (detached) or "rcform supervise --live ${liveDir}" (in the foreground)`;
  return `start it with ${start}`;
}

/** Connects to the live directory's engine; rejects with SupervisorUnavailableError when it is not running. */
export async function openEngine(liveDir: string, config: EngineConfig, opts: OpenEngineOptions = {}): Promise<Engine> {
  switch (config.kind) {
    case 'embedded':
      if (opts.autostart === true) await startEngine(liveDir, config);
      return EmbeddedEngine.connect(liveDir);
    case 's6': {
      if (opts.autostart === true) return S6Engine.start(liveDir, config);
      const down = S6Engine.unavailable(liveDir);
      if (down) throw new SupervisorUnavailableError(down);
      return S6Engine.open(liveDir, config);
    }
    default:
      throw new EngineStartError(`the ${config.kind} engine is not available in this build`);
  }
}

/**
 * A service's log, as Engine.log gives it, without a running engine: `rcform logs` reads what a
 * stopped supervisor's services wrote.
 */
export function serviceLog(liveDir: string, config: EngineConfig, name: string): ServiceLog {
  switch (config.kind) {
    case 'embedded':
      return EmbeddedEngine.logOf(liveDir, name);
    case 's6':
      return S6Engine.logOf(liveDir, name);
    default:
      throw new EngineStartError(`the ${config.kind} engine is not available in this build`);
  }
}
