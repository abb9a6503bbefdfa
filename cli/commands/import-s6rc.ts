import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagBool, flagString, write, type Command } from '../command.js';
import { importS6rc, type S6rcDefinition } from '../../lang/import/s6rc.js';

// `rcform import s6-rc SRCDIR... --out DIR`: the reading and writing around the pure converter in
// lang/import/s6rc.ts. Like s6-rc-compile it takes several source directories, and in each one
// every subdirectory not starting with a dot is a service definition.

export const importS6rcCommand: Command = {
  name: 'import s6-rc',
  summary: 'Convert s6-rc source definition directories into rcform HCL',
  description: `Reads every service definition directory in each SRCDIR (the input of s6-rc-compile) and
writes one NAME.hcl per service into DIR, reading each file as s6-rc-compile does (FILE.d/ wins
over FILE; a longrun's down file and a pipeline-name that is not on a last consumer are
ignored, with a warning). Scripts become heredocs; a oneshot's up and down command lines become
argv lists when they are plain words, or execlineb scripts otherwise. Names are kept exactly
(NAME@INSTANCE families become one for_each block); a name rcform cannot hold is renamed, once,
with a warning. Anything rcform cannot express (nosetsid, flag-recommended, unknown files, an
empty env file) is a warning naming the file. Existing .hcl files in DIR are not overwritten
without --force.`,
  args: [{ name: 'SRCDIR', variadic: true }],
  flags: [
    { name: 'out', type: 'string', valueName: 'DIR', description: 'Directory to write the .hcl files into (created if missing)' },
    { name: 'force', type: 'boolean', description: 'Overwrite .hcl files that already exist in DIR' },
  ],
  async run(ctx) {
    const out = flagString(ctx, 'out');
    if (!out) throw new CliError('--out DIR is required: the directory to write the HCL files into');
    if (ctx.positionals.length === 0) throw new CliError('missing argument SRCDIR: an s6-rc source directory');
    const definitions: S6rcDefinition[] = [];
    for (const src of ctx.positionals) definitions.push(...readSourceDir(path.resolve(ctx.io.cwd, src), src));

    const result = importS6rc(definitions);
    const outDir = path.resolve(ctx.io.cwd, out);
    fs.mkdirSync(outDir, { recursive: true });
    if (!flagBool(ctx, 'force')) {
      const clash = [...result.files.keys()].filter((f) => fs.existsSync(path.join(outDir, f)));
      if (clash.length) throw new CliError(`${path.join(out, clash[0] as string)} already exists (use --force to overwrite)`);
    }
    for (const [name, text] of result.files) fs.writeFileSync(path.join(outDir, name), text);

    for (const w of result.warnings) write(ctx.io.stderr, `Warning: ${w.file}: ${w.message}`);
    const n = result.files.size;
    const warned = result.warnings.length ? `, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}` : '';
    write(ctx.io.stdout, `Imported ${n} service${n === 1 ? '' : 's'} into ${out}${warned}.`);
    return 0;
  },
};

function readSourceDir(abs: string, shown: string): S6rcDefinition[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot read source directory ${shown}: ${e.code === 'ENOENT' ? 'no such directory' : e.code === 'ENOTDIR' ? 'not a directory' : e.message}`);
  }
  const defs: S6rcDefinition[] = [];
  for (const entry of entries) {
    // s6-rc-compile ignores dot files and anything that is not a directory.
    if (entry.name.startsWith('.')) continue;
    const full = path.join(abs, entry.name);
    if (!fs.statSync(full, { throwIfNoEntry: false })?.isDirectory()) continue;
    const def: S6rcDefinition = { name: entry.name, dir: path.join(shown, entry.name), files: new Map(), dirs: new Set() };
    readTree(full, '', def);
    defs.push(def);
  }
  return defs;
}

function readTree(abs: string, rel: string, def: S6rcDefinition): void {
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const full = path.join(abs, entry.name);
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    // As s6-rc-compile: a definition's own files and directories are read through a symbolic
    // link (`run`, `data` may be links), but inside data/ and env/ a link is copied as a link
    // (skalibs' hiercopy), never followed out of the tree.
    if (rel && entry.isSymbolicLink()) {
      (def.links ??= new Map()).set(relPath, fs.readlinkSync(full));
      continue;
    }
    const st = fs.statSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      def.dirs.add(relPath);
      readTree(full, relPath, def);
    } else if (st.isFile()) {
      def.files.set(relPath, fs.readFileSync(full));
    }
  }
}
