import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadSchema } from '../../schemas/index.js';
import { ajv2020 } from '../../schemas/validators.js';

// The JSON Schemas of the block types are the single source of truth for which attributes a block
// takes: the decoder reads `properties` to know the attributes, `x-hcl-block` to know which are
// nested blocks, and `x-hcl-references` to know which take service references; ajv checks values.

export type BlockType = 'longrun' | 'oneshot' | 'bundle' | 'moved' | 'variable';

export interface PropertySchema {
  type?: string | string[];
  description?: string;
  'x-hcl-block'?: boolean;
  'x-hcl-references'?: boolean;
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

export interface BlockSchema {
  schema: PropertySchema & { properties: Record<string, PropertySchema> };
  validate: ValidateFunction;
}

let ajv: Ajv2020 | undefined;
const cache = new Map<BlockType, BlockSchema>();

export function blockSchema(type: BlockType): BlockSchema {
  let s = cache.get(type);
  if (!s) {
    if (!ajv) {
      // ajv is loaded on first use, so that commands that compile no source never load it.
      ajv = new (ajv2020())({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
      ajv.addVocabulary(['x-hcl-block', 'x-hcl-references']);
    }
    const schema = loadSchema(`${type}.schema.json`) as unknown as BlockSchema['schema'];
    s = { schema, validate: ajv.compile(schema) };
    cache.set(type, s);
  }
  return s;
}

export type { ErrorObject };
