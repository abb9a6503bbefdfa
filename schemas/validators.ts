import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { loadSchema } from './index.js';

// The validators of the file formats rcform reads on every command (compiled database, state,
// plan). Compiling a schema with ajv costs more than validating a 10,000-service file against it,
// so `npm run build` also writes each one as standalone code (schemas/build-validators.ts, into
// dist/schemas/generated/). The schemas here stay the single source of truth: a generated validator
// is used only when its fingerprint — the schema, the ajv options and ajv's version — matches the
// schema loaded now; otherwise (a build by tsc alone, an edited schema) the schema is compiled as
// before. Either way one process compiles or loads a validator once.

export const FORMAT_SCHEMAS = {
  compiled: { file: 'compiled.schema.json', options: { allErrors: true, strict: false } },
  state: { file: 'state.schema.json', options: { allErrors: true, strict: true } },
  plan: { file: 'plan.schema.json', options: { allErrors: true, strict: false } },
} as const satisfies Record<string, { file: string; options: Options }>;

export type FormatName = keyof typeof FORMAT_SCHEMAS;

const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

export function fingerprint(name: FormatName): string {
  const { file, options } = FORMAT_SCHEMAS[name];
  return createHash('sha256').update(JSON.stringify({ schema: loadSchema(file), options, ajv: AJV_VERSION })).digest('hex');
}

/** Where `npm run build` writes the standalone validator of `name`, relative to this module. */
export function generatedModule(name: FormatName): string {
  return `./generated/${name}.cjs`;
}

/** ajv itself, loaded only when a schema must be compiled: loading it costs a command more than
 *  reading a generated validator does. */
export function ajv2020(): typeof Ajv2020 {
  return (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020;
}

const cache = new Map<FormatName, ValidateFunction>();

/** How the validator of `name` was obtained, for tests and the benchmark. */
export const validatorSource = new Map<FormatName, 'generated' | 'compiled'>();

export function formatValidator(name: FormatName): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    v = loadGenerated(name);
    validatorSource.set(name, v ? 'generated' : 'compiled');
    if (!v) v = new (ajv2020())({ ...FORMAT_SCHEMAS[name].options }).compile(loadSchema(FORMAT_SCHEMAS[name].file));
    cache.set(name, v);
  }
  return v;
}

/** The standalone validator of `name` under `dir` (default: beside this module), if it exists and
 *  was generated from the schema as it is now. */
export function loadGenerated(name: FormatName, dir?: string): ValidateFunction | undefined {
  let mod: { fingerprint?: string; validate?: ValidateFunction };
  try {
    mod = require(dir ? path.join(dir, generatedModule(name)) : generatedModule(name)) as typeof mod;
  } catch {
    return undefined;
  }
  return mod.fingerprint === fingerprint(name) ? mod.validate : undefined;
}
