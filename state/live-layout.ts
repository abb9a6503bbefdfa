import path from 'node:path';

// The names inside a live directory (docs/live.md). A leaf: the modules that read and write each
// file import it, and the LiveDir object (live-dir.ts) puts them together.

export interface LiveLayout {
  /** The live directory itself. */
  root: string;
  /** state.json: what is installed, with lineage, serial and checksum. */
  state: string;
  /** The previous state.json, kept by every write (a hard link, so it costs no copy). */
  stateBackup: string;
  /** The file the state's kernel lock is taken on, holding its holder's info (state/lock.ts). */
  lock: string;
  /** One JSON-lines file per apply, the last few kept. */
  journal: string;
  /**
   * The compiled database last applied completely (as s6-rc's live directory points at its
   * compiled database): what `rcform show compiled --live` reads, and where `rcform up` and
   * `rcform down` find bundles. Its hash is state.json's compiled_hash when the two agree.
   */
  compiled: string;
  /** Owned by the engine (supervisor socket, service directories, logs); rcform's state code never looks inside. */
  engine: string;
}

export function liveLayout(root: string): LiveLayout {
  const abs = path.resolve(root);
  return {
    root: abs,
    state: path.join(abs, 'state.json'),
    stateBackup: path.join(abs, 'state.json.backup'),
    lock: path.join(abs, 'state.lock'),
    journal: path.join(abs, 'journal'),
    compiled: path.join(abs, 'compiled.json'),
    engine: path.join(abs, 'engine'),
  };
}

/** Names that may exist in a live directory; anything else means the directory is not ours. */
export const LIVE_ENTRIES: readonly string[] = ['state.json', 'state.json.backup', 'state.lock', 'journal', 'engine', 'compiled.json'];
