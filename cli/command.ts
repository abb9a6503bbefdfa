import type { ArgSpec, FlagSpec, FlagValue } from './args.js';
import type { ClosedOutputPolicy } from './closed-output.js';
import { UserError, type UserErrorKind } from '../lang/user-error.js';

// Every subcommand is one file under cli/commands/ exporting a Command; cli/commands/index.ts
// lists them. Commands return an exit code and signal user errors with CliError, which main
// prints as one line; anything else is a bug and is reported as such.

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Colour allowed on stdout: a TTY, no NO_COLOR, no --no-color. */
  color: boolean;
  /** What a closed stdout or stderr does (cli/closed-output.ts); set by the dispatcher per command. */
  closedOutput?: ClosedOutputPolicy;
}

export interface CommandContext {
  positionals: string[];
  flags: Record<string, FlagValue>;
  io: Io;
}

export interface Command {
  /** One or more words: "plan", "state list", "import s6-rc". */
  name: string;
  summary: string;
  /** Longer help text shown by `rcform NAME --help`. */
  description?: string;
  args: ArgSpec[];
  flags: FlagSpec[];
  /**
   * The command changes nothing (or, as a function, not with these flags), so a closed output may
   * end it at once. Any other command runs to its end when its output goes away.
   */
  readOnly?: boolean | ((flags: Record<string, FlagValue>) => boolean);
  run(ctx: CommandContext): Promise<number>;
}

/** A user error found by the CLI itself; `exitCode` is for the few commands whose status carries meaning beyond "failed". */
export class CliError extends UserError {
  constructor(
    message: string,
    readonly exitCode = 1,
    kind: UserErrorKind = 'usage',
  ) {
    super(kind, message);
    this.name = 'CliError';
  }
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

export function flagString(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function flagBool(ctx: CommandContext, name: string): boolean {
  return ctx.flags[name] === true;
}

export function flagList(ctx: CommandContext, name: string): string[] {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v : [];
}

export function flagNumber(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.flags[name];
  return typeof v === 'number' ? v : undefined;
}
