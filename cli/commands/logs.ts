import { CliError, flagBool, flagNumber, write, type Command } from '../command.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { serviceLogFile } from '../../engine/open-engine.js';
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
    const file = serviceLogFile(liveDir, engineConfigOf(liveDir), name);
    const n = flagNumber(ctx, 'lines') ?? 50;
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--lines takes a whole number, not ${n}`);
    if (logGenerations(file).length === 0 && !flagBool(ctx, 'follow')) throw new CliError(`no log for service "${name}" in ${liveDir}`);
    for (const line of tailLines(file, n)) write(ctx.io.stdout, line);
    if (!flagBool(ctx, 'follow')) return 0;
    await follow(file, ctx.io.stdout);
    return 0;
  },
};

/** Polls every 200 ms until interrupted; rotations are followed by LogFollower. */
async function follow(file: string, out: NodeJS.WritableStream): Promise<void> {
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const follower = new LogFollower(file, (chunk) => out.write(chunk));
  try {
    follower.start();
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
