import type { Command } from '../command.js';
import { applyCommand, destroyCommand } from './apply.js';
import { graphCommand } from './graph.js';
import { importS6rcCommand } from './import-s6rc.js';
import { diffCommand } from './diff.js';
import { forceUnlockCommand } from './force-unlock.js';
import { initCommand } from './init.js';
import { planCommand } from './plan.js';
import { validateCommand } from './validate.js';
import { compileCommand } from './compile.js';
import { showCompiledCommand } from './show-compiled.js';
import { showPlanCommand } from './show-plan.js';
import { stateListCommand } from './state-list.js';
import { stateMvCommand } from './state-mv.js';
import { statePullCommand } from './state-pull.js';
import { stateRmCommand } from './state-rm.js';
import { stateShowCommand } from './state-show.js';
import { statusCommand } from './status.js';
import { logsCommand } from './logs.js';
import { superviseCommand } from './supervise.js';
import { fmtCommand } from './fmt.js';

// The command list, in the order `rcform --help` shows it. Keep one import per command file.
// One per line, so that areas adding commands in parallel do not conflict.
export const commands: Command[] = [
  initCommand,
  validateCommand,
  compileCommand,
  planCommand,
  applyCommand,
  destroyCommand,
  diffCommand,
  showPlanCommand,
  showCompiledCommand,
  graphCommand,
  importS6rcCommand,
  stateListCommand,
  stateShowCommand,
  stateMvCommand,
  stateRmCommand,
  statePullCommand,
  forceUnlockCommand,
  statusCommand,
  logsCommand,
  superviseCommand,
  fmtCommand,
];
