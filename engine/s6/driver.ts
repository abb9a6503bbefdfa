import fs from 'node:fs';
import { UserError } from '../../lang/user-error.js';
import type { EngineDriver } from '../driver.js';
import { EngineNotRunningError } from '../engine.js';
import { MIN_SIZED_MAX_SERVICES, S6_MAX_SERVICES_CEILING, S6_MAX_SERVICES_FLOOR } from './capacity.js';
import { S6Engine, type S6Options, type S6StartOptions } from './s6-engine.js';

// Real s6 as an engine kind: the s6-svscan of an operator's scan directory (`--scandir`), or one
// rcform starts in the live directory (`--max-services`: its -c), each service under s6-supervise.

export const s6Driver: EngineDriver<S6Options, S6StartOptions> = {
  kind: 's6',
  summary: 's6',
  initFlags: [
    { name: 'scandir', valueName: 'DIR', description: 's6 only: the scan directory of a running s6-svscan' },
    {
      name: 'max-services',
      valueName: 'N',
      description: `s6 only: -c of the s6-svscan rcform starts, the most services it can supervise (${S6_MAX_SERVICES_FLOOR}–${S6_MAX_SERVICES_CEILING}; default: twice what is installed, at least ${MIN_SIZED_MAX_SERVICES})`,
    },
  ],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { scandir: { description: "The operator's s6-svscan's scan directory (a real path); absent: rcform starts its own.", type: 'string', minLength: 1 } },
  },
  configure(flags) {
    const scandir = flags['scandir'];
    const options: S6Options = scandir !== undefined ? { scandir: scandirOf(scandir) } : {};
    return { options, start: startOptionsOf(flags['max-services'], scandir) };
  },
  reconfigure(root, options, flags) {
    if (flags['scandir'] !== undefined) scandirOf(flags['scandir']);
    const start = startOptionsOf(flags['max-services'], flags['scandir']);
    if (start.maxServices !== undefined && options.scandir !== undefined) {
      throw new UserError('usage', `--max-services is for an s6-svscan rcform starts; ${root} uses yours on ${options.scandir}: give it -c instead`);
    }
    return start;
  },
  async start(liveDir, options, start) {
    await (await S6Engine.start(liveDir, options, start ?? {})).close();
  },
  open(liveDir) {
    const down = S6Engine.unavailable(liveDir);
    if (down) return Promise.reject(new EngineNotRunningError(down));
    return S6Engine.open(liveDir);
  },
  openStarted: (liveDir, options) => S6Engine.start(liveDir, options),
  describe(liveDir, options) {
    // A scan directory of the operator's own is theirs to start; rcform only starts its own.
    const d = options.scandir
      ? { name: `the s6-svscan on ${options.scandir} (the s6 engine of ${liveDir})`, short: `s6-svscan on ${options.scandir}`, start: `"s6-svscan ${options.scandir}"` }
      : { name: `the s6-svscan of ${liveDir} (the s6 engine)`, short: 's6-svscan', start: `"rcform init --live ${liveDir}"` };
    return { ...d, hint: `start it with ${d.start}` };
  },
  async shutdown(liveDir) {
    // Every service down, then s6-svscan stopped if rcform started it (docs/engine-s6.md).
    const why = S6Engine.unavailable(liveDir);
    if (why) return `Nothing to stop: ${why}.`;
    await (await S6Engine.open(liveDir)).shutdown();
    return `s6 services of ${liveDir} stopped; every service is down.`;
  },
  log: (liveDir, _options, name) => S6Engine.logOf(liveDir, name),
};

function startOptionsOf(value: string | undefined, scandir: string | undefined): S6StartOptions {
  if (value === undefined) return {};
  if (scandir !== undefined) throw new UserError('usage', '--max-services is for an s6-svscan rcform starts; with --scandir, give your s6-svscan -c instead');
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= S6_MAX_SERVICES_FLOOR && n <= S6_MAX_SERVICES_CEILING)) {
    throw new UserError('usage', `--max-services takes a whole number from ${S6_MAX_SERVICES_FLOOR} to ${S6_MAX_SERVICES_CEILING} (s6-svscan's bounds for -c), not "${value}"`);
  }
  return { maxServices: n };
}

function scandirOf(scandir: string): string {
  try {
    return fs.realpathSync.native(scandir);
  } catch (err) {
    throw new UserError('usage', `--scandir ${scandir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}; give the scan directory of a running s6-svscan`);
  }
}
