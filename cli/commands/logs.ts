import { CliError, flagBool, flagNumber, write, type Command, type CommandContext } from '../command.js';
import { LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { serviceLogFile } from '../../engine/open-engine.js';
import { serviceNameProblem } from '../../engine/safe-names.js';
import { logGenerations, tailLinesTimed } from '../../engine/embedded/log-file.js';
import { engineConfigOf } from '../engine-config.js';
import { LogFollower } from '../../engine/log-follower.js';

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
    'which the embedded supervisor saw the log hold it (its size is checked every second). Lines',
    'the supervisor has not seen yet, and the s6 engine\'s logs, show "-".',
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
    const files = names.map((name) => ({ name, file: serviceLogFile(liveDir, config, name) }));
    const missing = files.filter((f) => logGenerations(f.file).length === 0).map((f) => `"${f.name}"`);
    if (missing.length > 0 && !following) throw new CliError(`no log for service ${missing.join(', ')} in ${liveDir}`);
    const fmt = lineFormat(ctx, names);
    if (!following) {
      for (const f of files) for (const l of tailLinesTimed(f.file, n)) write(ctx.io.stdout, fmt(f.name, l.line, l.at));
      return 0;
    }
    // Each tail ends exactly where its follow begins: a line written in between is neither skipped
    // nor printed twice.
    // One service without times: its bytes as they come, a line still being written included.
    const raw = names.length === 1 && !flagBool(ctx, 'timestamps');
    const followers = files.map((f) => {
      const lines = new LineSplitter((line) => ctx.io.stdout.write(fmt(f.name, line, new Date().toISOString()) + '\n'));
      const follower = new LogFollower(f.file, raw ? (chunk) => ctx.io.stdout.write(chunk) : (chunk) => lines.push(chunk));
      return { ...f, follower, head: follower.start() };
    });
    for (const f of followers) for (const l of tailLinesTimed(f.file, n, f.head)) write(ctx.io.stdout, fmt(f.name, l.line, l.at));
    await follow(followers.map((f) => f.follower));
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

/** Chunks to whole lines; a line still being written waits for its newline. */
class LineSplitter {
  private rest = '';
  constructor(private readonly out: (line: string) => void) {}
  push(chunk: Buffer): void {
    const text = this.rest + chunk.toString('utf8');
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.out(p);
  }
}

/** Polls every 200 ms until interrupted; rotations are followed by LogFollower. */
async function follow(followers: LogFollower[]): Promise<void> {
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 200));
      for (const f of followers) await f.poll();
    }
  } finally {
    for (const f of followers) f.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
