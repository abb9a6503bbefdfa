import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../lang/user-error.js';

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
 * when that directory exists, else `rcform/live` in the user's state directory
 * (`$XDG_STATE_HOME`, by default `~/.local/state`).
 */
export function resolveLiveDir(src: LiveDirSource): string {
  return chooseLiveDir(src).dir;
}

/** The live directory and whether it is the default one (never reached through a symlink). */
export function chooseLiveDir(src: LiveDirSource): { dir: string; isDefault: boolean } {
  if (src.flag !== undefined && src.flag !== '') return { dir: path.resolve(src.cwd, src.flag), isDefault: false };
  const fromEnv = src.env['RCFORM_LIVE'];
  if (fromEnv !== undefined && fromEnv !== '') return { dir: path.resolve(src.cwd, fromEnv), isDefault: false };
  return { dir: defaultLiveDir(src.env, src.uid), isDefault: true };
}

export class NoDefaultLiveDirError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'NoDefaultLiveDirError';
  }
}

/**
 * Without a runtime directory, a directory under the user's home: a name in the shared temp
 * directory (/tmp/rcform-UID) is one any local user can create first, or point a symlink at.
 */
export function defaultLiveDir(env: NodeJS.ProcessEnv, uid: number = currentUid()): string {
  if (uid === 0) return '/run/rcform';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && path.isAbsolute(xdg) && isDirectory(xdg)) return path.join(xdg, 'rcform');
  const state = env['XDG_STATE_HOME'];
  if (state && path.isAbsolute(state)) return path.join(state, 'rcform', 'live');
  const home = env['HOME'];
  if (home && path.isAbsolute(home) && home !== '/') return path.join(home, '.local', 'state', 'rcform', 'live');
  throw new NoDefaultLiveDirError(`no default live directory for uid ${uid}: neither XDG_RUNTIME_DIR, XDG_STATE_HOME nor HOME is set to an absolute path`);
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
