import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Block, Expression } from '../../../lang/hcl/ast.js';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { sharedDir } from '../../support/shared-data.js';

// hashicorp/hcl's specification suite. The expectation files (.t) are themselves HCL, read with
// our own parser. For each .t with diagnostics, the ranges we report for the matching .hcl must
// equal the expected from/to (line, column and byte); for each .t with a result, the .hcl parses.

const SUITE = sharedDir('hcl/specsuite', 'the hcl specsuite') as string;

function listT(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listT(p));
    else if (p.endsWith('.t')) out.push(p);
  }
  return out.sort();
}

function num(e: Expression | undefined): number {
  if (!e || e.kind !== 'Number') throw new Error('expected a number in the .t file');
  return Number(e.text);
}

function pos(b: Block): string {
  const attr = (n: string) => b.body.attributes.find((a) => a.name === n)?.expr;
  return `${num(attr('line'))}:${num(attr('column'))}:${num(attr('byte'))}`;
}

function expectedRanges(t: Block): string[] {
  return t.body.blocks.filter((b) => b.type === 'error').map((e) => {
    const from = e.body.blocks.find((b) => b.type === 'from')!;
    const to = e.body.blocks.find((b) => b.type === 'to')!;
    return `${pos(from)}-${pos(to)}`;
  });
}

// This case's error comes from decoding against a schema ("An argument named "c" is not expected
// here"), which is not the parser's job; what the parser owes it is the range of the attribute's
// name, which is what such a decoder reports.
// The values a result needs: literals, objects, and templates over the suite's two variables.
const VARIABLES: Record<string, string> = { bar: 'Bar', space_bar: '  Bar' };

class Unsupported extends Error {}

function evaluate(e: Expression): unknown {
  switch (e.kind) {
    case 'Number':
      return Number(e.text);
    case 'Literal':
      return e.value;
    case 'Template':
      return e.parts.map((p) => {
        if (p.kind === 'TemplateLiteral') return p.value;
        if (p.kind === 'TemplateInterp' && p.expr.kind === 'Variable' && p.expr.name in VARIABLES) return VARIABLES[p.expr.name];
        throw new Unsupported();
      }).join('');
    case 'Object': {
      const out: Record<string, unknown> = {};
      for (const item of e.items) {
        const k = item.key.bare && item.key.expr.kind === 'Variable' ? item.key.expr.name : evaluate(item.key.expr);
        out[String(k)] = evaluate(item.value);
      }
      return out;
    }
    default:
      throw new Unsupported();
  }
}

const SCHEMA_CASES = new Set(['structure/attributes/unexpected.t']);

(SUITE ? describe : describe.skip)('hcl specsuite', () => {
  const cases = SUITE ? listT(SUITE) : [];

  test('the suite is present', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const tFile of cases) {
    const rel = path.relative(SUITE, tFile);
    test(rel, () => {
      const spec = parseHcl(fs.readFileSync(tFile, 'utf8'), tFile);
      expect(spec.diagnostics).toEqual([]);
      const input = tFile.replace(/\.t$/, '.hcl');
      const result = parseHcl(fs.readFileSync(input, 'utf8'), input);
      const diagBlock = spec.file.body.blocks.find((b) => b.type === 'diagnostics');
      const fmt = (r: { start: { line: number; column: number; byte: number }; end: { line: number; column: number; byte: number } }) =>
        `${r.start.line}:${r.start.column}:${r.start.byte}-${r.end.line}:${r.end.column}:${r.end.byte}`;
      if (diagBlock) {
        const expected = expectedRanges(diagBlock);
        expect(expected.length).toBeGreaterThan(0);
        if (SCHEMA_CASES.has(rel)) {
          expect(result.diagnostics).toEqual([]);
          const c = result.file.body.attributes.find((a) => a.name === 'c')!;
          expect([fmt(c.nameRange)]).toEqual(expected);
        } else {
          expect(result.diagnostics.map((d) => fmt(d.subject!))).toEqual(expected);
        }
      }
      const expectedResult = spec.file.body.attributes.find((a) => a.name === 'result');
      if (expectedResult) {
        expect(result.diagnostics).toEqual([]);
        // Where the input is a flat body of literal values (no blocks, nothing to evaluate beyond
        // templates), its values must equal the expected result: this checks escapes, heredoc
        // indentation rules and NFC normalisation against the suite.
        if (expectedResult.expr.kind === 'Object' && result.file.body.blocks.length === 0) {
          let actual: Record<string, unknown> | undefined = {};
          try {
            for (const a of result.file.body.attributes) actual[a.name] = evaluate(a.expr);
          } catch (e) {
            if (!(e instanceof Unsupported)) throw e;
            actual = undefined;
          }
          if (actual) expect(actual).toEqual(evaluate(expectedResult.expr));
        }
      }
    });
  }
});
