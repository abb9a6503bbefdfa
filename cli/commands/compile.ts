import path from 'node:path';
import { CliError, flagString, write, type Command } from '../command.js';
import { SOURCE_FLAGS, loadAndCompile } from '../load-source.js';
import { colorFor, renderDiagnostics } from '../views/diagnostics-human.js';
import { atomicWriteFileSync } from '../../state/atomic-write.js';

// `rcform compile`: the compiled database, written atomically so a reader never sees half a file.

export const compileCommand: Command = {
  name: 'compile',
  summary: 'Compile the service definitions in DIR into a compiled database file',
  description: `Checks DIR as validate does and, when there is no error, writes the compiled database to
--out: one JSON file (schemas/compiled.schema.json) with every service normalised, its definition
hash, direct and reverse dependencies, rank and full dependency closure, the bundles, and the
moved list. The same source
always gives the same bytes. The file is written to a temporary file, synced, and renamed over FILE.
Nothing is written when there is an error. Exit status: 0 on success, 1 otherwise.`,
  args: [{ name: 'DIR', optional: true }],
  flags: [{ name: 'out', short: 'o', type: 'string', valueName: 'FILE', description: 'Where to write the compiled database (required)' }, ...SOURCE_FLAGS],
  async run(ctx) {
    const out = flagString(ctx, 'out');
    if (!out) throw new CliError('compile needs --out FILE');
    const r = loadAndCompile(ctx);
    if (r.diagnostics.length) write(ctx.io.stderr, renderDiagnostics(r.diagnostics, r.sources, { color: colorFor(ctx.io, ctx.io.stderr) }));
    if (!r.db || !r.chunks) return 1;
    const file = path.resolve(ctx.io.cwd, out);
    try {
      // Owner-only: a compiled database holds every env value and data file, sensitive ones too.
      atomicWriteFileSync(file, r.chunks, { policy: 'durable', mode: 0o600 });
    } catch (err) {
      throw new CliError(`cannot write ${out}: ${(err as Error).message}`);
    }
    const n = Object.keys(r.db.services).length;
    write(ctx.io.stdout, `Compiled ${n} service${n === 1 ? '' : 's'} and ${Object.keys(r.db.bundles).length} bundle(s) to ${out} (hash ${r.db.hash.slice(0, 12)}).`);
    return 0;
  },
};
