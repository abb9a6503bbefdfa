import path from 'node:path';
import { LIVE_FLAG, openLiveDir } from '../live-flags.js';
import { CliError, flagBool, flagString, write, type Command, type CommandContext } from '../command.js';
import { readCompiledDb } from '../compiled-db-file.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import {
  DbQueryError,
  LIST_KINDS,
  allDependencies,
  atomics,
  closure,
  contents,
  dependencies,
  listNames,
  lookup,
  oneshotScript,
  pipeline,
  timeoutMs,
  typeOf,
  type Direction,
  type ListKind,
} from '../../lang/compile/db-query.js';
import { SENSITIVE_SHORT, isSensitivePath, redactDefinition } from '../../lang/redact.js';
import { renderBundleDetail, renderCommand, renderDbSummary, renderNames, renderServiceDetail } from '../views/compiled-view.js';

// `rcform show compiled` is s6-rc-db for rcform's compiled database: the same questions, the same
// vocabulary (-u/-d pick the direction), the same exit codes for a missing name (3), a corrupt
// database (4) and a name of the wrong type (5), and answers one name per line so they feed
// shell loops. --json gives the same answers as data, with values that came from sensitive
// variables masked as the human view masks them, unless --show-sensitive asks for them.

const EXIT_NOT_FOUND = 3;
const EXIT_WRONG_TYPE = 5;

const QUERIES = ['list', 'type', 'contents', 'atomics', 'dependencies', 'all-dependencies', 'pipeline', 'timeout', 'script'] as const;
type Query = (typeof QUERIES)[number];

export const showCompiledCommand: Command = {
  name: 'show compiled',
  readOnly: true,
  summary: 'Inspect a compiled database: services by type, definitions, dependencies, bundles',
  description: `With only FILE, lists every service by type. With a SERVICE, shows its definition, its
dependencies in both directions and the bundles it belongs to. The query flags answer one
question each, as s6-rc-db does, printing one name per line:

  --list=all|services|longruns|oneshots|bundles   names of that kind
  --type SERVICE                                  longrun, oneshot or bundle
  --contents BUNDLE                               the atomic services a bundle stands for
  --atomics SERVICE...                            bundles resolved to atomic services
  --dependencies SERVICE                          direct dependencies (-d: direct dependents)
  --all-dependencies SERVICE...                   everything needed, the services included
                                                  (-d: everything that must stop first)
  --pipeline LONGRUN                              its pipeline, producers first
  --timeout SERVICE                               up timeout in ms (-d: down timeout)
  --script ONESHOT                                its up command (-d: down command)

With --live DIR, or with no FILE at all, reads the database that is live: the one the last apply
of the live directory (--live, else $RCFORM_LIVE, else the default) installed, as "s6-rc-db -l"
reads a live directory's; every argument is then a SERVICE.

Exit status: 0 on success, 1 on a usage error, 3 when a name is not in the database, 4 when the
file is not a valid compiled database, 5 when a name has the wrong type for the query.

Values that came from sensitive variables print as "(sensitive)", in the JSON view and in --script
too; --show-sensitive prints them in --json and --script answers (the tables stay masked).`,
  args: [{ name: 'FILE', optional: true }, { name: 'SERVICE', variadic: true, optional: true }],
  flags: [
    { name: 'list', type: 'string', valueName: 'KIND', description: 'List names of a kind: all, services, longruns, oneshots, bundles' },
    { name: 'type', type: 'boolean', description: "Print the service's type" },
    { name: 'contents', type: 'boolean', description: "Print a bundle's atomic members" },
    { name: 'atomics', type: 'boolean', description: 'Resolve services and bundles to atomic services' },
    { name: 'dependencies', type: 'boolean', description: 'Print direct dependencies (with -d, direct reverse dependencies)' },
    { name: 'all-dependencies', type: 'boolean', description: 'Print the full dependency closure, services included (with -d, reversed)' },
    { name: 'pipeline', type: 'boolean', description: 'Print the pipeline a longrun belongs to, producers first' },
    { name: 'timeout', type: 'boolean', description: 'Print the up timeout in ms (with -d, the down timeout)' },
    { name: 'script', type: 'boolean', description: "Print a oneshot's up command (with -d, its down command)" },
    { name: 'up', short: 'u', type: 'boolean', description: 'Answer for bringing services up (the default)' },
    { name: 'down', short: 'd', type: 'boolean', description: 'Answer for bringing services down' },
    { name: 'json', type: 'boolean', description: 'Print the answer as JSON' },
    { name: 'show-sensitive', type: 'boolean', description: 'Print values from sensitive variables in --json and --script answers instead of masking them' },
    { ...LIVE_FLAG, description: 'Read the database live in this live directory (the default when no FILE is given)' },
  ],
  async run(ctx) {
    const query = selectedQuery(ctx);
    if (flagBool(ctx, 'up') && flagBool(ctx, 'down')) throw new CliError('-u and -d cannot be used together');
    const direction: Direction = flagBool(ctx, 'down') ? 'down' : 'up';
    const fromLive = flagString(ctx, 'live') !== undefined || ctx.positionals.length === 0;
    const [file, ...rest] = ctx.positionals as [string, ...string[]];
    const names = fromLive ? ctx.positionals : rest;
    const db = fromLive ? readLiveDb(ctx) : readCompiledDb(path.resolve(ctx.io.cwd, file));
    const json = flagBool(ctx, 'json');
    try {
      const out = answer(db, query, names, direction, json, flagString(ctx, 'list'), flagBool(ctx, 'show-sensitive'));
      ctx.io.stdout.write(out);
      return 0;
    } catch (err) {
      if (err instanceof DbQueryError) {
        write(ctx.io.stderr, `Error: ${err.message}`);
        return err.reason === 'not-found' ? EXIT_NOT_FOUND : EXIT_WRONG_TYPE;
      }
      throw err;
    }
  },
};

/** The database apply keeps in the live directory (state/live-dir.ts), with a note when its apply did not complete. */
function readLiveDb(ctx: CommandContext): CompiledDb {
  const live = openLiveDir(ctx);
  if (!live.hasCompiled()) throw new CliError(`no database is live in ${live.root}: nothing was applied there yet (give a compiled FILE, or --live DIR)`);
  const db = readCompiledDb(live.layout.compiled);
  let recorded: string | null | undefined;
  try {
    // With the journal folded in: an apply that completed is complete, even before its last fold.
    recorded = live.current().state.compiled_hash;
  } catch {
    recorded = undefined;
  }
  if (recorded !== undefined && recorded !== db.hash) {
    write(ctx.io.stderr, `Note: the last apply of this database (hash ${db.hash.slice(0, 12)}) did not complete; "rcform plan" shows what remains.`);
  }
  return db;
}

function selectedQuery(ctx: CommandContext): Query | undefined {
  const chosen = QUERIES.filter((q) => (q === 'list' ? flagString(ctx, 'list') !== undefined : flagBool(ctx, q)));
  if (chosen.length > 1) throw new CliError(`choose one query, not ${chosen.map((q) => `--${q}`).join(' and ')}`);
  return chosen[0];
}

function answer(db: CompiledDb, query: Query | undefined, names: string[], direction: Direction, json: boolean, listKind: string | undefined, showSensitive: boolean): string {
  const needs = (count: 'one' | 'some' | 'none'): void => {
    const label = query ? `--${query}` : 'show compiled';
    if (count === 'none' && names.length > 0) throw new CliError(`${label} takes no SERVICE argument`);
    if (count === 'one' && names.length !== 1) throw new CliError(`${label} takes exactly one SERVICE`);
    if (count === 'some' && names.length === 0) throw new CliError(`${label} needs at least one SERVICE`);
  };
  const result = (value: unknown, human: string): string =>
    json ? JSON.stringify({ query, direction, services: names, result: value }, null, 2) + '\n' : human;

  switch (query) {
    case undefined: {
      if (names.length === 0) return json ? JSON.stringify(summaryJson(db), null, 2) + '\n' : renderDbSummary(db);
      needs('one');
      const found = lookup(db, names[0] as string);
      // The stored service plus its closure, which the database does not store (db-query.ts).
      if (json) {
        if (found.kind === 'bundle') return JSON.stringify(found.bundle, null, 2) + '\n';
        const svc = showSensitive ? found.service : redactDefinition(found.service, SENSITIVE_SHORT);
        return JSON.stringify({ ...svc, closure: closure(db, found.service.name) }, null, 2) + '\n';
      }
      return found.kind === 'bundle' ? renderBundleDetail(db, found.bundle) : renderServiceDetail(db, found.service);
    }
    case 'list': {
      needs('none');
      if (!LIST_KINDS.includes(listKind as ListKind)) throw new CliError(`--list takes one of ${LIST_KINDS.join(', ')}, not "${listKind}"`);
      const r = listNames(db, listKind as ListKind);
      return json ? JSON.stringify({ query, kind: listKind, result: r }, null, 2) + '\n' : renderNames(r);
    }
    case 'type': {
      needs('one');
      const t = typeOf(db, names[0] as string);
      return result(t, t + '\n');
    }
    case 'contents': {
      needs('one');
      const r = contents(db, names[0] as string);
      return result(r, renderNames(r));
    }
    case 'atomics': {
      needs('some');
      const r = atomics(db, names);
      return result(r, renderNames(r));
    }
    case 'dependencies': {
      needs('one');
      const r = dependencies(db, names[0] as string, direction);
      return result(r, renderNames(r));
    }
    case 'all-dependencies': {
      needs('some');
      const r = allDependencies(db, names, direction);
      return result(r, renderNames(r));
    }
    case 'pipeline': {
      needs('one');
      const r = pipeline(db, names[0] as string);
      return result(r, renderNames(r));
    }
    case 'timeout': {
      needs('one');
      const r = timeoutMs(db, names[0] as string, direction);
      return result(r, `${r}\n`);
    }
    case 'script': {
      needs('one');
      const r = oneshotScript(db, names[0] as string, direction);
      const svc = db.services[names[0] as string];
      if (r && svc && !showSensitive && isSensitivePath(direction, svc.sensitive_paths)) return result(SENSITIVE_SHORT, SENSITIVE_SHORT + '\n');
      return result(r ?? null, renderCommand(r));
    }
  }
}

function summaryJson(db: CompiledDb): unknown {
  return {
    format_version: db.format_version,
    hash: db.hash,
    longruns: listNames(db, 'longruns'),
    oneshots: listNames(db, 'oneshots'),
    bundles: listNames(db, 'bundles'),
    moved: db.moved,
  };
}
