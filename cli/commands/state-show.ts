import { CliError, flagBool, write, type Command } from '../command.js';
import { JSON_FLAG, LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, liveDirOf, readLiveState } from '../live-flags.js';
import { renderStateShow, stateShowJson } from '../views/state-view.js';
import { findByAddress } from '../../lang/address.js';

export const stateShowCommand: Command = {
  name: 'state show',
  readOnly: true,
  summary: 'Show one service as the live state records it',
  description: 'ADDRESS is a service address (longrun.web, oneshot.mount["data"]) or a service name. Sensitive values are masked.',
  args: [{ name: 'ADDRESS' }],
  flags: [LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, JSON_FLAG],
  async run(ctx) {
    const state = await readLiveState(ctx, 'state show');
    const address = ctx.positionals[0] as string;
    const entry = findByAddress(state.services, address);
    if (!entry) throw new CliError(`no service "${address}" in the live state at ${liveDirOf(ctx)} (see "rcform state list")`);
    if (flagBool(ctx, 'json')) write(ctx.io.stdout, JSON.stringify(stateShowJson(state, entry), null, 2));
    else ctx.io.stdout.write(renderStateShow(state, entry));
    return 0;
  },
};
