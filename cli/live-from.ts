import { CliError } from './command.js';
import { compiledDbProblem } from './compiled-db-file.js';
import type { CompiledDb } from '../lang/compile/compiled-db.js';
import { parseState, StateFileError } from '../state/state-file.js';
import type { State } from '../state/state-types.js';
import { defaultEngineConfig } from '../engine/open-engine.js';
import { stateFromCompiled } from '../planner/state-from-compiled.js';
import { readNamedFile } from './read-named-file.js';

// `--live-from FILE`: plan against a file instead of a live directory — a state printed by
// `rcform state pull`, or an older compiled database (the base branch's, in CI), meaning "live is
// exactly that". No engine is asked, so there is no drift.

export interface LiveFrom {
  state: State;
  kind: 'state-file' | 'compiled-file';
}

export function readLiveFrom(file: string): LiveFrom {
  const { text, bytes } = readNamedFile(file, (why) => `--live-from: cannot read ${file}: ${why}`);
  // A pulled state starts with format_version then lineage; look before parsing, so a large
  // state is parsed (and checksummed) once, by parseState.
  if (/^\s*\{\s*"format_version"\s*:\s*(?:\d+|"\d+")\s*,\s*"lineage"\s*:/.test(text.slice(0, 200))) {
    try {
      return { state: parseState(text, file, bytes), kind: 'state-file' };
    } catch (err) {
      if (err instanceof StateFileError) throw new CliError(`--live-from: ${err.message}`);
      throw err;
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--live-from: ${file} is not JSON (${(err as Error).message}); expected the output of "rcform state pull" or a compiled database`);
  }
  const obj = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  if ('lineage' in obj) {
    try {
      return { state: parseState(text, file, bytes), kind: 'state-file' };
    } catch (err) {
      if (err instanceof StateFileError) throw new CliError(`--live-from: ${err.message}`);
      throw err;
    }
  }
  if ('hash' in obj && 'services' in obj) {
    const problem = compiledDbProblem(data);
    if (problem) throw new CliError(`--live-from: ${file} is not a valid compiled database: ${problem}`);
    return { state: stateFromCompiled(data as CompiledDb, defaultEngineConfig()), kind: 'compiled-file' };
  }
  throw new CliError(`--live-from: ${file} is neither a state (from "rcform state pull") nor a compiled database`);
}
