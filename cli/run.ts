import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.js';
import { guardProcessOutput } from './closed-output.js';
import { CliError, write, type Command, type Io } from './command.js';
import { commandEntries, loadCommands, type CommandEntry } from './commands/index.js';
import { GLOBAL_FLAGS, LEADING_FLAGS } from './global-flags.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';
import { configureLog, logDebug, logEnabled, logInfo } from './log.js';
import { rcformVersion, versionLine } from './version.js';
import { suggest } from '../lang/eval/suggest.js';
import { DiagnosticsError } from '../lang/diagnostic.js';
import { UserError } from '../lang/user-error.js';

// Dispatch: find the command whose words match the longest prefix of argv, parse its flags,
// run it. Usage errors are one line on stderr and exit 1. Every UserError, whichever layer threw
// it, is printed here (cli/user-errors.ts adds the hints); anything else is an internal error,
// with its stack under RCFORM_LOG=debug (or RCFORM_DEBUG, its older name).

export async function runCli(argv: readonly string[], io: Io, entries: readonly CommandEntry[] = commandEntries): Promise<number> {
  const logWarning = configureLog(io.env, io.stderr);
  if (logWarning) write(io.stderr, `Warning: ${logWarning}`);
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  // Leading global flags (`rcform -chdir=DIR -no-color plan`). A value flag written with a space
  // (`-chdir DIR`) takes the next word with it.
  const leading: string[] = [];
  while (i < argv.length && (argv[i] as string).startsWith('-') && argv[i] !== '-') {
    const arg = argv[i++] as string;
    leading.push(arg);
    if (/^--?chdir$/.test(arg) && i < argv.length) leading.push(argv[i++] as string);
  }
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

  const globals = parseArgs(leading, LEADING_FLAGS, []);
  if (!globals.ok) return usageError(io, `${globals.error} (see "rcform --help")`);
  if (globals.value.flags['no-color']) io.color = false;
  const chdir = globals.value.flags['chdir'];
  if (typeof chdir === 'string') {
    const dir = path.resolve(io.cwd, chdir);
    let isDir = false;
    try {
      isDir = fs.statSync(dir).isDirectory();
    } catch {
      return usageError(io, `-chdir=${chdir}: no such directory`);
    }
    if (!isDir) return usageError(io, `-chdir=${chdir}: not a directory`);
    io.cwd = dir;
  }
  logInfo(`${versionLine()}; cwd ${io.cwd}`);

  if (!entry) {
    if (globals.value.flags['version']) {
      write(io.stdout, `rcform v${rcformVersion()}`);
      return 0;
    }
    const groups = (word: string | undefined): readonly CommandEntry[] => (word === undefined ? [] : entries.filter((c) => c.name.startsWith(word + ' ')));
    if (remaining.length === 0 || globals.value.flags['help'] || remaining[0] === 'help') {
      const topic = remaining[0] === 'help' ? remaining.slice(1).join(' ') : '';
      if (topic) {
        const target = entries.find((c) => c.name === topic);
        const group = groups(topic);
        if (target) io.stdout.write(commandHelp(await target.load(), await loadCommands(group)));
        else if (group.length > 0) io.stdout.write(groupHelp(topic, await loadCommands(group)));
        else return usageError(io, `${unknownCommand(topic, entries)} (see "rcform --help")`);
        return 0;
      }
      io.stdout.write(mainHelp(await loadCommands(entries)));
      return remaining.length === 0 && !globals.value.flags['help'] ? 1 : 0;
    }
    const group = groups(remaining[0]);
    if (group.length > 0) {
      const sub = remaining[1];
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === '-help') {
        io.stdout.write(groupHelp(remaining[0] as string, await loadCommands(group)));
        return sub === undefined ? 1 : 0;
      }
      return usageError(io, `${unknownCommand(`${remaining[0]} ${sub}`, entries)} (see "rcform ${remaining[0]} --help")`);
    }
    return usageError(io, `${unknownCommand(remaining[0] as string, entries)} (see "rcform --help")`);
  }

  const cmd: Command = await entry.load();
  const parsed = parseArgs(rest, [...cmd.flags, ...GLOBAL_FLAGS], cmd.args);
  // `rcform -help plan`, as `terraform -help plan`, is plan's help too.
  const wantsHelp = globals.value.flags['help'] === true || rest.some((a) => a === '--help' || a === '-help' || a === '-h');
  if (wantsHelp) {
    io.stdout.write(commandHelp(cmd, await loadCommands(entries.filter((c) => c.name.startsWith(cmd.name + ' ')))));
    return 0;
  }
  if (!parsed.ok) {
    // -chdir after the command would otherwise be "unknown flag": say where it goes.
    if (/^unknown flag --?chdir\b/.test(parsed.error)) return usageError(io, `-chdir goes before the command: rcform -chdir=DIR ${cmd.name} ...`);
    return usageError(io, `${parsed.error} (see "rcform ${cmd.name} --help")`);
  }
  if (parsed.value.flags['no-color']) io.color = false;
  const readOnly = typeof cmd.readOnly === 'function' ? cmd.readOnly(parsed.value.flags) : cmd.readOnly === true;
  io.closedOutput = readOnly ? 'exit' : 'continue';

  const started = performance.now();
  logInfo(`command ${cmd.name}${parsed.value.positionals.length ? ` ${parsed.value.positionals.map((p) => JSON.stringify(p)).join(' ')}` : ''}`);
  try {
    const code = await cmd.run({ positionals: parsed.value.positionals, flags: parsed.value.flags, io });
    logInfo(`command ${cmd.name} ended with exit status ${code} after ${(performance.now() - started).toFixed(0)} ms`);
    return code;
  } catch (err) {
    if (err instanceof UserError) {
      logDebug(`command ${cmd.name} failed (${err.kind}): ${err.message}`);
      if (err instanceof DiagnosticsError) {
        // Loaded only here: most runs end without diagnostics, and every command loads this module.
        const { colorFor, renderDiagnostics } = await import('./views/diagnostics-human.js');
        write(io.stderr, renderDiagnostics(err.diagnostics, err.sources, { color: colorFor(io, io.stderr) }));
      } else {
        // Loaded only now: the hints know every layer's error classes, which a command that succeeds never needs.
        const { userErrorText } = await import('./user-errors.js');
        write(io.stderr, `Error: ${userErrorText(err)}`);
      }
      return exitStatusOf(err);
    }
    const e = err as Error;
    write(io.stderr, `rcform ${words.join(' ')}: internal error: ${e?.message ?? String(err)}`);
    if (io.env['RCFORM_DEBUG'] || logEnabled('debug')) write(io.stderr, e?.stack ?? '');
    return 1;
  }
}

/** `unknown command "plna"; did you mean "plan"?` — against whole names and group words. */
function unknownCommand(given: string, entries: readonly CommandEntry[]): string {
  const names = new Set<string>();
  for (const e of entries) {
    names.add(e.name);
    const first = e.name.split(' ')[0] as string;
    names.add(first);
  }
  const near = suggest(given, names);
  return `unknown command "${given}"${near ? `; did you mean "${near}"?` : ''}`;
}

/** Every user error's exit status, by kind: all are 1, as Terraform's errors are, unless a command's own status says more. */
function exitStatusOf(err: UserError): number {
  if (err instanceof CliError) return err.exitCode;
  return 1;
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
