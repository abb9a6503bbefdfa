import readline from 'node:readline';
import type { Io } from './command.js';

// Terraform's confirmation: a question, then "Only 'yes' will be accepted". Callers check for a
// terminal first: a question nobody can answer must be refused up front, not hang.

export function canAsk(io: Io): boolean {
  return Boolean(io.stdin.isTTY);
}

/** Prints `lines` and asks; resolves true only for exactly "yes". */
export function confirmYes(io: Io, lines: string[]): Promise<boolean> {
  io.stdout.write([...lines, "  Only 'yes' will be accepted to confirm.", '', '  Enter a value: '].join('\n'));
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: io.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      io.stdout.write('\n');
      resolve(line.trim() === 'yes');
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}
