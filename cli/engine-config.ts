import fs from 'node:fs';
import { defaultEngineConfig } from '../engine/open-engine.js';
import { liveLayout } from '../state/live-dir.js';
import { readState } from '../state/state-file.js';
import type { EngineConfig } from '../state/state-types.js';

// Which engine a live directory uses, for the commands that talk to the engine without touching
// the state (status, logs, supervise): what `rcform init` recorded, else the default engine.
export function engineConfigOf(liveDir: string): EngineConfig {
  if (!fs.existsSync(liveLayout(liveDir).state)) return defaultEngineConfig();
  try {
    return readState(liveDir).engine;
  } catch {
    return defaultEngineConfig();
  }
}
