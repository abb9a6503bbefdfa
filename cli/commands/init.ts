import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagString, write, type Command } from '../command.js';
import { LIVE_FLAG, liveDirOf, lockLive, LOCK_FLAG, LOCK_TIMEOUT_FLAG } from '../live-flags.js';
import { INPUT_ACCEPTED_FLAG } from '../operator-input.js';
import {
  configureEngine,
  DEFAULT_ENGINE_KIND,
  engineDrivers,
  engineInitFlags,
  engineProcessOf,
  engineRunning,
  isEngineKind,
  reconfigureEngine,
  startEngine,
} from '../../engine/open-engine.js';
import { LIVE_ENTRIES, liveLayout } from '../../state/live-dir.js';
import { checkLiveDir } from '../../state/live-trust.js';
import { createStateFile, newState, readState, stateExists } from '../../state/state-file.js';
import type { EngineKind } from '../../state/state-types.js';

// The engines and their own flags come from the registry, so --help lists what this build has.
const ENGINES: readonly EngineKind[] = engineDrivers().map((d) => d.kind);
const ENGINE_FLAGS = engineInitFlags();

function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

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
    { name: 'engine', type: 'string', valueName: 'KIND', values: ENGINES, description: `The engine: ${orList(engineDrivers().map((d) => d.summary))}` },
    ...ENGINE_FLAGS.map(({ flag }) => ({ name: flag.name, type: 'string' as const, valueName: flag.valueName, description: flag.description })),
    LOCK_FLAG,
    LOCK_TIMEOUT_FLAG,
    INPUT_ACCEPTED_FLAG,
  ],
  async run(ctx) {
    const liveDir = liveDirOf(ctx);
    const layout = liveLayout(liveDir);
    const asked = flagString(ctx, 'engine');
    if (asked !== undefined && !isEngineKind(asked)) throw new CliError(`--engine takes ${ENGINES.join(' or ')}, not "${asked}"`);
    const given = engineFlagsGiven(ctx);
    if (stateExists(liveDir)) return await alreadyInitialised(ctx, liveDir, asked, given);
    const kind = asked ?? DEFAULT_ENGINE_KIND;
    const other = given.find((g) => g.kind !== kind);
    if (other) throw new CliError(`--${other.name} is for --engine=${other.kind} only`);
    const init = configureEngine(kind, valuesOf(given));

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
      if (stateExists(liveDir)) return await alreadyInitialised(ctx, liveDir, asked, given);
      try {
        await startEngine(layout.root, init.config, init.start);
      } catch (err) {
        throw new CliError(`the ${kind} engine could not be started in ${layout.engine}: ${(err as Error).message}; nothing was initialised`);
      }
      const state = newState(init.config);
      createStateFile(liveDir, state);
      write(ctx.io.stdout, `Initialised the live directory ${layout.root} (lineage ${state.lineage}, engine ${kind}).`);
      return 0;
    } finally {
      lock?.release();
    }
  },
};

interface EngineFlagGiven {
  kind: EngineKind;
  name: string;
  value: string;
}

/** The engines' own flags on this command line, each with the engine it belongs to. */
function engineFlagsGiven(ctx: Parameters<Command['run']>[0]): EngineFlagGiven[] {
  return ENGINE_FLAGS.flatMap(({ kind, flag }) => {
    const value = flagString(ctx, flag.name);
    return value !== undefined ? [{ kind, name: flag.name, value }] : [];
  });
}

function valuesOf(given: readonly EngineFlagGiven[]): Record<string, string> {
  return Object.fromEntries(given.map((g) => [g.name, g.value]));
}

async function alreadyInitialised(ctx: Parameters<Command['run']>[0], liveDir: string, asked: EngineKind | undefined, given: readonly EngineFlagGiven[]): Promise<number> {
  const state = readState(liveDir);
  const root = liveLayout(liveDir).root;
  // Its services live in that engine: switching would orphan them, so say so instead of ignoring the flag.
  if (asked !== undefined && asked !== state.engine.kind) {
    throw new CliError(`${root} is already initialised with the ${state.engine.kind} engine, which cannot be changed to ${asked}; to use ${asked}, initialise another live directory (--live)`);
  }
  const what = `${root} is already initialised (lineage ${state.lineage}, serial ${state.serial}, engine ${state.engine.kind})`;
  const other = given.find((g) => g.kind !== state.engine.kind);
  if (other) throw new CliError(`--${other.name} is for the ${other.kind} engine; ${root} uses the ${state.engine.kind} engine`);
  const { start } = reconfigureEngine(root, state.engine, valuesOf(given));
  // Starting a stopped engine changes no state, and both engines refuse a second instance, so
  // this needs no lock: an apply holding it could not be using an engine that is not running.
  let running: boolean;
  try {
    running = await engineRunning(root, state.engine);
  } catch (err) {
    throw new CliError(`${root}: ${(err as Error).message}`);
  }
  if (running) {
    // Given its flags again: the running engine must agree with them (s6-svscan's -c cannot change while it runs).
    if (given.length > 0) {
      try {
        await startEngine(root, state.engine, start);
      } catch (err) {
        throw new CliError(`${what}: ${(err as Error).message}`);
      }
    }
    write(ctx.io.stdout, `${what}; nothing was changed.`);
    return 0;
  }
  const engine = engineProcessOf(root, state.engine).short;
  try {
    await startEngine(root, state.engine, start);
  } catch (err) {
    throw new CliError(`${what}, but its ${engine} is not running and could not be started: ${(err as Error).message}`);
  }
  write(ctx.io.stdout, `${what}; nothing was changed in the state; its ${engine} was not running and has been started.`);
  return 0;
}
