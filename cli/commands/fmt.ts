import fs from 'node:fs';
import path from 'node:path';
import { formatPatch, structuredPatch, FILE_HEADERS_ONLY } from 'diff';
import { CliError, flagBool, write, type Command, type CommandContext } from '../command.js';
import { formatHcl } from '../../lang/hcl/format.js';
import { decodeUtf8 } from '../../lang/hcl/utf8.js';
import type { Diagnostic } from '../../lang/diagnostic.js';
import { colorFor, renderDiagnostics } from '../views/diagnostics-human.js';
import { append } from '../../lang/append.js';
import { atomicWriteFileSync } from '../../state/atomic-write.js';

// `rcform fmt` behaves as `terraform fmt` does, flag for flag and exit code for exit code, so that
// CI scripts written for one work for the other: exit 0 when done, 3 when `--check` finds files to
// reformat, 2 when a file cannot be read or parsed (such a file is never rewritten).

const EXIT_ERRORS = 2;
const EXIT_CHECK_FAILED = 3;

export const fmtCommand: Command = {
  name: 'fmt',
  summary: 'Rewrite .hcl files in the canonical style of terraform fmt',
  description: `Rewrites service definitions in the canonical layout: two spaces of indent per nesting
level, "=" aligned across consecutive one-line attributes, normalised spacing inside expressions.
Comments and heredoc contents are kept as written. A file with a syntax error is reported and left
untouched.

With no PATH, formats the .hcl files in the current directory. A PATH may be a file or a
directory (its .hcl files; --recursive descends into subdirectories). "-" reads standard input
and writes the result to standard output.

Exit status: 0 on success, 3 if --check found files that need formatting, 2 on read or syntax
errors, 1 on usage errors.`,
  args: [{ name: 'PATH', variadic: true }],
  flags: [
    { name: 'list', type: 'boolean', default: true, description: 'List files whose formatting changed (--list=false to silence; never with stdin)' },
    { name: 'write', type: 'boolean', default: true, description: 'Write the result back to the files (--write=false to leave them; never with stdin or --check)' },
    { name: 'diff', type: 'boolean', description: 'Print a unified diff of the changes' },
    { name: 'check', type: 'boolean', description: 'Only check: list files that need formatting and exit 3 if there are any' },
    { name: 'recursive', type: 'boolean', description: 'Also process .hcl files in subdirectories' },
  ],
  run: runFmt,
};

interface Options {
  list: boolean;
  write: boolean;
  diff: boolean;
  recursive: boolean;
}

interface Outcome {
  changed: string[];
  diagnostics: Diagnostic[];
  sources: Record<string, string>;
}

async function runFmt(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const check = flagBool(ctx, 'check');
  const opts: Options = {
    list: flagBool(ctx, 'list'),
    write: flagBool(ctx, 'write'),
    diff: flagBool(ctx, 'diff'),
    recursive: flagBool(ctx, 'recursive'),
  };
  const fromStdin = ctx.positionals[0] === '-';
  if (fromStdin && ctx.positionals.length > 1) throw new CliError('"-" (standard input) cannot be combined with other paths');
  if (ctx.positionals.slice(1).includes('-')) throw new CliError('"-" (standard input) must be the only path');

  const showList = opts.list && !fromStdin;
  if (fromStdin) {
    opts.list = false;
    opts.write = false;
  }
  if (check) {
    opts.list = true;
    opts.write = false;
  }

  const outcome: Outcome = { changed: [], diagnostics: [], sources: {} };
  let out = '';
  if (fromStdin) {
    const source = await readAll(io.stdin);
    out += processSource('<stdin>', source, opts, outcome, check, true);
  } else {
    const paths = ctx.positionals.length > 0 ? ctx.positionals : ['.'];
    for (const given of paths) {
      const abs = path.resolve(io.cwd, given);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch {
        outcome.diagnostics.push({ severity: 'error', summary: `No file or directory at ${given}` });
        break;
      }
      if (stat.isDirectory()) {
        for (const file of hclFilesIn(abs, given, opts.recursive, outcome)) out += processFile(file, opts, outcome, check);
      } else if (given.endsWith('.hcl')) {
        out += processFile({ abs, shown: given }, opts, outcome, check);
      } else {
        outcome.diagnostics.push({ severity: 'error', summary: `Only .hcl files can be processed with rcform fmt, not ${given}` });
      }
    }
  }

  // With --check the list is what the user asked for; without it, files are listed as they change.
  if (!check || showList) io.stdout.write(out);
  if (outcome.diagnostics.length > 0) {
    write(io.stderr, renderDiagnostics(outcome.diagnostics, outcome.sources, { color: colorFor(io, io.stderr) }));
    return EXIT_ERRORS;
  }
  if (check && outcome.changed.length > 0) return EXIT_CHECK_FAILED;
  return 0;
}

interface FoundFile {
  abs: string;
  /** The path as the user would write it: relative to what they named on the command line. */
  shown: string;
}

/** The .hcl files of a directory, in name order, skipping editor and hidden files as terraform does. */
function hclFilesIn(dirAbs: string, dirShown: string, recursive: boolean, outcome: Outcome): FoundFile[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dirAbs, { withFileTypes: true });
  } catch (err) {
    outcome.diagnostics.push({ severity: 'error', summary: `Cannot read directory ${dirShown}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: FoundFile[] = [];
  for (const entry of entries) {
    if (isIgnored(entry.name)) continue;
    const abs = path.join(dirAbs, entry.name);
    const shown = path.join(dirShown, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const st = fs.statSync(abs);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // a dangling link is not a service definition
      }
    }
    if (isDir) {
      if (recursive) found.push(...hclFilesIn(abs, shown, recursive, outcome));
    } else if (isFile && entry.name.endsWith('.hcl')) {
      found.push({ abs, shown });
    }
  }
  return found;
}

function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~') || name.endsWith('~') || (name.startsWith('#') && name.endsWith('#'));
}

function processFile(file: FoundFile, opts: Options, outcome: Outcome, check: boolean): string {
  const shown = file.shown;
  let source: string;
  try {
    source = decodeUtf8(fs.readFileSync(file.abs));
  } catch (err) {
    outcome.diagnostics.push({ severity: 'error', summary: `Failed to read ${shown}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    return '';
  }
  return processSource(shown, source, opts, outcome, check, false, file.abs);
}

function processSource(shown: string, source: string, opts: Options, outcome: Outcome, check: boolean, toStdout: boolean, abs?: string): string {
  outcome.sources[shown] = source;
  const result = formatHcl(source, shown);
  if ('diagnostics' in result) {
    append(outcome.diagnostics, result.diagnostics);
    return '';
  }
  const formatted = result.output;
  let out = '';
  if (formatted !== source) {
    outcome.changed.push(shown);
    if (opts.list) out += shown + '\n';
    if (opts.write && abs) {
      try {
        writeInPlace(abs, formatted);
      } catch (err) {
        outcome.diagnostics.push({ severity: 'error', summary: `Failed to write ${shown}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        return out;
      }
    }
    if (opts.diff) out += unifiedDiff(shown, source, formatted);
  }
  if (toStdout && !opts.list && !opts.write && !opts.diff && !check) out += formatted;
  return out;
}

/**
 * Replaces the file through a rename so an interrupted fmt never leaves a half-written file; a
 * source file reached through a symlink is formatted where it is, keeping its mode. No fsync, as
 * an editor saving it would not.
 */
function writeInPlace(abs: string, text: string): void {
  const target = fs.realpathSync(abs);
  atomicWriteFileSync(target, text, { policy: 'replace-only', mode: fs.statSync(target).mode & 0o7777 });
}

function unifiedDiff(shown: string, before: string, after: string): string {
  const patch = structuredPatch(`old/${shown}`, `new/${shown}`, before, after, undefined, undefined, { context: 3 });
  const text = formatPatch(patch, FILE_HEADERS_ONLY);
  return text.endsWith('\n') ? text : text + '\n';
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(decodeUtf8(Buffer.concat(chunks))));
    stream.on('error', reject);
  });
}
