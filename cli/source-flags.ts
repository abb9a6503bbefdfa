import type { FlagSpec } from './args.js';

// The flags of every command that reads HCL source, in a module of their own: a command lists them
// among its flags without loading the language (cli/load-source.ts) until it compiles something.
export const SOURCE_FLAGS: FlagSpec[] = [
  { name: 'var', type: 'list', valueName: 'NAME=VALUE', description: 'Set an input variable (repeatable); list, map and object values are written in HCL' },
  { name: 'var-file', type: 'list', valueName: 'FILE', description: 'Read input variables from an HCL file of NAME = VALUE lines (repeatable); DIR/rcform.tfvars and DIR/*.auto.tfvars are read without it' },
];
