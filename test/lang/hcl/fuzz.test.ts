import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { scan } from '../../../lang/hcl/scanner.js';
import { HclJsonConversionError, toHclJson } from '../../../lang/hcl/to-json.js';
import { sharedDir } from '../../support/shared-data.js';

// Property: whatever the input (corpus files with bytes deleted, HCL punctuation inserted, cut
// short), scanning and parsing return normally, with a body and sane ranges, and the JSON
// conversion either succeeds or reports a conversion error. A hang fails through jest's timeout.

const CORPUS = sharedDir('hcl/real-world', 'parser fuzzing from the corpus');

function sampleFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  if (CORPUS) walk(CORPUS);
  out.sort();
  // Every 25th file, skipping big ones, keeps runs quick while covering the corpus's variety.
  return out.filter((_, i) => i % 25 === 0).map((f) => fs.readFileSync(f, 'utf8')).filter((s) => s.length < 6000);
}

const PUNCTUATION = [
  '{', '}', '[', ']', '(', ')', '"', '${', '%{', '~}', '}', '<<EOT\n', '<<-EOT\n', 'EOT\n', '\n', '\r\n', '#', '//', '/*', '*/',
  ',', '=', '==', '.', '.0', '.*', '[*]', '*', '...', '?', ':', '=>', '\\', '\\u12', '$', '%', '$${', '\t', 'é', 'e\u0301', '\ud800',
  'for', 'in', 'if', 'endif', 'endfor', 'else', '&', ';', "'", '`', '1.2.3', '-', '!',
];

type Mutation = { kind: 'delete'; at: number; len: number } | { kind: 'insert'; at: number; text: string } | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...PUNCTUATION) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(src: string, ms: Mutation[]): string {
  let s = src;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else s = s.slice(0, at);
  }
  return s;
}

function checkParses(src: string): void {
  const tokens = scan(src, 'fuzz.hcl');
  expect(tokens[tokens.length - 1]!.type).toBe('EOF');
  const { file, diagnostics } = parseHcl(src, 'fuzz.hcl');
  expect(file.body.kind).toBe('Body');
  for (const d of diagnostics) {
    expect(d.summary.length).toBeGreaterThan(0);
    const r = d.subject!;
    expect(r.start.line).toBeGreaterThanOrEqual(1);
    expect(r.start.column).toBeGreaterThanOrEqual(1);
    expect(r.start.byte).toBeLessThanOrEqual(r.end.byte);
  }
  if (diagnostics.length === 0) {
    try {
      toHclJson(file);
    } catch (e) {
      if (!(e instanceof HclJsonConversionError)) throw e;
    }
  }
}

describe('parser under mutated input', () => {
  const files = sampleFiles();

  const withCorpus = CORPUS ? test : test.skip;

  withCorpus('corpus sample is present', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  withCorpus('never throws, always returns a body or diagnostics', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: files.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => {
        checkParses(apply(files[i]!, ms));
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  test('arbitrary short strings of HCL punctuation', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PUNCTUATION, 'a', ' ', '1', 'b = ', 'x {'), { maxLength: 30 }), (parts) => {
        checkParses(parts.join(''));
      }),
      { numRuns: 1500 },
    );
  }, 120_000);
});
