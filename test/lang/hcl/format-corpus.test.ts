import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { hasErrors } from '../../../lang/diagnostic.js';
import { formatHcl } from '../../../lang/hcl/format.js';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { HclJsonConversionError, toHclJson } from '../../../lang/hcl/to-json.js';
import type { File } from '../../../lang/hcl/ast.js';
import { sharedDir } from '../../support/shared-data.js';

// fmt over every file of the real-world corpus: formatting twice changes nothing the second time,
// and the formatted text parses to the same value as the original. "Same value" is checked two
// ways: the syntax trees are equal once source positions are dropped, and the hcl2json values are
// equal once whitespace is dropped (hcl2json renders an expression it cannot evaluate as its
// source text, "${a + b}", whose spacing is exactly what fmt normalises).

const CORPUS = sharedDir('hcl/real-world', 'fmt over the real-world corpus') as string;
const maybe = CORPUS ? test : test.skip;

function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...corpusFiles(p));
    else out.push(p);
  }
  return out.sort();
}

maybe('fmt is idempotent and meaning-preserving over the whole real-world corpus', () => {
  const files = corpusFiles(CORPUS);
  expect(files.length).toBeGreaterThan(1500);
  let formatted = 0;
  let changed = 0;
  let rejected = 0;
  const notIdempotent: string[] = [];
  const meaningChanged: string[] = [];
  for (const file of files) {
    const name = path.relative(CORPUS, file);
    const source = fs.readFileSync(file, 'utf8');
    const parsed = parseHcl(source, name);
    if (hasErrors(parsed.diagnostics)) {
      rejected++;
      expect('diagnostics' in formatHcl(source, name)).toBe(true);
      continue;
    }
    const once = formatHcl(source, name);
    if (!('output' in once)) throw new Error(`${name}: accepted by the parser but not formatted`);
    formatted++;
    if (once.output !== source) changed++;
    const twice = formatHcl(once.output, name);
    if (!('output' in twice) || twice.output !== once.output) notIdempotent.push(name);
    const reparsed = parseHcl(once.output, name);
    if (hasErrors(reparsed.diagnostics) || !sameTree(reparsed.file.body, parsed.file.body) || !sameJson(reparsed.file, parsed.file)) meaningChanged.push(name);
  }
  console.log(
    `fmt corpus: ${files.length} files, ${formatted} formatted (${changed} changed by fmt), ${rejected} rejected by the parser and skipped; ` +
      `${notIdempotent.length} not idempotent, ${meaningChanged.length} changed meaning`,
  );
  expect(notIdempotent).toEqual([]);
  expect(meaningChanged).toEqual([]);
});

/** Structural equality of syntax trees, ignoring source positions. */
function sameTree(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, dropPositions) === JSON.stringify(b, dropPositions);
}

function dropPositions(key: string, value: unknown): unknown {
  return key === 'range' || key.endsWith('Range') || key === 'labelRanges' ? undefined : value;
}

function sameJson(a: File, b: File): boolean {
  const json = (f: File) => {
    try {
      return JSON.stringify(toHclJson(f), (_k, v: unknown) => (typeof v === 'string' ? v.replace(/\s+/g, '') : v));
    } catch (err) {
      if (err instanceof HclJsonConversionError) return `conversion error: ${err.message}`;
      throw err;
    }
  };
  return json(a) === json(b);
}
