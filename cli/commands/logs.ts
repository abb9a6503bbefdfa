import { CliError, flagBool, flagNumber, write, type Command, type CommandContext } from '../command.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { serviceLog } from '../../engine/open-engine.js';
import { serviceNameProblem } from '../../engine/safe-names.js';
import { engineConfigOf } from '../engine-config.js';

export const logsCommand: Command = {
  name: 'logs',
  readOnly: true,
  summary: "Print services' logs (stdout and stderr), optionally following them",
  description: [
    'Prints the last N lines of each SERVICE\'s log, across rotated files. With several services,',
    'each line starts with its service\'s name, and the tails are printed one service after another.',
    'With -f, keeps printing what the services write, through rotations, as it arrives, until',
    'interrupted. --timestamps (-t) starts each line with when it was written: a followed line',
    'with the time it was read (within the 0.2 s poll), a line already in the log with the time by',
    'which the embedded supervisor saw the log hold it (its size is checked every second), or on',
    'the s6 engine the time s6-log stamped it with. Lines the supervisor has not seen yet show "-".',
  ].join('\n'),
  args: [{ name: 'SERVICE', variadic: true }],
  flags: [
    LIVE_FLAG,
    { name: 'follow', short: 'f', type: 'boolean', description: 'Keep printing new lines until interrupted' },
    { name: 'lines', short: 'n', type: 'number', valueName: 'N', description: 'How many lines to print first, per service', default: 50 },
    { name: 'timestamps', short: 't', type: 'boolean', description: 'Start each line with when it was written' },
  ],
  async run(ctx) {
    const names = ctx.positionals;
    if (names.length === 0) throw new CliError('rcform logs needs at least one SERVICE');
    const liveDir = liveDirOf(ctx);
    // A name is a directory under the engine's logs: "../" would read a file outside it.
    for (const name of names) {
      const bad = serviceNameProblem(name);
      if (bad) throw new CliError(`${bad}; no log was read`);
    }
    const config = engineConfigOf(liveDir);
    const n = flagNumber(ctx, 'lines') ?? 50;
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--lines takes a whole number, not ${n}`);
    const following = flagBool(ctx, 'follow');
    const logs = names.map((name) => ({ name, log: serviceLog(liveDir, config, name) }));
    const missing: string[] = [];
    for (const l of logs) if (!(await l.log.exists())) missing.push(`"${l.name}"`);
    if (missing.length > 0 && !following) throw new CliError(`no log for service ${missing.join(', ')} in ${liveDir}`);
    const fmt = lineFormat(ctx, names);
    if (!following) {
      for (const l of logs) for (const line of await l.log.tail(n)) write(ctx.io.stdout, fmt(l.name, line.text, line.at));
      return 0;
    }
    // One service without times: its text as it comes, a line still being written included.
    const raw = names.length === 1 && !flagBool(ctx, 'timestamps');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      // Each tail ends exactly where its follow begins (ServiceLog.follow); tails come one service after another.
      await Promise.all(
        logs.map((l) =>
          l.log.follow(n, (tail) => tail.forEach((line) => write(ctx.io.stdout, fmt(l.name, line.text, line.at))), {
            signal: stop.signal,
            onLine: (line) => ctx.io.stdout.write(fmt(l.name, line.text, line.at ?? new Date().toISOString()) + '\n'),
            ...(raw ? { onText: (text: string) => ctx.io.stdout.write(text) } : {}),
          }),
        ),
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
};

/** How a line is printed: the service's name when there are several, the time with -t ("-" when unknown). */
function lineFormat(ctx: CommandContext, names: readonly string[]): (name: string, line: string, at: string | undefined) => string {
  const width = Math.max(...names.map((s) => s.length));
  const several = names.length > 1;
  const stamps = flagBool(ctx, 'timestamps');
  const blank = '-'.padEnd(new Date(0).toISOString().length);
  return (name, line, at) => {
    const time = stamps ? `${at ?? blank} ` : '';
    return several ? `${time}${name.padEnd(width)} | ${line}` : `${time}${line}`;
  };
}
