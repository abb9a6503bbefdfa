import fs from 'node:fs';
import path from 'node:path';
import { userLabel } from './account-name.js';
import { UserError } from '../lang/user-error.js';

// Whose live directory is it (docs/security.md). A live directory holds the programs its
// supervisor runs, so whoever can write it, or any directory above it, can run programs as the
// user who supervises it. Before a command uses one, rcform checks what sshd's StrictModes checks
// of ~/.ssh: every directory on the way is owned by root or the invoking user and not writable by
// anyone else unless sticky (/tmp), every symlink on the way belongs to one of them too, and the
// live directory and what it holds belong to the invoking user alone, writable by nobody else.

export class LiveDirTrustError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'LiveDirTrustError';
  }
}

/** The default live directory is a symlink: naming the directory explicitly is the way out. */
export class DefaultLiveDirSymlinkError extends LiveDirTrustError {
  constructor(message: string) {
    super(message);
    this.name = 'DefaultLiveDirSymlinkError';
  }
}

/** How many symlinks a path may go through, as the kernel's own limit for a path walk. */
const MAX_SYMLINKS = 40;

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export interface TrustOptions {
  /** The invoking user; defaults to this process's uid. */
  uid?: number;
  /** The live directory itself may not be a symlink (the default location: never followed). */
  noSymlink?: boolean;
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

const who = userLabel;

function owner(st: fs.Stats): string {
  return who(st.uid);
}

function mode(st: fs.Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new LiveDirTrustError(`cannot check ${p}: ${(err as Error).message}`);
  }
}

/**
 * Walks `target` from / the way the kernel would, checking each directory and symlink it passes
 * (owned by root or `uid`; a directory writable by group or others only if sticky). Stops at the
 * first component that does not exist. Returns the real path of the deepest existing component
 * and whether `target` itself exists.
 */
function walk(target: string, uid: number, opts: { noSymlinkAtEnd: boolean; checkLast: boolean }): { real: string; exists: boolean } {
  let hops = 0;
  const pending = path.resolve(target).split('/').filter((c) => c !== '');
  let cur = '/';
  const checkDir = (p: string, st: fs.Stats): void => {
    if (st.uid !== 0 && st.uid !== uid) throw new LiveDirTrustError(`${p} is owned by ${owner(st)}, who could replace what lies below it; a live directory must be reached through directories owned by root or by you, ${who(uid)}`);
    if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) throw new LiveDirTrustError(`${p} (mode ${mode(st)}, owner ${owner(st)}) is writable by others without the sticky bit; they could replace what lies below it`);
  };
  checkDir('/', fs.lstatSync('/'));
  while (pending.length > 0) {
    const comp = pending.shift() as string;
    const isLast = pending.length === 0;
    if (comp === '.') continue;
    if (comp === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const p = path.join(cur, comp);
    const st = lstatOrNull(p);
    if (!st) return { real: p, exists: false };
    if (st.isSymbolicLink()) {
      if (isLast && opts.noSymlinkAtEnd) throw new DefaultLiveDirSymlinkError(`${p} is a symlink (to ${fs.readlinkSync(p)}); rcform never follows a symlink at its default live directory`);
      if (st.uid !== 0 && st.uid !== uid) throw new LiveDirTrustError(`${p} is a symlink owned by ${owner(st)}, who could point it elsewhere; refusing to follow it`);
      if (++hops > MAX_SYMLINKS) throw new LiveDirTrustError(`${target}: too many levels of symbolic links`);
      const to = fs.readlinkSync(p);
      pending.unshift(...to.split('/').filter((c) => c !== ''));
      if (path.isAbsolute(to)) cur = '/';
      continue;
    }
    if (!isLast || opts.checkLast) {
      if (!st.isDirectory()) throw new LiveDirTrustError(`${p} is not a directory`);
      checkDir(p, st);
    }
    cur = p;
  }
  return { real: cur, exists: true };
}

/**
 * The directories above `dir` (which need not exist yet): each trusted as walk() says. For a
 * directory about to be created, and for paths an engine uses outside the live directory.
 */
export function checkPathTo(dir: string, opts: TrustOptions = {}): void {
  walk(dir, opts.uid ?? currentUid(), { noSymlinkAtEnd: opts.noSymlink === true, checkLast: true });
}

/**
 * The live directory `root`, when it exists: the path to it, itself (a directory owned by the
 * invoking user and writable by nobody else), its entries and theirs. Deeper entries lie in
 * directories only the owner can write, which protects them; some are the services' own accounts'
 * (a service directory handed to its user).
 */
export function checkLiveDir(root: string, opts: TrustOptions = {}): { exists: boolean } {
  const uid = opts.uid ?? currentUid();
  const { real, exists } = walk(root, uid, { noSymlinkAtEnd: opts.noSymlink === true, checkLast: false });
  if (!exists) return { exists: false };
  const st = fs.lstatSync(real);
  const named = real === path.resolve(root) ? real : `${root} (${real})`;
  if (!st.isDirectory()) throw new LiveDirTrustError(`${named} exists and is not a directory`);
  checkOwn(named, st, uid);
  checkEntries(real, uid, 2);
  return { exists: true };
}

function checkOwn(p: string, st: fs.Stats, uid: number): void {
  if (st.uid !== uid) {
    throw new LiveDirTrustError(`${p} is owned by ${owner(st)}, not by you, ${who(uid)}; rcform uses only a live directory of its invoking user, so that nobody else decides what it runs`);
  }
  if (!st.isSymbolicLink() && (st.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new LiveDirTrustError(`${p} (mode ${mode(st)}) is writable by others; a live directory and what it holds must be writable by its owner only (chmod go-w)`);
  }
}

function checkEntries(dir: string, uid: number, depth: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new LiveDirTrustError(`cannot read ${dir}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  for (const name of names) {
    const p = path.join(dir, name);
    const st = lstatOrNull(p);
    if (!st) continue; // gone meanwhile (a lock released, a temp file renamed)
    checkOwn(p, st, uid);
    if (depth > 1 && st.isDirectory()) checkEntries(p, uid, depth - 1);
  }
}
