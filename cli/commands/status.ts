import { CliError, flagBool, write, type Command } from '../command.js';
import { JSON_FLAG, LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { engineStartHint, openEngine } from '../../engine/open-engine.js';
import { SupervisorUnavailableError, SupervisorUntrustedError } from '../../engine/embedded/client.js';
import { engineConfigOf } from '../engine-config.js';
import { renderStatus } from '../views/status-view.js';

export const statusCommand: Command = {
  name: 'status',
  readOnly: true,
  summary: 'Show what the engine is running: per service wanted state, state, pid, restarts',
  description: [
    'Asks the live directory\'s engine (not state.json) for every service it knows: what it wants',
    '(up or down), what the service is (down, starting, up, ready, stopping, failed), its pid, since',
    'when, how many times it was restarted, how it last exited, and whether a restarted supervisor',
    'adopted it. Does not start a supervisor that is not running.',
  ].join('\n'),
  args: [],
  flags: [LIVE_FLAG, JSON_FLAG],
  async run(ctx) {
    const liveDir = liveDirOf(ctx);
    const config = engineConfigOf(liveDir);
    let engine;
    try {
      engine = await openEngine(liveDir, config);
    } catch (err) {
      if (err instanceof SupervisorUnavailableError) throw new CliError(`${err.message}; ${engineStartHint(liveDir, config)}`);
      if (err instanceof SupervisorUntrustedError) throw new CliError(err.message);
      throw err;
    }
    try {
      const status = await engine.status();
      if (flagBool(ctx, 'json')) {
        const services = Object.values(status).sort((a, b) => (a.name < b.name ? -1 : 1));
        write(ctx.io.stdout, JSON.stringify({ format_version: 1, engine: config.kind, services }, null, 2));
      } else ctx.io.stdout.write(renderStatus(status, new Date()));
    } finally {
      await engine.close();
    }
    return 0;
  },
};
