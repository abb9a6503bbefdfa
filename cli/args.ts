// Command-line parsing. Flags may be written GNU-style (`--out=FILE`, `--out FILE`) or, as
// operators type them from Terraform habit, with a single dash (`-out=FILE`, `-json`). A single
// dash followed by one letter is a short flag. Parsing never throws: it returns a usage error.

import { suggest } from '../lang/eval/suggest.js';

export type FlagType = 'boolean' | 'string' | 'number' | 'list';

export interface FlagSpec {
  name: string;
  type: FlagType;
  description: string;
  short?: string;
  valueName?: string;
  /** The values it takes, when they are a fixed few: offered by shell completion. */
  values?: readonly string[];
  default?: string | number | boolean;
  /**
   * What a well-formed value is, beyond its type: returns what the flag takes (`takes a duration
   * such as 30s`) when `value` is not one. Checked as the command line is parsed, before the
   * command does any work, whether or not the command ends up using the value.
   */
  check?: (value: string | number) => string | undefined;
}

export interface ArgSpec {
  name: string;
  optional?: boolean;
  variadic?: boolean;
  /** The values it takes, when they are a fixed few: offered by shell completion. */
  values?: readonly string[];
}

export type FlagValue = string | number | boolean | string[];

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, FlagValue>;
}

export type ParseResult = { ok: true; value: ParsedArgs } | { ok: false; error: string };

const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

export function parseArgs(argv: readonly string[], flags: readonly FlagSpec[], args: readonly ArgSpec[]): ParseResult {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const out: ParsedArgs = { positionals: [], flags: {} };
  for (const f of flags) {
    if (f.default !== undefined) out.flags[f.name] = f.default;
    else if (f.type === 'list') out.flags[f.name] = [];
  }

  let i = 0;
  let onlyPositionals = false;
  while (i < argv.length) {
    const arg = argv[i++] as string;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      out.positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;

    let spec = byName.get(name);
    if (!spec && !long && name.length === 1) spec = byShort.get(name);
    if (!spec && name.startsWith('no-')) {
      // --no-refresh style negation of a boolean flag.
      const positive = byName.get(name.slice(3));
      if (positive?.type === 'boolean' && inline === undefined) {
        out.flags[positive.name] = false;
        continue;
      }
    }
    if (!spec) {
      const near = suggest(name, flags.map((f) => f.name));
      const dash = long ? '--' : '-';
      return { ok: false, error: `unknown flag ${dash}${name}${near ? `; did you mean ${dash}${near}?` : ''}` };
    }

    if (spec.type === 'boolean') {
      if (inline === undefined) {
        out.flags[spec.name] = true;
      } else {
        const b = BOOL_WORDS[inline.toLowerCase()];
        if (b === undefined) return { ok: false, error: `flag --${spec.name} takes true or false, not "${inline}"` };
        out.flags[spec.name] = b;
      }
      continue;
    }
    if (inline === undefined) {
      if (i >= argv.length) return { ok: false, error: `flag --${spec.name} needs a value` };
      inline = argv[i++] as string;
    }
    if (spec.type === 'number') {
      const n = Number(inline);
      if (inline.trim() === '' || !Number.isFinite(n)) return { ok: false, error: `flag --${spec.name} takes a number, not "${inline}"` };
      const takes = spec.check?.(n);
      if (takes !== undefined) return { ok: false, error: `flag --${spec.name} ${takes}, not ${inline}` };
      out.flags[spec.name] = n;
    } else if (spec.type === 'list') {
      (out.flags[spec.name] as string[]).push(inline);
    } else {
      const takes = spec.check?.(inline);
      if (takes !== undefined) return { ok: false, error: `flag --${spec.name} ${takes}, not "${inline}"` };
      out.flags[spec.name] = inline;
    }
  }

  const required = args.filter((a) => !a.optional && !a.variadic).length;
  const variadic = args.some((a) => a.variadic);
  if (out.positionals.length < required) {
    const missing = args.filter((a) => !a.optional && !a.variadic)[out.positionals.length];
    return { ok: false, error: `missing argument ${missing?.name ?? ''}`.trim() };
  }
  if (!variadic && out.positionals.length > args.length) {
    return { ok: false, error: `unexpected argument "${out.positionals[args.length]}"` };
  }
  return { ok: true, value: out };
}

/** Parses a duration such as "250ms", "5s", "2m", "1h" (or a bare number of milliseconds) into ms. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}
