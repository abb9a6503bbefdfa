import { CliError } from './command.js';
import type { CompiledDb } from '../lang/compile/compiled-db.js';
import { schemaValidator } from '../schemas/validators.js';
import { readTextFile } from '../state/read-text.js';

// Reading a compiled database written by `rcform compile`. The file is trusted only after it
// passes schemas/compiled.schema.json and its cross references hold: a hand-edited or truncated
// file is reported as such instead of producing wrong answers. Exit status 4 mirrors s6-rc-db's
// "invalid or corrupted service database".

export const EXIT_INVALID_DB = 4;

export function readCompiledDb(file: string): CompiledDb {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot read compiled database ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not a compiled database: invalid JSON (${(err as Error).message})`, EXIT_INVALID_DB);
  }
  const problem = compiledDbProblem(data);
  if (problem) throw new CliError(`${file} is not a valid compiled database: ${problem}`, EXIT_INVALID_DB);
  return data as CompiledDb;
}

/** The first thing wrong with the data as a compiled database, or undefined when it is sound. */
export function compiledDbProblem(data: unknown): string | undefined {
  const validate = schemaValidator('compiled');
  if (!validate(data)) {
    const version = (data as { format_version?: unknown } | null)?.format_version;
    if (data && typeof data === 'object' && version !== undefined && version !== '1') {
      return `format_version ${JSON.stringify(version)} is not supported (this rcform reads version "1")`;
    }
    const err = validate.errors?.[0];
    const where = err?.instancePath ? err.instancePath : '(top level)';
    return `${where} ${err?.message ?? 'does not match the schema'}`;
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
  for (const [key, b] of Object.entries(db.bundles)) {
    if (b.name !== key) return `/bundles/${key} is named "${b.name}"`;
    for (const m of b.members) if (!Object.hasOwn(db.services, m)) return `/bundles/${key}/members names "${m}", which is not a service`;
    for (const c of b.contents) {
      if (!Object.hasOwn(db.services, c) && !Object.hasOwn(db.bundles, c)) return `/bundles/${key}/contents names "${c}", which is not defined`;
    }
  }
  return undefined;
}
