import { type Command } from '../command.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, readLiveState } from '../live-flags.js';
import { serializeState } from '../../state/state-file.js';

// `rcform state pull`: the live state as a file, as `terraform state pull` prints it. The output
// is state.json's own format, checksum included, so `rcform plan --live-from FILE` can plan against
// it on a machine with no live directory (a CI job reviewing a pull request).

export const statePullCommand: Command = {
  name: 'state pull',
  readOnly: true,
  summary: 'Print the live state as JSON (for "rcform plan --live-from FILE")',
  description: 'Prints state.json with any journal records of an unfinished apply folded in. The output holds every installed definition, sensitive values included: treat it as a secret.',
  args: [],
  flags: [LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG],
  async run(ctx) {
    const state = await readLiveState(ctx, 'state pull');
    ctx.io.stdout.write(serializeState(state));
    return 0;
  },
};
