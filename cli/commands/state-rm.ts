import { CliError, flagBool, write, type Command } from '../command.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, withLockedState } from '../live-flags.js';
import { findByAddress } from '../../lang/address.js';

export const stateRmCommand: Command = {
  name: 'state rm',
  summary: 'Forget services without stopping them',
  description: [
    'Removes each ADDRESS from the live state. The engine is not touched: a running service keeps',
    'running, no longer managed by rcform (the next plan reports it). Every address must exist, or',
    'nothing is removed.',
  ].join('\n'),
  args: [{ name: 'ADDRESS' }, { name: 'MORE', variadic: true }],
  flags: [LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, { name: 'dry-run', type: 'boolean', description: 'Show what would be removed, change nothing' }],
  async run(ctx) {
    return withLockedState(ctx, 'state rm', (state, live) => {
      const found = ctx.positionals.map((a) => {
        const e = findByAddress(state.services, a);
        if (!e) throw new CliError(`no service "${a}" in the live state at ${live.root}; nothing was removed`);
        return e;
      });
      const entries = [...new Set(found)];
      const dry = flagBool(ctx, 'dry-run');
      for (const e of entries) write(ctx.io.stdout, `${dry ? 'Would remove' : 'Removed'} ${e.address}`);
      if (dry) return 0;
      const services = { ...state.services };
      for (const e of entries) delete services[e.definition.name];
      const written = live.writeState({ ...state, services });
      write(ctx.io.stdout, `Successfully removed ${entries.length} service${entries.length === 1 ? '' : 's'} from the state (serial ${written.serial}).`);
      return 0;
    });
  },
};
