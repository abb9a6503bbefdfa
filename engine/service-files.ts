import fs from 'node:fs';
import path from 'node:path';
import { atomicWriteFileSync } from '../state/atomic-write.js';

// The parts of a service directory both engines write the same way, as s6-rc's compiled service
// directories have them: env/, the envdir that `s6-envdir env` reads, and data/, a tree of files.

/**
 * The envdir for a service's environment, in the format s6-envdir reads by default (what s6-rc
 * run scripts use): the value on the first line, newlines written as NULs. A lone newline is an
 * empty value (an empty file would unset it); values past 4095 bytes need `s6-envdir -L`. That
 * reading drops trailing spaces and tabs, so
 * such values, and names that cannot be a file's (a /, a leading dot, which s6-envdir skips), are
 * left out of the directory and returned as NAME=VALUE, for a launcher to set.
 */
export function envdirFiles(env: Readonly<Record<string, string>>): { files: Record<string, string>; notInDir: string[] } {
  const files: Record<string, string> = {};
  const notInDir: string[] = [];
  for (const k of Object.keys(env).sort()) {
    const v = env[k] as string;
    if (/[ \t]$/.test(v) || k.includes('/') || k.startsWith('.')) notInDir.push(`${k}=${v}`);
    else files[k] = `${v.replace(/\n/g, '\0')}\n`;
  }
  return { files, notInDir };
}

/** A data path as the language allows it (schemas/longrun.schema.json): checked again where it is written. */
export function safeTreePath(p: string): boolean {
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && !seg.startsWith('.') && !seg.includes('\0'));
}

export interface TreeModes {
  file: number;
  dir: number;
  /**
   * The service's account, when it is not the engine's: it is given every file and directory of
   * the tree. The tree is then made afresh, the engine's alone while it is written: files through
   * descriptors that follow no symlink, each directory given away only once all it holds is
   * written, so no path the account could have replaced is written through or chowned.
   */
  owner?: { uid?: number; gid?: number };
}

/**
 * Makes `root` hold exactly `files` (relative path → content): what is not wanted goes, parents
 * are made, each file is replaced whole (a service restarted meanwhile never reads half a file).
 * Nothing is followed out of the tree: a symlink found in it is removed, not written through.
 */
export function writeTree(root: string, files: Readonly<Record<string, string>>, modes: TreeModes): void {
  const wanted = new Map<string, 'file' | 'dir'>();
  for (const p of Object.keys(files)) {
    if (!safeTreePath(p)) throw new Error(`"${p}" is not a path inside ${path.basename(root)}/`);
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (wanted.get(dir) === 'file') throw new Error(`"${dir}" is both a file and a directory in ${path.basename(root)}/`);
      wanted.set(dir, 'dir');
    }
    if (wanted.get(p) === 'dir') throw new Error(`"${p}" is both a file and a directory in ${path.basename(root)}/`);
    wanted.set(p, 'file');
  }
  const owner = modes.owner;
  const rootStat = fs.lstatSync(root, { throwIfNoEntry: false });
  if (rootStat && (!rootStat.isDirectory() || owner)) fs.rmSync(root, { recursive: true, force: true });
  // A tree made just now has nothing to prune and no reader to protect from a half-written file.
  const fresh = !rootStat?.isDirectory() || owner !== undefined;
  fs.mkdirSync(root, { recursive: true, mode: modes.dir });
  fs.chmodSync(root, modes.dir);
  if (!fresh) prune(root, '', wanted);
  const dirs = [root];
  for (const p of [...wanted.keys()].sort()) {
    const full = path.join(root, p);
    if (wanted.get(p) === 'dir') {
      fs.mkdirSync(full, { recursive: true, mode: modes.dir });
      fs.chmodSync(full, modes.dir);
      dirs.push(full);
      continue;
    }
    if (!fresh) {
      atomicWriteFileSync(full, files[p] as string, { policy: 'replace-only', mode: modes.file, ...(owner ? { owner } : {}) });
      continue;
    }
    const fd = fs.openSync(full, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, modes.file);
    try {
      fs.writeFileSync(fd, files[p] as string);
      fs.fchmodSync(fd, modes.file);
      if (owner) fs.fchownSync(fd, owner.uid ?? -1, owner.gid ?? -1);
    } finally {
      fs.closeSync(fd);
    }
  }
  // Deepest first, the root last: a directory is given away once nothing more is written in it.
  if (owner) for (const d of dirs.reverse()) fs.lchownSync(d, owner.uid ?? -1, owner.gid ?? -1);
}

function prune(root: string, rel: string, wanted: ReadonlyMap<string, 'file' | 'dir'>): void {
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    const want = wanted.get(p);
    const full = path.join(root, p);
    if (want === 'dir' && entry.isDirectory()) prune(root, p, wanted);
    else if (!(want === 'file' && entry.isFile())) fs.rmSync(full, { recursive: true, force: true });
  }
}
