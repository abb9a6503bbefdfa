import path from 'node:path';
import type { EngineDriver, ForegroundEngine } from '../../../../engine/driver.js';
import { EmbeddedEngine } from '../../../../engine/embedded/client.js';
import { UserError } from '../../../../lang/user-error.js';

// A third engine kind, for tests only: the proof that an engine is one folder and one
// registerEngineDriver line. It hosts rcform's supervisor inside the process that starts it
// instead of a detached one, so its services live as long as that process (a test) does; it has
// an init flag and options of its own, so they go through the registry, init and state.json too.
// The transitions are the embedded supervisor's: what this proves is the driver seam, not a second
// supervisor.

export type InprocOptions = {
  /** `rcform init --label NAME`: how messages name this supervisor. */
  label?: string;
};

const running = new Map<string, ForegroundEngine>();

async function startHere(liveDir: string): Promise<ForegroundEngine> {
  const key = path.resolve(liveDir);
  const had = running.get(key);
  if (had) return had;
  const { Supervisor } = await import('../../../../engine/embedded/supervisor.js');
  const sup = await Supervisor.start(liveDir, process.env);
  running.set(key, sup);
  void sup.closed.then(() => running.delete(key));
  return sup;
}

export const inprocDriver: EngineDriver<InprocOptions, undefined> = {
  kind: 'inproc',
  summary: 'inproc (tests only)',
  initFlags: [{ name: 'label', valueName: 'NAME', description: 'inproc only: the name messages give its supervisor' }],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { label: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } },
  },
  configure(flags) {
    const label = flags['label'];
    if (label !== undefined && !/^[a-z][a-z0-9-]*$/.test(label)) throw new UserError('usage', `--label takes a lower-case name, not "${label}"`);
    return { options: label !== undefined ? { label } : {}, start: undefined };
  },
  reconfigure: () => undefined,
  async start(liveDir) {
    await startHere(liveDir);
  },
  // Another process may open it too (its socket is the embedded supervisor's): EmbeddedEngine
  // rejects with EngineNotRunningError when nothing answers.
  open: (liveDir) => EmbeddedEngine.connect(liveDir),
  async openStarted(liveDir) {
    await startHere(liveDir);
    return EmbeddedEngine.connect(liveDir);
  },
  describe(liveDir, options) {
    const start = `"rcform init --live ${liveDir}"`;
    return { name: `the in-process supervisor${options.label ? ` ${options.label}` : ''} of ${liveDir}`, short: 'in-process supervisor', start, hint: `start it with ${start}` };
  },
  async shutdown(liveDir) {
    const sup = running.get(path.resolve(liveDir));
    if (!sup) return `No in-process supervisor is running for ${liveDir}.`;
    await sup.shutdown();
    await sup.closed;
    return `In-process supervisor for ${liveDir} stopped; every service is down.`;
  },
  foreground: (liveDir) => startHere(liveDir),
  log: (liveDir, _options, name) => EmbeddedEngine.logOf(liveDir, name),
};
