import { createRequire } from 'node:module';

// The JSON Schemas in this folder are the single source of truth for every file format and for
// the attributes each block takes. This module loads them by name; the path is the same from the
// source tree and from dist/schemas/, because the .json files are not copied into dist.
const require = createRequire(import.meta.url);

export function loadSchema(file: string): Record<string, unknown> {
  return require(`../../schemas/${file}`) as Record<string, unknown>;
}
