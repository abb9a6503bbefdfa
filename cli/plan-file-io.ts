import { CliError } from './command.js';
import { compiledDbProblem } from './compiled-db-file.js';
import { compiledSchemaDigest } from '../lang/compile/compile.js';
import { schemaValidator } from '../schemas/validators.js';
import { atomicWriteFileSync } from '../state/atomic-write.js';
import { decodePlanFileChecked, encodePlanFileBytes, encodePlanFilePieces, PlanFileError, type PlanFile } from '../planner/plan-file.js';
import { readNamedFile } from './read-named-file.js';

// Reading and writing plan files. A plan file holds the whole compiled database and possibly
// sensitive values, so it is written 0600, atomically. Reading checks, in order: JSON, kind,
// format version, checksum (planner/plan-file.ts), then the plan against schemas/plan.schema.json
// and the compiled database against schemas/compiled.schema.json (unless the file is exactly as
// plan wrote it, see parsePlanFile) — so `apply` can trust it.

/** `compiledJson`: the bytes content.compiled was read from, written as they are (compiledJsonOf). */
export function writePlanFile(file: string, content: PlanFile, compiledJson?: Uint8Array): void {
  try {
    const data = content.compiled && compiledJson ? encodePlanFilePieces(content, compiledJson) : encodePlanFileBytes(content);
    atomicWriteFileSync(file, data, { policy: 'durable', mode: 0o600 });
  } catch (err) {
    throw new CliError(`cannot write the plan to ${file}: ${(err as Error).message}`);
  }
}

/** Parses and verifies a plan file's text. Throws PlanFileError naming `file`. */
export function parsePlanFile(text: string, file: string, bytes?: Uint8Array): PlanFile {
  const { content: pf, asWritten } = decodePlanFileChecked(text, file, bytes);
  const v = schemaValidator('plan');
  if (!v(pf.plan)) {
    const e = v.errors?.[0];
    throw new PlanFileError(`${file}: the plan does not match schemas/plan.schema.json: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trimEnd());
  }
  if (pf.compiled !== null) {
    // As for a compiled database file (compiled-db-file.ts): a plan file exactly as `rcform plan`
    // wrote it holds a database that plan read trusted or validated, or compiled itself; with this
    // rcform's schema it needs no second validation, which would be most of a large apply's start.
    // Anything else, a re-indented or hand-edited file included, is checked in full.
    const trusted = asWritten && pf.compiled.schema === compiledSchemaDigest();
    const problem = trusted ? undefined : compiledDbProblem(pf.compiled);
    if (problem) throw new PlanFileError(`${file}: the compiled database in the plan is not valid: ${problem}`);
    if (pf.plan.compiled_hash !== pf.compiled.hash) throw new PlanFileError(`${file}: the plan was made for compiled database ${pf.plan.compiled_hash}, but the file holds ${pf.compiled.hash}`);
  }
  return pf;
}

/** Reads and verifies a plan file; every problem is a one-line user error naming the file. */
export function readPlanFile(file: string): PlanFile {
  const { text, bytes } = readNamedFile(file, (why) => `cannot read plan file ${file}: ${why}`);
  return parsePlanFile(text, file, bytes);
}
