import { CliError, type CommandContext } from './command.js';
import type { CompiledDb } from '../lang/compile/compiled-db.js';

// Compiling a source directory in memory, for plan and diff.
export async function compileDir(_ctx: CommandContext, dir: string): Promise<CompiledDb> {
  throw new CliError(`compiling ${dir} in memory is not available in this build yet; compile it and pass --compiled FILE`);
}
