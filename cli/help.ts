import type { FlagSpec } from './args.js';
import type { Command } from './command.js';
import { LEADING_FLAGS } from './global-flags.js';

export function mainHelp(commands: readonly Command[]): string {
  const lines = [
    'Usage: rcform [global options] COMMAND [options] [args]',
    '',
    'Describe supervised services in HCL, review a plan, apply exactly that plan.',
    '',
    'Commands:',
    ...commandLines(commands),
    '',
    'Global options:',
    ...flagLines(LEADING_FLAGS),
    '',
    'Flags may be written --flag=value, --flag value, or Terraform-style -flag=value.',
    'Run "rcform COMMAND --help" for a command\'s options.',
    '',
    'Environment:',
    '  RCFORM_LOG=debug|info|warn|error  log what the command does to stderr, with timestamps',
    '  RCFORM_VAR_NAME=VALUE             set the input variable NAME',
    '  RCFORM_LIVE=DIR                   the default live directory',
    '  RCFORM_INPUT=false                ask nothing, as -input=false',
    '  NO_COLOR                          never colour output',
  ];
  return lines.join('\n') + '\n';
}

/** `rcform state`: the commands of a group, each with its summary. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const lines = [
    `Usage: rcform [global options] ${group} SUBCOMMAND [options] [args]`,
    '',
    'Subcommands:',
    ...commandLines(commands),
    '',
    `Run "rcform ${group} SUBCOMMAND --help" for a subcommand's options.`,
  ];
  return lines.join('\n') + '\n';
}

/** A command's help; `subcommands` are the commands named after it (show → show compiled). */
export function commandHelp(cmd: Command, subcommands: readonly Command[] = []): string {
  const usageArgs = cmd.args
    .map((a) => (a.variadic ? `[${a.name}...]` : a.optional ? `[${a.name}]` : a.name))
    .join(' ');
  const lines = [`Usage: rcform ${cmd.name}${cmd.flags.length ? ' [options]' : ''}${usageArgs ? ' ' + usageArgs : ''}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description.trimEnd());
  if (cmd.flags.length) lines.push('', 'Options:', ...flagLines(cmd.flags));
  if (subcommands.length) lines.push('', 'Subcommands:', ...commandLines(subcommands));
  return lines.join('\n') + '\n';
}

function commandLines(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length), 8) + 2;
  return commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => {
    const value = f.type === 'boolean' ? '' : `=${f.valueName ?? (f.type === 'number' ? 'N' : 'VALUE')}`;
    return `${f.short ? `-${f.short}, ` : ''}--${f.name}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length), 10) + 2;
  return flags.map((f, i) => {
    const dflt = f.default !== undefined && f.type !== 'boolean' ? ` (default ${String(f.default)})` : '';
    return `  ${(left[i] as string).padEnd(width)}${f.description}${dflt}`;
  });
}
