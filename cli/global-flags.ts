import type { FlagSpec } from './args.js';

// Accepted before or after the command name, by every command.
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', description: 'Show help' },
  { name: 'version', type: 'boolean', description: 'Print the version (as "rcform version")' },
  { name: 'no-color', type: 'boolean', description: 'Never colour output (NO_COLOR is honoured too)' },
];

/**
 * Accepted only before the command name: -chdir, as in Terraform, changes where the command
 * runs, so it must be known before anything of the command is read.
 */
export const LEADING_FLAGS: FlagSpec[] = [
  { name: 'chdir', type: 'string', valueName: 'DIR', description: 'Before the command: run it in DIR (relative paths and the default source directory are taken from there)' },
  ...GLOBAL_FLAGS,
];
