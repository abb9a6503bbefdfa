import { parseArgs } from './args.js';
import { guardProcessOutput } from './closed-output.js';
import { CliError, write, type Command, type Io } from './command.js';
import { commandEntries, loadCommands, type CommandEntry } from './commands/index.js';
import { GLOBAL_FLAGS } from './global-flags.js';
import { commandHelp, mainHelp } from './help.js';
import { rcformVersion } from './version.js';

// Dispatch: find the command whose words match the longest prefix of argv, parse its flags,
// run it. Usage errors are one line on stderr and exit 1; no stack trace unless RCFORM_DEBUG.

export async function runCli(argv: readonly string[], io: Io, entries: readonly CommandEntry[] = commandEntries): Promise<number> {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  // Leading global flags (`rcform -no-color plan`).
  const leading: string[] = [];
  while (i < argv.length && (argv[i] as string).startsWith('-') && argv[i] !== '-') leading.push(argv[i++] as string);
  const remaining = argv.slice(i);

  let entry: CommandEntry | undefined;
  for (let n = Math.min(remaining.length, 3); n >= 1 && !entry; n--) {
    const name = remaining.slice(0, n).join(' ');
    entry = entries.find((c) => c.name === name);
    if (entry) {
      words.push(...remaining.slice(0, n));
      rest.push(...remaining.slice(n));
    }
  }

  const globals = parseArgs(leading, GLOBAL_FLAGS, []);
  if (!globals.ok) return usageError(io, `${globals.error} (see "rcform --help")`);
  if (globals.value.flags['no-color']) io.color = false;

  if (!entry) {
    if (globals.value.flags['version']) {
      write(io.stdout, `rcform v${rcformVersion()}`);
      return 0;
    }
    if (remaining.length === 0 || globals.value.flags['help'] || remaining[0] === 'help') {
      const topic = remaining[0] === 'help' ? remaining.slice(1).join(' ') : '';
      const target = topic ? entries.find((c) => c.name === topic) : undefined;
      if (topic && !target) return usageError(io, `unknown command "${topic}" (see "rcform --help")`);
      io.stdout.write(target ? commandHelp(await target.load()) : mainHelp(await loadCommands(entries)));
      return remaining.length === 0 && !globals.value.flags['help'] ? 1 : 0;
    }
    const group = entries.filter((c) => c.name.startsWith(remaining[0] + ' '));
    if (group.length > 0) {
      const sub = remaining[1];
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === '-help') {
        io.stdout.write(mainHelp(await loadCommands(group)));
        return sub === undefined ? 1 : 0;
      }
      return usageError(io, `unknown command "${remaining[0]} ${sub}" (see "rcform ${remaining[0]} --help")`);
    }
    return usageError(io, `unknown command "${remaining[0]}" (see "rcform --help")`);
  }

  const cmd: Command = await entry.load();
  const parsed = parseArgs(rest, [...cmd.flags, ...GLOBAL_FLAGS], cmd.args);
  const wantsHelp = rest.some((a) => a === '--help' || a === '-help' || a === '-h');
  if (wantsHelp) {
    io.stdout.write(commandHelp(cmd));
    return 0;
  }
  if (!parsed.ok) return usageError(io, `${parsed.error} (see "rcform ${cmd.name} --help")`);
  if (parsed.value.flags['no-color']) io.color = false;
  const readOnly = typeof cmd.readOnly === 'function' ? cmd.readOnly(parsed.value.flags) : cmd.readOnly === true;
  io.closedOutput = readOnly ? 'exit' : 'continue';

  try {
    return await cmd.run({ positionals: parsed.value.positionals, flags: parsed.value.flags, io });
  } catch (err) {
    if (err instanceof CliError) {
      write(io.stderr, `Error: ${err.message}`);
      return err.exitCode;
    }
    const e = err as Error;
    write(io.stderr, `rcform ${words.join(' ')}: internal error: ${e?.message ?? String(err)}`);
    if (io.env['RCFORM_DEBUG']) write(io.stderr, e?.stack ?? '');
    return 1;
  }
}

function usageError(io: Io, message: string): number {
  write(io.stderr, `rcform: ${message}`);
  return 1;
}

/** The process's own streams, guarded so that a closed pipe is never a crash. */
export function processIo(): Io {
  const env = process.env;
  const io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env,
    cwd: process.cwd(),
    color: Boolean(process.stdout.isTTY) && !('NO_COLOR' in env && env['NO_COLOR'] !== ''),
    // Help and usage errors change nothing.
    closedOutput: 'exit',
  };
  guardProcessOutput(() => io.closedOutput ?? 'exit');
  return io;
}
