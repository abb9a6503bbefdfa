import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagString, write, type Command } from '../command.js';
import { LIVE_FLAG, liveDirOf, lockLive, LOCK_FLAG, LOCK_TIMEOUT_FLAG } from '../live-flags.js';
import { INPUT_ACCEPTED_FLAG } from '../operator-input.js';
import { engineProcessOf, engineRunning, startEngine, type StartEngineOptions } from '../../engine/open-engine.js';
import { LIVE_ENTRIES, liveLayout } from '../../state/live-dir.js';
import { checkLiveDir } from '../../state/live-trust.js';
import { createStateFile, newState, readState, stateExists } from '../../state/state-file.js';
import type { EngineConfig, EngineKind } from '../../state/state-types.js';
import { MIN_SIZED_MAX_SERVICES, S6_MAX_SERVICES_CEILING, S6_MAX_SERVICES_FLOOR } from '../../engine/s6/capacity.js';

const ENGINES: readonly EngineKind[] = ['embedded', 's6'];

export const initCommand: Command = {
  name: 'init',
  summary: 'Create the live directory and start its engine',
  description: [
    'Creates the live directory (see docs/live.md for where it is by default): state.json with a new',
    'lineage and serial 0, the journal directory and the engine\'s directory, then starts the engine',
    '(the embedded supervisor, detached, unless --engine=s6). state.json is written last, so an init',
    'that fails part way can simply be run again.',
    '',
    'On a directory that is already initialised it says so and changes nothing in the state; if its',
    'engine is not running (after a reboot, or "rcform supervise --stop"), it starts it. The engine',
    'brings back every service that was up when it stopped, so this is how to resume before planning:',
    'plan and apply refuse to guess what runs while the engine of a live directory with services is',
    'stopped.',
  ].join('\n'),
  args: [],
  flags: [
    LIVE_FLAG,
    // No declared default: an existing live directory must tell an explicit --engine from none.
    { name: 'engine', type: 'string', valueName: 'KIND', values: ['embedded', 's6'], description: 'The engine: embedded (Node only, the default) or s6' },
    { name: 'scandir', type: 'string', valueName: 'DIR', description: 's6 only: the scan directory of a running s6-svscan' },
    {
      name: 'max-services',
      type: 'string',
      valueName: 'N',
      description: `s6 only: -c of the s6-svscan rcform starts, the most services it can supervise (${S6_MAX_SERVICES_FLOOR}–${S6_MAX_SERVICES_CEILING}; default: twice what is installed, at least ${MIN_SIZED_MAX_SERVICES})`,
    },
    LOCK_FLAG,
    LOCK_TIMEOUT_FLAG,
    INPUT_ACCEPTED_FLAG,
  ],
  async run(ctx) {
    const liveDir = liveDirOf(ctx);
    const layout = liveLayout(liveDir);
    const asked = flagString(ctx, 'engine') as EngineKind | undefined;
    const kind = asked ?? 'embedded';
    if (!ENGINES.includes(kind)) throw new CliError(`--engine takes ${ENGINES.join(' or ')}, not "${kind}"`);
    const scandir = flagString(ctx, 'scandir');
    if (scandir !== undefined && kind !== 's6') throw new CliError('--scandir is for --engine=s6 only');
    const config: EngineConfig = { kind, ...(scandir !== undefined ? { scandir: scandirOf(scandir) } : {}) };
    const maxServices = maxServicesOf(flagString(ctx, 'max-services'), scandir);
    const startOpts = maxServices !== undefined ? { maxServices } : {};

    if (stateExists(liveDir)) return await alreadyInitialised(ctx, liveDir, asked, startOpts);
    if (maxServices !== undefined && kind !== 's6') throw new CliError('--max-services is for --engine=s6 only');
    if (fs.existsSync(layout.root)) {
      if (!fs.statSync(layout.root).isDirectory()) throw new CliError(`${layout.root} exists and is not a directory`);
      const foreign = fs.readdirSync(layout.root).filter((n) => !LIVE_ENTRIES.includes(n) && !n.startsWith('.'));
      if (foreign.length > 0) {
        throw new CliError(`${layout.root} exists and is not an rcform live directory (it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); choose another with --live`);
      }
    } else {
      try {
        fs.mkdirSync(path.dirname(layout.root), { recursive: true, mode: 0o700 });
        // Not recursive: a directory someone else made here since liveDirOf checked must not be taken as ours.
        fs.mkdirSync(layout.root, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${layout.root} appeared while rcform was creating it; run rcform init again to check whose it is`);
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (err as Error).message;
        throw new CliError(`cannot create the live directory ${layout.root}: ${why}; choose another with --live or RCFORM_LIVE`);
      }
      fs.chmodSync(layout.root, 0o700);
    }
    fs.mkdirSync(layout.journal, { recursive: true, mode: 0o700 });
    fs.mkdirSync(layout.engine, { recursive: true, mode: 0o700 });
    // Again now that it exists: parents made just now, and whatever an interrupted init left in it.
    checkLiveDir(layout.root);

    const lock = await lockLive(ctx, liveDir, 'init');
    try {
      // Another init may have finished while we waited for the lock.
      if (stateExists(liveDir)) return await alreadyInitialised(ctx, liveDir, asked, startOpts);
      try {
        await startEngine(layout.root, config, startOpts);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`the ${kind} engine could not be started in ${layout.engine}: ${(err as Error).message}; nothing was initialised`);
      }
      const state = newState(config);
      createStateFile(liveDir, state);
      write(ctx.io.stdout, `Initialised the live directory ${layout.root} (lineage ${state.lineage}, engine ${kind}).`);
      return 0;
    } finally {
      lock?.release();
    }
  },
};

function maxServicesOf(value: string | undefined, scandir: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (scandir !== undefined) throw new CliError('--max-services is for an s6-svscan rcform starts; with --scandir, give your s6-svscan -c instead');
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= S6_MAX_SERVICES_FLOOR && n <= S6_MAX_SERVICES_CEILING)) {
    throw new CliError(`--max-services takes a whole number from ${S6_MAX_SERVICES_FLOOR} to ${S6_MAX_SERVICES_CEILING} (s6-svscan's bounds for -c), not "${value}"`);
  }
  return n;
}

function scandirOf(scandir: string): string {
  try {
    return fs.realpathSync.native(scandir);
  } catch (err) {
    throw new CliError(`--scandir ${scandir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}; give the scan directory of a running s6-svscan`);
  }
}

async function alreadyInitialised(ctx: Parameters<Command['run']>[0], liveDir: string, asked: EngineKind | undefined, startOpts: StartEngineOptions): Promise<number> {
  const state = readState(liveDir);
  const root = liveLayout(liveDir).root;
  // Its services live in that engine: switching would orphan them, so say so instead of ignoring the flag.
  if (asked !== undefined && asked !== state.engine.kind) {
    throw new CliError(`${root} is already initialised with the ${state.engine.kind} engine, which cannot be changed to ${asked}; to use ${asked}, initialise another live directory (--live)`);
  }
  const what = `${root} is already initialised (lineage ${state.lineage}, serial ${state.serial}, engine ${state.engine.kind})`;
  if (startOpts.maxServices !== undefined) {
    if (state.engine.kind !== 's6') throw new CliError(`--max-services is for the s6 engine; ${root} uses the ${state.engine.kind} engine`);
    if (state.engine.scandir !== undefined) throw new CliError(`--max-services is for an s6-svscan rcform starts; ${root} uses yours on ${state.engine.scandir}: give it -c instead`);
  }
  // Starting a stopped engine changes no state, and both engines refuse a second instance, so
  // this needs no lock: an apply holding it could not be using an engine that is not running.
  let running: boolean;
  try {
    running = await engineRunning(root, state.engine);
  } catch (err) {
    throw new CliError(`${root}: ${(err as Error).message}`);
  }
  if (running) {
    // Asked for a limit: the running s6-svscan must already have it (it cannot change while it runs).
    if (startOpts.maxServices !== undefined) {
      try {
        await startEngine(root, state.engine, startOpts);
      } catch (err) {
        throw new CliError(`${what}: ${(err as Error).message}`);
      }
    }
    write(ctx.io.stdout, `${what}; nothing was changed.`);
    return 0;
  }
  const engine = engineProcessOf(root, state.engine).short;
  try {
    await startEngine(root, state.engine, startOpts);
  } catch (err) {
    throw new CliError(`${what}, but its ${engine} is not running and could not be started: ${(err as Error).message}`);
  }
  write(ctx.io.stdout, `${what}; nothing was changed in the state; its ${engine} was not running and has been started.`);
  return 0;
}
