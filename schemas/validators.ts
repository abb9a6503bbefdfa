import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { loadSchema } from './index.js';

// The validators of the file formats rcform reads on every command (compiled database, state,
// plan) and of the blocks of the service language (longrun, oneshot, ...). Compiling a schema
// with ajv costs more than validating a 10,000-service file against it (loading ajv and compiling
// the five block schemas took a quarter of a second of every compile), so `npm run build` also
// writes each one as standalone code (schemas/build-validators.ts, into dist/schemas/generated/).
// The schemas here stay the single source of truth: a generated validator is used only when its
// fingerprint — the schema, the ajv options and ajv's version — matches the schema loaded now;
// otherwise (a build by tsc alone, an edited schema) the schema is compiled as before. Either way
// one process compiles or loads a validator once.

/**
 * The block schemas take rcform's own keywords: which attributes are blocks or references, what
 * a value that fails an attribute's pattern is not (`is not a duration: ...`), why an attribute
 * s6 users will write is not supported, and the message for a value breaking a limit (no NUL, a
 * length) where the description is the parent's (an argv element's message stays the one about
 * argvs).
 */
export const BLOCK_VOCABULARY = ['x-hcl-block', 'x-hcl-references', 'x-hcl-invalid', 'x-hcl-unsupported', 'x-limit-description'] as const;
// verbose: the decoder maps each error back to the source range of the offending value.
const BLOCK_OPTIONS: Options = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true };

export const SCHEMAS = {
  compiled: { file: 'compiled.schema.json', options: { allErrors: true, strict: false } },
  state: { file: 'state.schema.json', options: { allErrors: true, strict: true } },
  plan: { file: 'plan.schema.json', options: { allErrors: true, strict: false } },
  longrun: { file: 'longrun.schema.json', options: BLOCK_OPTIONS, vocabulary: BLOCK_VOCABULARY },
  oneshot: { file: 'oneshot.schema.json', options: BLOCK_OPTIONS, vocabulary: BLOCK_VOCABULARY },
  bundle: { file: 'bundle.schema.json', options: BLOCK_OPTIONS, vocabulary: BLOCK_VOCABULARY },
  moved: { file: 'moved.schema.json', options: BLOCK_OPTIONS, vocabulary: BLOCK_VOCABULARY },
  variable: { file: 'variable.schema.json', options: BLOCK_OPTIONS, vocabulary: BLOCK_VOCABULARY },
} as const satisfies Record<string, { file: string; options: Options; vocabulary?: readonly string[] }>;

export type SchemaName = keyof typeof SCHEMAS;

const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

export function fingerprint(name: SchemaName): string {
  const entry: { file: string; options: Options; vocabulary?: readonly string[] } = SCHEMAS[name];
  const { file, options, vocabulary } = entry;
  return createHash('sha256').update(JSON.stringify({ schema: loadSchema(file), options, vocabulary, ajv: AJV_VERSION })).digest('hex');
}

/** An ajv instance set up for `name`'s schema: its options and vocabulary. */
export function ajvFor(name: SchemaName, extra: Options = {}): Ajv2020 {
  const entry: { options: Options; vocabulary?: readonly string[] } = SCHEMAS[name];
  const ajv = new (ajv2020())({ ...entry.options, ...extra });
  if (entry.vocabulary) ajv.addVocabulary([...entry.vocabulary]);
  return ajv;
}

/** Where `npm run build` writes the standalone validator of `name`, relative to this module. */
export function generatedModule(name: SchemaName): string {
  return `./generated/${name}.cjs`;
}

/** ajv itself, loaded only when a schema must be compiled: loading it costs a command more than
 *  reading a generated validator does. */
export function ajv2020(): typeof Ajv2020 {
  return (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020;
}

const cache = new Map<SchemaName, ValidateFunction>();

/** How the validator of `name` was obtained, for tests and the benchmark. */
export const validatorSource = new Map<SchemaName, 'generated' | 'compiled'>();

export function schemaValidator(name: SchemaName): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    v = loadGenerated(name);
    validatorSource.set(name, v ? 'generated' : 'compiled');
    if (!v) v = ajvFor(name).compile(loadSchema(SCHEMAS[name].file));
    cache.set(name, v);
  }
  return v;
}

/** The standalone validator of `name` under `dir` (default: beside this module), if it exists and
 *  was generated from the schema as it is now. */
export function loadGenerated(name: SchemaName, dir?: string): ValidateFunction | undefined {
  let mod: { fingerprint?: string; validate?: ValidateFunction };
  try {
    mod = require(dir ? path.join(dir, generatedModule(name)) : generatedModule(name)) as typeof mod;
  } catch {
    return undefined;
  }
  return mod.fingerprint === fingerprint(name) ? mod.validate : undefined;
}
