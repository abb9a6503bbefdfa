import { CliError, write, type CommandContext } from './command.js';
import { loadAndCompile } from './load-source.js';
import { colorFor, renderDiagnostics } from './views/diagnostics-human.js';
import type { CompiledDb } from '../lang/compile/compiled-db.js';

// Compiling a source directory in memory, for plan and diff: the same checks as validate, with
// the diagnostics on stderr. --var, --var-file and RCFORM_VAR_NAME apply when the command
// declares SOURCE_FLAGS (cli/source-flags.ts).
export async function compileDir(ctx: CommandContext, dir: string): Promise<CompiledDb> {
  const r = loadAndCompile(ctx, dir);
  if (r.diagnostics.length) write(ctx.io.stderr, renderDiagnostics(r.diagnostics, r.sources, { color: colorFor(ctx.io, ctx.io.stderr) }));
  if (!r.db) throw new CliError(`the configuration in ${dir} has errors (listed above); nothing was planned`);
  return r.db;
}
