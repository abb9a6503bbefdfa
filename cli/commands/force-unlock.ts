import { CliError, flagBool, write, type Command } from '../command.js';
import { canAsk, confirmYes } from '../confirm.js';
import { asCliError, LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { forceUnlock, isStale, readLockInfo } from '../../state/lock.js';

export const forceUnlockCommand: Command = {
  name: 'force-unlock',
  summary: 'Break the state lock left by an operation that died',
  description: [
    'Removes the lock on the live directory\'s state, only if LOCK_ID is the ID of the current lock',
    '(shown by the error of any command that found the state locked). It asks first, unless --force;',
    'without a terminal it refuses unless --force. It does not stop the holder: break only a lock whose',
    'holder is gone, after "rcform plan" has shown what that operation left behind.',
  ].join('\n'),
  args: [{ name: 'LOCK_ID' }],
  flags: [LIVE_FLAG, { name: 'force', type: 'boolean', description: 'Do not ask for confirmation' }],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const liveDir = liveDirOf(ctx);
    try {
      const info = readLockInfo(liveDir);
      if (!info) throw new CliError(`the state in ${liveDir} is not locked; nothing to unlock`);
      if (info.ID !== id) {
        throw new CliError(`the lock ID "${id}" does not match the current lock's ID "${info.ID}" (held by ${info.Who}, pid ${info.PID}, operation ${info.Operation}); nothing was unlocked`);
      }
      if (!flagBool(ctx, 'force')) {
        if (!canAsk(ctx.io)) throw new CliError('force-unlock needs confirmation and there is no terminal to ask on; run it with --force');
        const stale = isStale(info);
        const ok = await confirmYes(ctx.io, [
          'Do you really want to force-unlock?',
          `  rcform will remove the lock on ${liveDir}: ID ${info.ID}, operation "${info.Operation}",`,
          `  taken by ${info.Who} (pid ${info.PID}${stale ? ', not running' : ', STILL RUNNING'}) at ${info.Created}.`,
          '  Another operation could then change the state while that one is still changing it.',
        ]);
        if (!ok) throw new CliError('force-unlock cancelled; the lock was left in place');
      }
      forceUnlock(liveDir, id);
    } catch (err) {
      throw asCliError(err);
    }
    write(ctx.io.stdout, `rcform state has been successfully unlocked! (lock ${id} removed from ${liveDir})`);
    return 0;
  },
};
