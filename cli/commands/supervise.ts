import fs from 'node:fs';
import { CliError, flagBool, write, type Command } from '../command.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { foregroundEngine, shutdownEngine } from '../../engine/open-engine.js';
import { engineConfigOf } from '../engine-config.js';
import { liveLayout } from '../../state/live-dir.js';

export const superviseCommand: Command = {
  name: 'supervise',
  summary: 'Run the embedded supervisor of a live directory in the foreground, or stop it',
  description: [
    'Runs the supervisor that keeps the live directory\'s longruns running, in the foreground: for a',
    'container entry point or under another init. `rcform init` starts the same supervisor detached.',
    'If a previous supervisor was killed, running services are adopted, not started twice.',
    'SIGTERM or SIGINT, or `rcform supervise --stop` from another shell, is the clean stop: every',
    'service is brought down, dependents before their dependencies, then the supervisor exits.',
    'What each service wanted is kept, so the next `rcform supervise` brings back what was up.',
  ].join('\n'),
  args: [],
  flags: [LIVE_FLAG, { name: 'stop', type: 'boolean', description: 'Stop the running supervisor cleanly and wait until it has exited' }],
  async run(ctx) {
    const liveDir = liveDirOf(ctx);
    const config = engineConfigOf(liveDir);
    if (flagBool(ctx, 'stop')) {
      write(ctx.io.stdout, await shutdownEngine(liveDir, config));
      return 0;
    }
    // init makes engine/ before it starts the supervisor (and writes state.json last); with neither
    // this is no live directory, and a supervisor would make one up wherever a typo pointed.
    const layout = liveLayout(liveDir);
    if (!fs.existsSync(layout.engine) && !fs.existsSync(layout.state)) throw new CliError(`${layout.root}: no such live directory; run "rcform init --live ${layout.root}" first`);
    const starting = foregroundEngine(liveDir, config, ctx.io.env);
    if (!starting) throw new CliError(`${liveDir} uses the ${config.kind} engine, which rcform does not supervise itself (--stop stops it)`);
    const sup = await starting;
    const stop = (): void => void sup.shutdown();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Detached from a terminal that might hang up: only the clean stop ends it.
    process.on('SIGHUP', () => {});
    write(ctx.io.stderr, `rcform supervisor for ${liveDir} running (pid ${process.pid})`);
    await sup.closed;
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    write(ctx.io.stderr, 'rcform supervisor stopped: every service is down');
    return 0;
  },
};
