import { CliError, flagBool, write, type Command } from '../command.js';
import { canAsk, confirmYes } from '../confirm.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { forceUnlock, inspectLock } from '../../state/lock.js';

export const forceUnlockCommand: Command = {
  name: 'force-unlock',
  summary: 'Clear the lock info an operation that died left behind',
  description: [
    'The state lock is a kernel lock: it ends with the process that holds it, however that process',
    'ends (exit, Ctrl-C, kill -9, a crash), and, as Terraform says of its local state, it cannot be',
    'unlocked by another process. So force-unlock breaks nothing: for a LOCK_ID still held it refuses',
    'and names the process to stop; for a LOCK_ID whose holder died it removes the info that holder',
    'left in the lock file (the next command would have reported and replaced it anyway). It asks',
    'first, unless --force; without a terminal it refuses unless --force.',
  ].join('\n'),
  args: [{ name: 'LOCK_ID' }],
  flags: [LIVE_FLAG, { name: 'force', type: 'boolean', description: 'Do not ask for confirmation' }],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const liveDir = liveDirOf(ctx);
    const { held, info } = inspectLock(liveDir);
    // Only the info of a dead holder is left to clear; forceUnlock gives every other case its error.
    if (!held && info?.ID === id && !flagBool(ctx, 'force')) {
      if (!canAsk(ctx.io)) throw new CliError('force-unlock needs confirmation and there is no terminal to ask on; run it with --force');
      const ok = await confirmYes(ctx.io, [
        'Do you really want to force-unlock?',
        `  rcform will remove the lock info left in ${liveDir}: ID ${info.ID}, operation "${info.Operation}",`,
        `  taken by ${info.Who} (pid ${info.PID}, not running) at ${info.Created}.`,
        '  Its lock already ended with it; the state and journal say what it did.',
      ]);
      if (!ok) throw new CliError('force-unlock cancelled; the lock info was left in place');
    }
    const removed = await forceUnlock(liveDir, id);
    write(ctx.io.stdout, `rcform state has been successfully unlocked! (the lock ${removed.ID} of pid ${removed.PID}, which is no longer running, had already ended with it; its info was removed from ${liveDir})`);
    return 0;
  },
};
