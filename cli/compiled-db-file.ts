import { CliError } from './command.js';
import type { ClosureItem } from '../lang/compile/closures.js';
import { COMPILED_FORMAT_VERSION, type CompiledDb } from '../lang/compile/compiled-db.js';
import { compiledSchemaDigest, verifiedHash } from '../lang/compile/compile.js';
import { schemaValidator } from '../schemas/validators.js';
import { readNamedFile } from './read-named-file.js';

// Reading a compiled database written by `rcform compile`. The file is trusted only after it
// passes schemas/compiled.schema.json and its cross references hold: a hand-edited or truncated
// file is reported as such instead of producing wrong answers. Exit status 4 mirrors s6-rc-db's
// "invalid or corrupted service database".

export const EXIT_INVALID_DB = 4;

export function readCompiledDb(file: string): CompiledDb {
  const { text, bytes } = readNamedFile(file, (why) => `cannot read compiled database ${file}: ${why}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not a compiled database: invalid JSON (${(err as Error).message})`, EXIT_INVALID_DB);
  }
  // Exactly what this rcform's compile wrote (same schema, hash verified over the bytes) needs no
  // second validation; anything else, edited by hand included, is checked in full.
  const trusted = (data as Partial<CompiledDb> | null)?.schema === compiledSchemaDigest() && verifiedHash(bytes) === (data as Partial<CompiledDb>).hash;
  const problem = trusted ? undefined : compiledDbProblem(data);
  if (problem) throw new CliError(`${file} is not a valid compiled database: ${problem}`, EXIT_INVALID_DB);
  // Compact JSON (canonical, as compile writes it) without the final newline: a plan file embeds
  // these bytes as they are instead of serialising the database again.
  if (trusted) compiledJson.set(data as CompiledDb, bytes.subarray(0, bytes.length - 1));
  return data as CompiledDb;
}

const compiledJson = new WeakMap<CompiledDb, Uint8Array>();

/**
 * The JSON text `db` was parsed from, when readCompiledDb read it from a file exactly as compile
 * wrote it; undefined otherwise. A compiled database is never changed once read, so the two agree.
 */
export function compiledJsonOf(db: CompiledDb | null): Uint8Array | undefined {
  return db ? compiledJson.get(db) : undefined;
}

/** The first thing wrong with the data as a compiled database, or undefined when it is sound. */
export function compiledDbProblem(data: unknown): string | undefined {
  const validate = schemaValidator('compiled');
  if (!validate(data)) {
    const version = (data as { format_version?: unknown } | null)?.format_version;
    if (data && typeof data === 'object' && version !== undefined && version !== COMPILED_FORMAT_VERSION) {
      return `format_version ${JSON.stringify(version)} is not supported (this rcform reads version "${COMPILED_FORMAT_VERSION}")`;
    }
    const err = validate.errors?.[0];
    const where = err?.instancePath ? err.instancePath : '(top level)';
    // Databases compiled before `order` and `closures` existed have everything else.
    const stale = data && typeof data === 'object' && 'services' in data && !('order' in data && 'closures' in data);
    return `${where} ${err?.message ?? 'does not match the schema'}${stale ? ' (it was compiled by an older rcform: compile the source again)' : ''}`;
  }
  const db = data as CompiledDb;
  for (const [key, s] of Object.entries(db.services)) {
    if (s.name !== key) return `/services/${key} is named "${s.name}"`;
    for (const field of ['dependencies', 'reverse_dependencies'] as const) {
      for (const d of s[field]) {
        if (!Object.hasOwn(db.services, d)) return `/services/${key}/${field} names "${d}", which is not a service`;
      }
    }
  }
  const positionOf = new Map<string, number>();
  for (const [p, n] of db.order.entries()) {
    if (!Object.hasOwn(db.services, n)) return `/order names "${n}", which is not a service`;
    if (positionOf.has(n)) return `/order lists "${n}" twice`;
    positionOf.set(n, p);
  }
  for (const key of Object.keys(db.closures)) if (!Object.hasOwn(db.services, key)) return `/closures/${key} is not a service`;
  for (const [key, s] of Object.entries(db.services)) {
    const at = positionOf.get(key);
    if (at === undefined) return `/order does not list the service "${key}"`;
    for (const d of s.dependencies) if ((positionOf.get(d) as number) > at) return `/order lists "${key}" before its dependency "${d}"`;
    const c = db.closures[key];
    if (!c) return `/closures has no member for the service "${key}"`;
    const problem = closureProblem(c, at, s.dependencies, positionOf);
    if (problem) return `/closures/${key} ${problem}`;
  }
  for (const [key, b] of Object.entries(db.bundles)) {
    if (b.name !== key) return `/bundles/${key} is named "${b.name}"`;
    for (const m of b.members) if (!Object.hasOwn(db.services, m)) return `/bundles/${key}/members names "${m}", which is not a service`;
    for (const c of b.contents) {
      if (!Object.hasOwn(db.services, c) && !Object.hasOwn(db.bundles, c)) return `/bundles/${key}/contents names "${c}", which is not defined`;
    }
  }
  return undefined;
}

/**
 * Whether a stored closure can be right: services (or runs of `order`) listed in `order`, all
 * before the service itself, holding every direct dependency. Completeness (every transitive
 * member) is not checked: it would cost as much as computing the closures, which a reader that
 * distrusts the file can do by walking the direct edges (db-query.ts allDependencies).
 */
function closureProblem(closure: readonly ClosureItem[], at: number, deps: readonly string[], positionOf: ReadonlyMap<string, number>): string | undefined {
  const runs: [number, number][] = [];
  for (const item of closure) {
    const [first, last] = typeof item === 'string' ? [item, item] : item;
    const s = positionOf.get(first);
    const e = positionOf.get(last);
    if (s === undefined) return `names "${first}", which is not a service`;
    if (e === undefined) return `names "${last}", which is not a service`;
    if (e < s || (runs.length > 0 && s <= (runs[runs.length - 1] as [number, number])[1])) return 'is not in the order of /order without repeats';
    if (e >= at) return `lists "${last}", which does not come before the service in /order`;
    runs.push([s, e]);
  }
  // Every direct dependency inside some run: both sorted, so one pass.
  const depAt = deps.map((d) => [positionOf.get(d) as number, d] as const).sort((a, b) => a[0] - b[0]);
  let r = 0;
  for (const [p, d] of depAt) {
    while (r < runs.length && (runs[r] as [number, number])[1] < p) r++;
    if (r === runs.length || (runs[r] as [number, number])[0] > p) return `lacks the direct dependency "${d}"`;
  }
  return undefined;
}
