import fs from 'node:fs';
import path from 'node:path';

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
  /** Called for every directory and file written, root included (chown to the service's account). */
  own?: (p: string) => void;
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
  const rootStat = fs.lstatSync(root, { throwIfNoEntry: false });
  if (rootStat && !rootStat.isDirectory()) fs.rmSync(root, { force: true });
  // A tree made just now has nothing to prune and no reader to protect from a half-written file.
  const fresh = !rootStat?.isDirectory();
  fs.mkdirSync(root, { recursive: true, mode: modes.dir });
  fs.chmodSync(root, modes.dir);
  modes.own?.(root);
  if (!fresh) prune(root, '', wanted);
  for (const p of [...wanted.keys()].sort()) {
    const full = path.join(root, p);
    if (wanted.get(p) === 'dir') {
      fs.mkdirSync(full, { recursive: true, mode: modes.dir });
      fs.chmodSync(full, modes.dir);
    } else {
      const tmp = fresh ? full : path.join(path.dirname(full), `.${path.basename(full)}.rcform-tmp`);
      fs.writeFileSync(tmp, files[p] as string, { mode: modes.file });
      fs.chmodSync(tmp, modes.file);
      modes.own?.(tmp);
      if (!fresh) fs.renameSync(tmp, full);
      continue;
    }
    modes.own?.(full);
  }
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
