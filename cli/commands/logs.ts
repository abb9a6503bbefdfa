import { CliError, flagBool, flagNumber, write, type Command } from '../command.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { serviceLogFile } from '../../engine/open-engine.js';
import { serviceNameProblem } from '../../engine/safe-names.js';
import { logGenerations, tailLines } from '../../engine/embedded/log-file.js';
import { engineConfigOf } from '../engine-config.js';
import { LogFollower } from '../log-follower.js';

export const logsCommand: Command = {
  name: 'logs',
  readOnly: true,
  summary: "Print a service's log (stdout and stderr), optionally following it",
  description: [
    'Prints the last N lines of the service\'s log, across rotated files. With -f, keeps printing',
    'what the service writes, through rotations, until interrupted.',
  ].join('\n'),
  args: [{ name: 'SERVICE' }],
  flags: [
    LIVE_FLAG,
    { name: 'follow', short: 'f', type: 'boolean', description: 'Keep printing new lines until interrupted' },
    { name: 'lines', short: 'n', type: 'number', valueName: 'N', description: 'How many lines to print first', default: 50 },
  ],
  async run(ctx) {
    const name = ctx.positionals[0] as string;
    const liveDir = liveDirOf(ctx);
    // A name is a directory under the engine's logs: "../" would read a file outside it.
    const bad = serviceNameProblem(name);
    if (bad) throw new CliError(`${bad}; no log was read`);
    const file = serviceLogFile(liveDir, engineConfigOf(liveDir), name);
    const n = flagNumber(ctx, 'lines') ?? 50;
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--lines takes a whole number, not ${n}`);
    if (logGenerations(file).length === 0 && !flagBool(ctx, 'follow')) throw new CliError(`no log for service "${name}" in ${liveDir}`);
    if (!flagBool(ctx, 'follow')) {
      for (const line of tailLines(file, n)) write(ctx.io.stdout, line);
      return 0;
    }
    // The tail ends exactly where the follow begins: a line written in between is neither skipped
    // nor printed twice.
    const follower = new LogFollower(file, (chunk) => ctx.io.stdout.write(chunk));
    const head = follower.start();
    for (const line of tailLines(file, n, head)) write(ctx.io.stdout, line);
    await follow(follower);
    return 0;
  },
};

/** Polls every 200 ms until interrupted; rotations are followed by LogFollower. */
async function follow(follower: LogFollower): Promise<void> {
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 200));
      await follower.poll();
    }
  } finally {
    follower.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
