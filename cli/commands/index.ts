import type { Command } from '../command.js';
import { importS6rcCommand } from './import-s6rc.js';
import { showCompiledCommand } from './show-compiled.js';

// The command list, in the order `rcform --help` shows it. Keep one import per command file.
export const commands: Command[] = [showCompiledCommand, importS6rcCommand];
