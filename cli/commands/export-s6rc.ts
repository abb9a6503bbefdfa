import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagBool, flagString, write, type Command } from '../command.js';
import { readCompiledDb } from '../compiled-db-file.js';
import { SOURCE_FLAGS, loadAndCompile } from '../load-source.js';
import { colorFor, renderDiagnostics } from '../views/diagnostics-human.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { exportS6rc } from '../../lang/export/s6rc.js';

// `rcform export s6-rc [DIR | --compiled FILE] --out SRCDIR`: the writing around the pure
// exporter in lang/export/s6rc.ts. The tree is made in a directory beside SRCDIR and renamed
// into place, so SRCDIR is either the whole export or what it was before.

export const exportS6rcCommand: Command = {
  name: 'export s6-rc',
  summary: 'Write the services as an s6-rc source tree, for s6-rc-compile',
  description: `Compiles DIR (or reads the compiled database --compiled FILE) and writes one s6-rc service
definition directory per longrun, oneshot and bundle into SRCDIR, which s6-rc-compile accepts
and whose s6-rc-db answers (dependencies, all-dependencies, contents) are rcform's. Scripts are
written as they are; an argv becomes an execline script; env becomes env/ (an s6-envdir
directory), data becomes data/, bundles in dependencies become their members. What the s6-rc
format cannot say (down = true, a oneshot's input, the account of a script) is a warning naming
the service. SRCDIR must not exist, or be empty, unless --force replaces it.`,
  args: [{ name: 'DIR', optional: true }],
  flags: [
    { name: 'out', type: 'string', valueName: 'SRCDIR', description: 'The s6-rc source directory to write (required)' },
    { name: 'compiled', type: 'string', valueName: 'FILE', description: 'Export this compiled database instead of compiling DIR' },
    { name: 'force', type: 'boolean', description: 'Replace SRCDIR when it already holds files' },
    ...SOURCE_FLAGS,
  ],
  async run(ctx) {
    const out = flagString(ctx, 'out');
    if (!out) throw new CliError('export s6-rc needs --out SRCDIR: the s6-rc source directory to write');
    const compiled = flagString(ctx, 'compiled');
    if (compiled !== undefined && ctx.positionals.length > 0) throw new CliError('give either DIR or --compiled FILE, not both');
    let db: CompiledDb;
    if (compiled !== undefined) db = readCompiledDb(path.resolve(ctx.io.cwd, compiled));
    else {
      const r = loadAndCompile(ctx);
      if (r.diagnostics.length) write(ctx.io.stderr, renderDiagnostics(r.diagnostics, r.sources, { color: colorFor(ctx.io, ctx.io.stderr) }));
      if (!r.db) return 1;
      db = r.db;
    }
    const result = exportS6rc(db);

    const target = path.resolve(ctx.io.cwd, out);
    const existing = fs.lstatSync(target, { throwIfNoEntry: false });
    if (existing && !existing.isDirectory()) throw new CliError(`${out} exists and is not a directory`);
    if (existing && fs.readdirSync(target).length > 0 && !flagBool(ctx, 'force')) throw new CliError(`${out} is not empty (use --force to replace it)`);
    const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.rcform-`));
    try {
      for (const [name, files] of result.definitions) {
        const dir = path.join(staging, name);
        fs.mkdirSync(dir, { mode: 0o755 });
        for (const f of files) {
          const file = path.join(dir, f.path);
          fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
          // Secrets may be in env/: readable by the owner only, as the engines keep them.
          const mode = f.executable ? 0o755 : f.path.startsWith('env/') ? 0o600 : 0o644;
          fs.writeFileSync(file, f.content, { mode });
          fs.chmodSync(file, mode);
        }
      }
      fs.chmodSync(staging, 0o755);
      if (existing) fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(staging, target);
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new CliError(`cannot write ${out}: ${(err as Error).message}`);
    }

    for (const w of result.warnings) write(ctx.io.stderr, `Warning: ${w.service}: ${w.message}`);
    const n = result.definitions.size;
    const warned = result.warnings.length ? `, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}` : '';
    write(ctx.io.stdout, `Exported ${n} definition${n === 1 ? '' : 's'} to ${out}${warned}.`);
    return 0;
  },
};
