import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where the live directory is and what lives in it (docs/live.md). Like s6-rc's live directory it
// is small, read-write, and belongs to one machine: the default sits on a tmpfs-like runtime
// directory, so a reboot starts from a clean slate, as the supervised processes do.

export interface LiveLayout {
  /** The live directory itself. */
  root: string;
  /** state.json: what is installed, with lineage, serial and checksum. */
  state: string;
  /** The previous state.json, kept by every write (a hard link, so it costs no copy). */
  stateBackup: string;
  /** The state lock: exists only while an operation holds it. */
  lock: string;
  /** One JSON-lines file per apply, the last few kept. */
  journal: string;
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
    engine: path.join(abs, 'engine'),
  };
}

/** Names that may exist in a live directory; anything else means the directory is not ours. */
export const LIVE_ENTRIES: readonly string[] = ['state.json', 'state.json.backup', 'state.lock', 'journal', 'engine'];

export interface LiveDirSource {
  /** The `--live DIR` flag, when given. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Defaults to the current process's uid; tests pass one to check the root branch. */
  uid?: number;
}

/**
 * `--live DIR`, else `RCFORM_LIVE`, else `/run/rcform` for root, else `$XDG_RUNTIME_DIR/rcform`
 * when that directory exists, else `rcform-UID` in the system temp directory.
 */
export function resolveLiveDir(src: LiveDirSource): string {
  if (src.flag !== undefined && src.flag !== '') return path.resolve(src.cwd, src.flag);
  const fromEnv = src.env['RCFORM_LIVE'];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(src.cwd, fromEnv);
  return defaultLiveDir(src.env, src.uid);
}

export function defaultLiveDir(env: NodeJS.ProcessEnv, uid: number = currentUid()): string {
  if (uid === 0) return '/run/rcform';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && path.isAbsolute(xdg) && isDirectory(xdg)) return path.join(xdg, 'rcform');
  return path.join(os.tmpdir(), `rcform-${uid}`);
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
