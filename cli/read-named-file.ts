import { readFileText, type FileText } from '../state/read-text.js';
import { CliError } from './command.js';

/**
 * A file the operator named on the command line (a compiled database, a plan, a --live-from
 * file), as bytes and text. When it cannot be read, a CliError whose message `say` words from the
 * reason: "no such file", or the system's message.
 */
export function readNamedFile(file: string, say: (reason: string) => string): FileText {
  try {
    return readFileText(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(say(e.code === 'ENOENT' ? 'no such file' : e.message));
  }
}
