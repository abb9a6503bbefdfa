import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadSchema } from '../../schemas/index.js';
import { schemaValidator } from '../../schemas/validators.js';

// The JSON Schemas of the block types are the single source of truth for which attributes a block
// takes: the decoder reads `properties` to know the attributes, `x-hcl-block` to know which are
// nested blocks, `x-hcl-references` to know which take service references, `x-hcl-unsupported`
// for a name s6 users will write that rcform rejects on purpose, with the reason; ajv checks values.

export type BlockType = 'longrun' | 'oneshot' | 'bundle' | 'moved' | 'variable';

export interface PropertySchema {
  type?: string | string[];
  description?: string;
  'x-hcl-block'?: boolean;
  'x-hcl-references'?: boolean;
  /** What a string failing `pattern` is not, said after the value: `is not a duration: ...`. */
  'x-hcl-invalid'?: string;
  /** An s6 or s6-rc file rcform deliberately has no attribute for: why, for the error that names it. */
  'x-hcl-unsupported'?: string;
  /** The message of a limit (no NUL, a length) on a value whose description is its parent's. */
  'x-limit-description'?: string;
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

export interface BlockSchema {
  schema: PropertySchema & { properties: Record<string, PropertySchema> };
  validate: ValidateFunction;
}

const cache = new Map<BlockType, BlockSchema>();

export function blockSchema(type: BlockType): BlockSchema {
  let s = cache.get(type);
  if (!s) {
    const schema = loadSchema(`${type}.schema.json`) as unknown as BlockSchema['schema'];
    s = { schema, validate: schemaValidator(type) };
    cache.set(type, s);
  }
  return s;
}

export type { ErrorObject };
