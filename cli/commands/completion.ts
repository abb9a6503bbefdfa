import { CliError, write, type Command } from '../command.js';
import { commandEntries, loadCommands } from './index.js';
import { GLOBAL_FLAGS, LEADING_FLAGS } from '../global-flags.js';
import type { FlagSpec } from '../args.js';

// `rcform completion bash|zsh`: a completion script written from the command list itself, so it
// offers exactly the commands, subcommands and flags that `rcform --help` shows. The script is
// static: a Tab never starts Node. After the command and its flags, files are offered.

const SHELLS = ['bash', 'zsh'] as const;

export const completionCommand: Command = {
  name: 'completion',
  readOnly: true,
  summary: 'Print a shell completion script for bash or zsh',
  description: `bash: add to ~/.bashrc
    source <(rcform completion bash)
or save it as a file bash-completion loads: rcform completion bash > ~/.local/share/bash-completion/completions/rcform

zsh: add to ~/.zshrc, after compinit
    source <(rcform completion zsh)
or save it as _rcform in a directory of $fpath.

Commands, subcommands (rcform state <Tab>) and each command's flags complete; other words complete
as file names. Regenerate the script after upgrading rcform.`,
  args: [{ name: 'SHELL', values: SHELLS }],
  flags: [],
  async run(ctx) {
    const shell = ctx.positionals[0] as string;
    if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(`completion takes bash or zsh, not "${shell}"`);
    const commands = await loadCommands(commandEntries);
    const tree = completionTree(commands);
    write(ctx.io.stdout, shell === 'bash' ? bashScript(tree) : zshScript(tree));
    return 0;
  },
};

interface Tree {
  /** First words a command line can start with, with what they do. */
  top: Array<[string, string]>;
  /** Group word → its subcommands' second words and summaries. */
  groups: Map<string, Array<[string, string]>>;
  /** Whole command name → its flags, as `--name`. */
  flags: Map<string, string[]>;
  /** `command --flag` → the values the flag takes. */
  flagValues: Map<string, readonly string[]>;
  /** Whole command name → the values its first argument takes. */
  argValues: Map<string, readonly string[]>;
  /** Names of more than one word, matched before one-word names. */
  multi: string[];
  globalFlags: string[];
}

function flagWords(flags: readonly FlagSpec[]): string[] {
  return flags.map((f) => `--${f.name}`);
}

export function completionTree(commands: readonly Command[]): Tree {
  const top = new Map<string, string>();
  const groups = new Map<string, Array<[string, string]>>();
  const flags = new Map<string, string[]>();
  const flagValues = new Map<string, readonly string[]>();
  const argValues = new Map<string, readonly string[]>();
  for (const c of commands) {
    for (const f of c.flags) if (f.values) flagValues.set(`${c.name} --${f.name}`, f.values);
    const first = c.args[0];
    if (first?.values) argValues.set(c.name, first.values);
    const parts = c.name.split(' ');
    const word = parts[0] as string;
    if (parts.length === 1) top.set(word, c.summary);
    else {
      if (!top.has(word)) top.set(word, `${word} subcommands`);
      const list = groups.get(word) ?? [];
      list.push([parts.slice(1).join(' '), c.summary]);
      groups.set(word, list);
    }
    flags.set(c.name, [...flagWords(c.flags), ...flagWords(GLOBAL_FLAGS)]);
  }
  top.set('help', 'Show help for a command');
  return {
    top: [...top],
    groups,
    flags,
    flagValues,
    argValues,
    multi: commands.filter((c) => c.name.includes(' ')).map((c) => c.name),
    globalFlags: flagWords(LEADING_FLAGS),
  };
}

/** A word safe inside single quotes in both shells. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function bashScript(t: Tree): string {
  const lines = [
    '# rcform completion for bash, written by "rcform completion bash".',
    '_rcform() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]}',
    '  local -a ws=()',
    '  local i w',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    // bash splits --out=FILE at the "=" (COMP_WORDBREAKS): the word after it is a value.
    '    if [[ $w == = ]]; then ((i++)); continue; fi',
    '    if [[ $w == -chdir || $w == --chdir ]]; then [[ ${COMP_WORDS[i+1]-} == = ]] || ((i++)); continue; fi',
    '    [[ $w == -* ]] && continue',
    '    ws+=("$w")',
    '  done',
    '  local cmd',
    '  case "${ws[0]-} ${ws[1]-}" in',
    `    ${t.multi.map(sq).join('|')}) cmd="\${ws[0]} \${ws[1]}" ;;`,
    '    *) cmd=${ws[0]-} ;;',
    '  esac',
    '  local opts',
    // The value of a flag that takes one of a few: after `--format ` or `--format=`.
    '  local prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  [[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD-2]-}',
    '  case "$cmd ${prev/#--/-}" in',
    ...[...t.flagValues].map(([key, v]) => `    ${sq(key.replace(' --', ' -'))}) COMPREPLY=($(compgen -W ${sq(v.join(' '))} -- "$cur")); return ;;`),
    '  esac',
    '  if [[ $cur == -* ]]; then',
    '    case $cmd in',
    ...[...t.flags].map(([name, f]) => `      ${sq(name)}) opts=${sq(f.join(' '))} ;;`),
    `      *) opts=${sq(t.globalFlags.join(' '))} ;;`,
    '    esac',
    '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    '    return',
    '  fi',
    '  case $cmd in',
    `    '' | help) COMPREPLY=($(compgen -W ${sq(t.top.map(([w]) => w).join(' '))} -- "$cur")) ;;`,
    ...[...t.argValues].map(([name, v]) => `    ${sq(name)}) ((\${#ws[@]} == ${name.split(' ').length})) && COMPREPLY=($(compgen -W ${sq(v.join(' '))} -- "$cur")) ;;`),
    ...[...t.groups].map(([g, subs]) =>
      `    ${sq(g)}) ((\${#ws[@]} == 1)) && COMPREPLY=($(compgen -W ${sq(subs.map(([w]) => w).join(' '))} -- "$cur"))${t.flags.has(g) ? '; COMPREPLY+=($(compgen -f -- "$cur"))' : ''} ;;`,
    ),
    '  esac',
    '}',
    // -o default: when nothing above matched, bash completes file names.
    'complete -o default -F _rcform rcform',
  ];
  return lines.join('\n') + '\n';
}

function zshScript(t: Tree): string {
  const described = (items: Array<[string, string]>): string => items.map(([w, d]) => sq(`${w.replace(/:/g, '\\:')}:${d}`)).join(' ');
  const lines = [
    '#compdef rcform',
    '# rcform completion for zsh, written by "rcform completion zsh".',
    '_rcform() {',
    '  local -a ws items',
    '  local i w cmd opts',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    w=${words[i]}',
    '    if [[ $w == -chdir || $w == --chdir ]]; then ((i++)); continue; fi',
    '    [[ $w == -* ]] && continue',
    '    ws+=("$w")',
    '  done',
    '  case "${ws[1]-} ${ws[2]-}" in',
    `    ${t.multi.map(sq).join('|')}) cmd="\${ws[1]} \${ws[2]}" ;;`,
    '    *) cmd=${ws[1]-} ;;',
    '  esac',
    '  local prev=${words[CURRENT-1]}',
    '  case "$cmd ${prev/#--/-}" in',
    ...[...t.flagValues].map(([key, v]) => `    ${sq(key.replace(' --', ' -'))}) compadd -- ${v.map(sq).join(' ')}; return ;;`),
    '  esac',
    '  if [[ ${words[CURRENT]} == -* ]]; then',
    '    case $cmd in',
    ...[...t.flags].map(([name, f]) => `      ${sq(name)}) opts=${sq(f.join(' '))} ;;`),
    `      *) opts=${sq(t.globalFlags.join(' '))} ;;`,
    '    esac',
    '    compadd -- ${=opts}',
    '    return',
    '  fi',
    '  case $cmd in',
    `    '' | help) items=(${described(t.top)}); _describe command items ;;`,
    ...[...t.argValues].map(([name, v]) => `    ${sq(name)}) ((\${#ws} == ${name.split(' ').length})) && compadd -- ${v.map(sq).join(' ')} ;;`),
    ...[...t.groups].map(([g, subs]) =>
      `    ${sq(g)}) if ((\${#ws} == 1)); then items=(${described(subs)}); _describe subcommand items; fi${t.flags.has(g) ? '; _files' : ''} ;;`,
    ),
    '    *) _files ;;',
    '  esac',
    '}',
    // Loaded from $fpath, the file is the function's body run on each completion; sourced, it
    // registers the function.
    'if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then',
    '  _rcform "$@"',
    'else',
    '  compdef _rcform rcform',
    'fi',
  ];
  return lines.join('\n') + '\n';
}
