import { flagBool, write, type Command } from '../command.js';
import { JSON_FLAG, LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, readLiveState } from '../live-flags.js';
import { renderStateList, stateListJson } from '../views/state-view.js';
import { matchesFilter } from '../../lang/address.js';

export const stateListCommand: Command = {
  name: 'state list',
  readOnly: true,
  summary: 'List the services recorded in the live state',
  description: [
    'Prints one address per line, sorted. FILTER narrows the list: "longrun" lists every longrun,',
    '"longrun.getty" every instance of getty, a full address or a service name that one service.',
    'Reads state.json with what the journal adds since its last fold; never changes anything.',
  ].join('\n'),
  args: [{ name: 'FILTER', variadic: true }],
  flags: [LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, JSON_FLAG],
  async run(ctx) {
    const state = await readLiveState(ctx, 'state list');
    const filters = ctx.positionals;
    const entries = Object.values(state.services)
      .filter((e) => filters.length === 0 || filters.some((f) => matchesFilter(f, { address: e.address, name: e.definition.name })))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    if (flagBool(ctx, 'json')) write(ctx.io.stdout, JSON.stringify(stateListJson(state, entries), null, 2));
    else ctx.io.stdout.write(renderStateList(entries));
    return 0;
  },
};
