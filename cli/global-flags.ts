import type { FlagSpec } from './args.js';

// Accepted before or after the command name, by every command.
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', description: 'Show help' },
  { name: 'version', type: 'boolean', description: 'Print the version' },
  { name: 'no-color', type: 'boolean', description: 'Never colour output (NO_COLOR is honoured too)' },
];
