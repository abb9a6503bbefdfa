import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileSources } from '../../../lang/compile/compile-sources.js';
import { formatHcl } from '../../../lang/hcl/format.js';
import { MAX_NESTING, parseHcl } from '../../../lang/hcl/parser.js';
import { HclJsonConversionError, toHclJson } from '../../../lang/hcl/to-json.js';
import { runInProcess } from '../../support/cli-harness.js';

// Every construct that nests, nested past the limit, is a "Nesting too deep" diagnostic where the
// limit is crossed, not a RangeError; nested as deep as the parser accepts, every later stage
// (decode and evaluation through validate, fmt, the JSON conversion) still returns normally.
// The stages run in jest's deeper stack here, which only makes the check stricter.

const FORMS: Record<string, (n: number) => string> = {
  tuple: (n) => '['.repeat(n) + '"x"' + ']'.repeat(n),
  object: (n) => '{ k = '.repeat(n) + '"x"' + ' }'.repeat(n),
  parentheses: (n) => '('.repeat(n) + '"x"' + ')'.repeat(n),
  template: (n) => '"${'.repeat(n) + '"x"' + '}"'.repeat(n),
  heredoc: (n) => '<<EOT\n${'.repeat(n) + '"x"' + '}\nEOT\n'.repeat(n).replace(/\n$/, ''),
  'function call': (n) => 'upper('.repeat(n) + '"x"' + ')'.repeat(n),
  'unary minus': (n) => '-'.repeat(n) + '1',
  'unary not': (n) => '!'.repeat(n) + 'true',
  conditional: (n) => 'true ? "x" : '.repeat(n) + '"y"',
  'for expression': (n) => '[for v in '.repeat(n) + '["x"]' + ' : v]'.repeat(n),
  'index key': (n) => '["x"]['.repeat(n) + '0' + ']'.repeat(n),
  'if directive': (n) => '"' + '%{if true}'.repeat(n) + 'x' + '%{endif}'.repeat(n) + '"',
  'for directive': (n) => '"' + '%{for v in ["x"]}'.repeat(n) + 'x' + '%{endfor}'.repeat(n) + '"',
  // Loops in the parser, but trees as deep as they are long.
  'operator chain': (n) => '"x"' + ' == "x"'.repeat(n),
  'attribute chain': (n) => '{ k = '.repeat(n) + '"x"' + ' }'.repeat(n) + '.k'.repeat(n),
  'splat chain': (n) => '["x"]' + '[*]'.repeat(n),
};

const inService = (expr: string) => `longrun "web" {\n  run         = ["/bin/true"]\n  description = ${expr}\n}\n`;
const blocks = (n: number) => 'longrun "web" {\n  run = ["/bin/true"]\n' + 'b {\n'.repeat(n) + '}\n'.repeat(n) + '}\n';

function tooDeep(src: string) {
  return parseHcl(src, 'deep.hcl').diagnostics.filter((d) => d.summary === 'Nesting too deep');
}

/** The largest n for which make(n) parses without a nesting error. */
function deepestAccepted(make: (n: number) => string): number {
  let lo = 1;
  let hi = 4 * MAX_NESTING;
  expect(tooDeep(make(lo))).toEqual([]);
  expect(tooDeep(make(hi)).length).toBe(1);
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1;
    if (tooDeep(make(mid)).length === 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function cliCopes(src: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'deep.hcl'), src);
  for (const argv of [['validate', dir], ['validate', '--json', dir], ['fmt', '--check', dir]]) {
    const r = await runInProcess(argv);
    expect(r.stderr).not.toMatch(/internal error/);
    expect([0, 1, 3]).toContain(r.code);
  }
}

describe('nesting beyond the limit', () => {
  test('500 brackets, the case that crashed, is one diagnostic at the bracket past the limit', () => {
    const src = `a = ${'['.repeat(500)}${']'.repeat(500)}\nb = 1\n`;
    const r = parseHcl(src, 'deep.hcl');
    expect(r.diagnostics.map((d) => [d.summary, d.subject!.start.line, d.subject!.start.column])).toEqual([
      // The expression `a = ` starts at column 5; its 257th bracket is column 5 + 256.
      ['Nesting too deep', 1, 5 + MAX_NESTING],
    ]);
    expect(r.diagnostics[0]!.detail).toContain(`${MAX_NESTING} levels`);
    // Parsing goes on after it.
    expect(r.file.body.attributes.map((a) => a.name)).toEqual(['a', 'b']);
  });

  test.each(Object.keys(FORMS))('%s: 5,000 levels are a diagnostic, not an exception', (form) => {
    const diags = tooDeep(inService(FORMS[form]!(5000)));
    expect(diags.length).toBe(1);
    expect(diags[0]!.subject!.start.line).toBeGreaterThanOrEqual(3);
  });

  test('nested blocks: 5,000 levels are a diagnostic at the brace past the limit', () => {
    const diags = tooDeep(blocks(5000));
    expect(diags.length).toBe(1);
    // longrun is level 1, so the block on line 3 + (MAX_NESTING - 1) is the first too deep.
    expect(diags[0]!.subject!.start.line).toBe(3 + MAX_NESTING - 1);
    expect(diags[0]!.subject!.start.column).toBe(3);
  });

  test('an operator chain is measured by the depth of its tree', () => {
    const n = deepestAccepted((k) => `a = 1${' + 1'.repeat(k)}\n`);
    // k operators make a tree k + 1 deep: k operators, then the first operand.
    expect(n + 1).toBe(MAX_NESTING);
  });
});

describe('nesting up to the limit', () => {
  test('the limit allows what people write', () => {
    expect(MAX_NESTING).toBeGreaterThanOrEqual(256);
  });

  test.each(Object.keys(FORMS))('%s: validate, fmt and the JSON conversion return normally', async (form) => {
    const make = (n: number) => inService(FORMS[form]!(n));
    const n = deepestAccepted(make);
    // Each form's level is one to three tree nodes deep, inside one level of block.
    expect(n).toBeGreaterThanOrEqual(MAX_NESTING / 3 - 1);
    const src = make(n);
    const parsed = parseHcl(src, 'deep.hcl');
    expect(parsed.diagnostics).toEqual([]);
    try {
      toHclJson(parsed.file);
    } catch (e) {
      if (!(e instanceof HclJsonConversionError)) throw e;
    }
    expect('output' in formatHcl(src, 'deep.hcl')).toBe(true);
    compileSources([{ filename: 'deep.hcl', source: src }]);
    await cliCopes(src);
  }, 60_000);

  test('nested blocks: validate and fmt return normally', async () => {
    const n = deepestAccepted(blocks);
    expect(n).toBe(MAX_NESTING - 1);
    await cliCopes(blocks(n));
  }, 60_000);

  test('mixtures of every form, as deep as accepted or deeper, never throw', () => {
    const wrappers: [string, string][] = [
      ['[', ']'], ['{ k = ', ' }'], ['(', ')'], ['"${', '}"'], ['upper(', ')'], ['-', ''], ['!', ''],
      ['true ? 1 : ', ''], ['[for v in [1] : ', ']'], ['"%{if true}${', '}%{endif}"'], ['1 + ', ''],
      ['{ k = ', ' }.k'], ['[', '][0]'], ['[', '][*]'], ['"%{for v in [1]}${', '}%{endfor}"'],
    ];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: wrappers.length - 1 }), { minLength: MAX_NESTING / 2, maxLength: MAX_NESTING * 3 }), (picks) => {
        const open = picks.map((i) => wrappers[i]![0]).join('');
        const close = picks.map((i) => wrappers[i]![1]).reverse().join('');
        const src = inService(open + '1' + close);
        const r = parseHcl(src, 'deep.hcl');
        if (r.diagnostics.length > 0) return;
        compileSources([{ filename: 'deep.hcl', source: src }]);
        formatHcl(src, 'deep.hcl');
        try {
          toHclJson(r.file);
        } catch (e) {
          if (!(e instanceof HclJsonConversionError)) throw e;
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
